"""Pydantic shapes of the dispatch API (inputs validated here, outputs masked here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gridgov.dispatch.models import Channel

SHA256 = r"^[0-9a-f]{64}$"


class ReportIn(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="事件标题")
    description: str = Field(default="", max_length=5000)
    channel: Channel = Channel.PHOTO
    category_code: str | None = Field(default=None, pattern=r"^\d{5}$", description="小类代码（五位）")
    grid_code: str | None = Field(default=None, pattern=r"^\d{15}$")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    coord_system: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84", description="坐标系：wgs84（GPS）、gcj02（高德/腾讯）、bd09（百度）"
    )
    address_text: str = Field(default="", max_length=300, description="地址描述，自动匹配标准地址")
    reporter_phone: str | None = Field(default=None, max_length=20)
    attachments: list[str] = Field(default_factory=list, max_length=9)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)
    result_note: str | None = Field(default=None, max_length=5000, description="自行处置时的处置结果")

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("标题不能为空")
        return v

    @field_validator("attachments")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        import re

        for h in v:
            if not re.fullmatch(SHA256, h):
                raise ValueError("附件应为上传接口返回的 sha256")
        return v


class ActionIn(BaseModel):
    note: str | None = Field(default=None, max_length=5000, description="说明/理由/处置结果")
    attachments: list[str] = Field(default_factory=list, max_length=9)
    category_code: str | None = Field(default=None, pattern=r"^\d{5}$", description="立案或派遣时可改类别")
    hours: float | None = Field(default=None, gt=0, le=24 * 60, description="申请延期的工作小时数")
    rating: int | None = Field(default=None, ge=1, le=5, description="满意度 1-5")
    passed: bool | None = Field(default=None, description="复核是否通过")
    address_code: str | None = Field(default=None, max_length=32, description="确认地址时选定的标准地址编码")
    into_event_id: int | None = Field(default=None, description="合并重复件时的主案件 id")


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    department_id: int | None
    department_name: str | None = None
    grid_id: int | None
    status: str
    note: str | None
    done_at: datetime | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    action_label: str = ""
    from_status: str
    to_status: str
    actor_id: int | None
    actor_role: str
    note: str | None
    attachments: list[str]
    data: dict[str, Any]
    at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str | None
    title: str
    channel: str
    category_id: int | None
    category_code: str | None = None
    category_name: str | None = None
    status: str
    status_label: str = ""
    level: str
    grid_id: int | None
    grid_code: str | None = None
    owner_division_id: int | None
    area_class: str
    address_text: str
    address_id: int | None = None
    address_code: str | None = None
    address_full_name: str | None = None
    address_confidence: float | None = None
    lon: float | None
    lat: float | None
    reported_at: datetime
    dispatched_at: datetime | None
    deadline_at: datetime | None
    warn_at: datetime | None
    sla_state: str
    ever_overdue: bool
    supervised_count: int
    escalation_count: int
    return_count: int
    reopen_count: int
    self_handled: bool
    merged_into_id: int | None = None
    rating: int | None
    extension_requested: float | None


class EventDetailOut(EventOut):
    description: str
    reporter_phone: str | None = None
    result_note: str | None
    reject_reason: str | None
    rating_comment: str | None
    filed_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    first_deadline_at: datetime | None
    tasks: list[TaskOut] = []
    history: list[TransitionOut] = []
    allowed_actions: list[str] = []
    duplicates_merged: list[dict[str, Any]] = []


class PageOut(BaseModel):
    items: list[EventOut]
    next_cursor: int | None = None
    total: int | None = None


class QueueOut(BaseModel):
    queues: dict[str, PageOut]
