"""Pydantic shapes of the IOC (指挥大屏) data API; the field names are the contract with the front end."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Period(StrEnum):
    TODAY = "today"
    WEEK = "week"  # this ISO week, Monday 00:00 Asia/Shanghai
    MONTH = "month"  # this calendar month, Asia/Shanghai


class BreakdownBy(StrEnum):
    MAJOR = "major"
    CHANNEL = "channel"
    CHILD = "child"
    DEPARTMENT = "department"


class RankingBy(StrEnum):
    CHILD = "child"
    DEPARTMENT = "department"


class DivisionRef(BaseModel):
    code: str
    name: str
    level: str


class SummaryOut(BaseModel):
    period: Period
    from_: datetime = Field(alias="from", serialization_alias="from", description="时段起点（UTC，含）")
    to: datetime = Field(description="时段终点（UTC，不含）")
    division: DivisionRef
    reported: int = Field(description="本时段上报数")
    filed: int = Field(description="本时段立案数")
    dispatched: int = Field(description="本时段派遣数")
    handled: int = Field(description="本时段处置完成数")
    closed: int = Field(description="本时段结案数")
    closure_rate: float | None = Field(description="本时段上报（不含不立案）的事件中目前已结案的比例")
    on_time_rate: float | None = Field(description="本时段结案事件中按首次时限处置完成的比例")
    overdue: int = Field(description="当前在办的红灯超时事件")
    warning: int = Field(description="当前在办的黄灯预警事件")
    escalated: int = Field(description="本时段上报上级（升级）次数")
    satisfaction: float | None = Field(description="本时段评价的平均满意度（1–5）")
    open: int = Field(description="当前在办事件")
    first_time_right: float | None = Field(default=None, description="本时段派遣的事件中未被退回（一次派准）的比例")
    mean_transfers: float | None = Field(default=None, description="本时段派遣的事件平均被退回重派的次数")

    model_config = {"populate_by_name": True}


class TrendOut(BaseModel):
    days: list[str]
    reported: list[int]
    closed: list[int]
    overdue: list[int]


class BreakdownItem(BaseModel):
    key: str
    label: str
    count: int
    closed: int


class BreakdownOut(BaseModel):
    by: BreakdownBy
    items: list[BreakdownItem]


class RankingItem(BaseModel):
    key: str
    label: str
    total: int
    closed: int
    closure_rate: float | None
    on_time_rate: float | None
    returns: int
    reopen_rate: float | None
    overdue: int
    score: float | None


class RankingOut(BaseModel):
    by: RankingBy
    items: list[RankingItem]


class SummonsResponseItem(BaseModel):
    key: str = Field(description="部门代码")
    label: str
    summoned: int = Field(description="被吹哨次数")
    reported_in: int = Field(description="已报到次数")
    waiting_overdue: int = Field(description="超过报到时限仍未报到")
    done: int = Field(description="已反馈结果")
    on_time_rate: float | None = Field(description="按时报到率（时限内报到 / 已报到与超时未报到）")
    median_minutes: float | None = Field(description="报到用时中位数（分钟）")
    mean_minutes: float | None = Field(description="报到用时平均（分钟）")


class SummonsResponseOut(BaseModel):
    items: list[SummonsResponseItem]


class WarningItem(BaseModel):
    id: int
    number: str | None
    title: str
    sla_state: str
    deadline_at: datetime | None
    level: str
    grid_code: str | None
    category_name: str | None
    lon: float | None
    lat: float | None
    escalation_count: int


class WarningsOut(BaseModel):
    items: list[WarningItem]


class HotspotItem(BaseModel):
    grid_code: str
    grid_name: str
    count: int
    open: int
    lon: float | None
    lat: float | None


class HotspotsOut(BaseModel):
    items: list[HotspotItem]


class MapEvent(BaseModel):
    id: int
    lon: float
    lat: float
    status: str
    sla_state: str
    category_name: str | None
    title: str


class MapOut(BaseModel):
    divisions: dict[str, Any] = Field(description="GeoJSON FeatureCollection，properties: code,name,level,open,red")
    events: list[MapEvent]
