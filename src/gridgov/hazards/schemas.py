"""HTTP shapes of the hazards context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class IngestOut(BaseModel):
    accepted: int = Field(description="写入的遥测条数")
    raised: int = Field(description="新触发的告警")
    escalated: int = Field(description="升级的告警")
    cleared: int = Field(description="解除的告警")


class ContactOut(BaseModel):
    role: str
    name: str
    phone: str = Field(description="脱敏后的电话")


class SourceOut(BaseModel):
    id: int
    code: str
    name: str
    class_code: str
    class_name: str
    color: str
    risk_level: str
    risk_label: str
    responsible_unit: str
    address_text: str
    lon: float | None
    lat: float | None
    polygon: dict[str, Any] | None
    grid_code: str | None
    street: str | None
    contacts: list[ContactOut]
    inspection_days: int
    checklist: list[str]
    status: str
    devices: int
    devices_online: int
    active_alarms: int


class AlarmOut(BaseModel):
    id: int
    alarm_type: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    active: bool
    acknowledged: bool
    device_code: str
    source_code: str
    source_name: str
    class_name: str
    grid_code: str | None
    street: str | None
    lon: float | None
    lat: float | None
    reason: str
    started_at: datetime
    updated_at: datetime
    cleared_at: datetime | None
    clear_reason: str | None
    case_id: int | None
    case_number: str | None


class ClearIn(BaseModel):
    note: str = Field(min_length=1, max_length=200, description="解除原因")


class RuleOut(BaseModel):
    code: str
    name: str
    device_type: str
    enabled: bool
    spec: dict[str, Any]


class RuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    spec: dict[str, Any]


class DeviceOut(BaseModel):
    code: str
    name: str
    device_type: str
    source_code: str
    source_name: str
    online: bool
    last_seen_at: datetime | None


class DryRunIn(BaseModel):
    spec: dict[str, Any]
    device_code: str = Field(min_length=1, max_length=64)
    limit: int = Field(default=10000, ge=1, le=100000)


class DryRunOut(BaseModel):
    samples: int
    outcomes: list[dict[str, Any]]


class InspectionItemIn(BaseModel):
    item: str = Field(max_length=200, description="检查项（须在隐患源的检查清单中）")
    ok: bool = Field(description="true 合格；false 发现问题（须填说明）")
    note: str = Field(default="", max_length=500, description="发现的情况")


class InspectionDoneIn(BaseModel):
    results: list[InspectionItemIn] = Field(max_length=100, description="逐项检查结果，每项一条")


class FindingOut(BaseModel):
    id: int
    item: str
    note: str
    rectify_by: datetime = Field(description="整改期限")
    case_id: int | None
    case_number: str | None
    case_status: str | None


class InspectionOut(BaseModel):
    id: int
    source_id: int
    source_code: str
    source_name: str
    class_name: str
    risk_level: str
    responsible_unit: str
    address_text: str
    lon: float | None
    lat: float | None
    grid_code: str | None
    due_at: datetime
    status: str
    status_label: str
    overdue: bool
    tier: int = Field(description="逾期上报到的层级数（0 未逾期，1 社区，2 街道，3 区）")
    tier_label: str | None
    checklist: list[str]
    results: list[dict[str, Any]] | None
    done_at: datetime | None
    findings: list[FindingOut]


class InspectionSweepOut(BaseModel):
    scheduled: int
    escalated: int


class FactorOut(BaseModel):
    name: str = Field(description="因素：行业 / 隐患源 / 巡查发现 / 事件")
    detail: str
    points: int


class RiskGradeOut(BaseModel):
    subject: str = Field(description="entity:<统一社会信用代码> 或 address:<标准地址编码>（无法人信息时按地址）")
    name: str
    industry: str
    address_code: str | None
    grid_code: str | None
    score: int
    grade: str
    grade_label: str
    color: str
    factors: list[FactorOut]
    regulators: list[str] = Field(description="监管部门类型（部门的 dept_type）")
    inspection_days: int = Field(description="该等级要求的巡查周期（天）")
    graded_at: datetime


class GradingOut(BaseModel):
    graded: int
    changed: int
    by_grade: dict[str, int]


class CrowdPointOut(BaseModel):
    source_code: str
    source_name: str
    device_code: str
    lon: float
    lat: float
    density: float = Field(description="人员密度（人/平方米），最近一次上报")
    at: datetime
    intensity: float = Field(description="热力强度 0–1：密度 / 人员密度告警规则的最高阈值")


class CrowdHeatOut(BaseModel):
    points: list[CrowdPointOut]
    scale: float | None = Field(description="强度为 1 的密度（告警规则的最高阈值）")
