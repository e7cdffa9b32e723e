"""Pydantic shapes of the dispatch API (inputs validated here, outputs masked here)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gridgov.common.fields import NonBlank
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel

SHA256 = r"^[0-9a-f]{64}$"


class ReportIn(BaseModel):
    title: NonBlank = Field(min_length=1, max_length=200, description="事件标题")
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
    origin: dict[str, Any] | None = Field(default=None, description="渠道原始数据（如 12345 工单原文），原样保存")

    @field_validator("attachments")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        return _sha256s(v)

    def to_command(self, *, auto_dispatch: bool = False, self_handle: bool = False) -> IntakeCommand:
        """The intake port's command for this report."""
        return IntakeCommand(
            title=self.title,
            channel=self.channel,
            description=self.description,
            category_code=self.category_code,
            grid_code=self.grid_code,
            lon=self.lon,
            lat=self.lat,
            coord_system=self.coord_system,
            address_text=self.address_text,
            reporter_phone=self.reporter_phone,
            attachments=tuple(self.attachments),
            idempotency_key=self.idempotency_key,
            origin=self.origin,
            auto_dispatch=auto_dispatch,
            self_handle=self_handle,
            result_note=self.result_note,
        )


def _sha256s(hashes: list[str]) -> list[str]:
    for h in hashes:
        if not re.fullmatch(SHA256, h):
            raise ValueError("附件应为上传接口返回的 sha256")
    return hashes


# --- the lifecycle actions' inputs, one shape per action ------------------------------------------------


class NoteIn(BaseModel):
    """签收、退回、挂账、解除挂账、督办、上报上级、不立案、重新办理: a note (required where the step needs one)."""

    note: str | None = Field(default=None, max_length=5000, description="说明/理由")


class UrgencyIn(NoteIn):
    """调整紧急程度: the new level (normal、urgent、major) and, in `note`, the reason (required)."""

    urgency: str = Field(max_length=16, description="紧急程度：normal（一般）、urgent（紧急）、major（重特大）")


class CategoryIn(NoteIn):
    """立案、派遣: the category may be corrected."""

    category_code: str | None = Field(default=None, pattern=r"^\d{5}$", description="立案或派遣时可改类别")


class DispatchIn(CategoryIn):
    """派遣: the suggested route, unless the dispatcher chooses — another lead (with a reason), more
    co-departments, a named handler of the lead department or a grid worker (任务直接派到网格和个人)."""

    lead_department_id: int | None = Field(default=None, gt=0, description="改派的主办单位（部门 id），默认按建议")
    reason: str | None = Field(default=None, max_length=500, description="改派主办单位的理由（改派时必填）")
    co_department_ids: list[int] = Field(default_factory=list, max_length=10, description="增加的协办单位（部门 id）")
    assignee_id: int | None = Field(default=None, gt=0, description="指派到人：主办单位的处置人员或网格员（用户 id）")


class SummonIn(NoteIn):
    """吹哨: the departments summoned onto the case, the note (required) and the time they have to report in."""

    department_ids: list[int] = Field(min_length=1, max_length=10, description="吹哨召集的部门 id")
    respond_within_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60, description="报到时限（分钟，自然时间）")


class SummonsStepIn(NoteIn):
    """报到、报到反馈: which summons of the case (one of the caller's department)."""

    summons_id: int = Field(gt=0, description="吹哨记录 id")


class ExtensionRequestIn(NoteIn):
    hours: float = Field(gt=0, le=24 * 60, description="申请延期的工作小时数")


class ExtensionDecisionIn(NoteIn):
    hours: float | None = Field(default=None, gt=0, le=24 * 60, description="批准的工作小时数（默认按申请）")


class ResultIn(NoteIn):
    """处置完成、协办反馈: what was done, with photos."""

    attachments: list[str] = Field(default_factory=list, max_length=9, description="照片 sha256（先上传）")

    @field_validator("attachments")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        return _sha256s(v)


class VerifyIn(ResultIn):
    passed: bool = Field(description="复核是否通过")


class RateIn(NoteIn):
    rating: int = Field(ge=1, le=5, description="满意度 1-5")


class LocateIn(NoteIn):
    address_code: NonBlank = Field(min_length=1, max_length=32, description="确认的标准地址编码")


class PointIn(NoteIn):
    """补充位置: the reporter marks the place on the map (a report whose address could not be placed)."""

    lon: float = Field(ge=-180, le=180, description="经度")
    lat: float = Field(ge=-90, le=90, description="纬度")
    coord_system: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84", description="坐标系：wgs84（GPS）、gcj02（高德/腾讯）、bd09（百度）"
    )


class MergeIn(NoteIn):
    into_event_id: int = Field(description="并入的主案件 id")


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    department_id: int | None
    department_name: str | None = None
    grid_id: int | None
    assignee_id: int | None = None
    assignee_name: str | None = None
    status: str
    note: str | None
    done_at: datetime | None


class SummonsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department_id: int
    department_name: str | None = None
    status: str
    status_label: str = ""
    note: str
    summoned_at: datetime
    respond_by: datetime
    summoned_by_id: int | None
    reported_in_at: datetime | None
    report_in_note: str | None
    response_minutes: float | None = Field(default=None, description="报到用时（分钟）")
    on_time: bool | None = Field(default=None, description="是否在报到时限内报到")
    result_at: datetime | None
    result_note: str | None
    centre_division_id: int | None = None
    withdrawn_at: datetime | None = None
    withdraw_note: str | None = None
    may_withdraw: bool = Field(default=False, description="当前用户可否撤回这次吹哨（尚未报到，且为吹哨人或其中心）")


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
    repeat_count: int = 0  # reports attached to this case as repeats (重复诉求)
    rating: int | None
    extension_requested: float | None
    verifier: str | None = None  # who verifies the result (catalog.verifiers), once handled
    place_needed: bool = False  # not placed on a grid: the reporter is asked for a point on the map
    place_note: str | None = None  # what the reporter is told about it
    urgency: str = "normal"
    urgency_reason: str | None = None
    clock_basis: str = "working"


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
    summons: list[SummonsOut] = []
    history: list[TransitionOut] = []
    allowed_actions: list[str] = []
    duplicates_merged: list[dict[str, Any]] = []


class PageOut(BaseModel):
    items: list[EventOut]
    next_cursor: int | None = None
    total: int | None = None


class QueueOut(BaseModel):
    queues: dict[str, PageOut]
