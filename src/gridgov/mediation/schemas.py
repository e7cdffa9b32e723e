"""HTTP shapes of the mediation API: one input per action; outputs carry the parties masked."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import PartyKind, PartyRole, Source


class PartyIn(BaseModel):
    role: PartyRole = Field(description="applicant 申请人 / respondent 被申请人 / third 第三人")
    kind: PartyKind = PartyKind.PERSON
    name: str = Field(min_length=1, max_length=100, description="姓名或名称")
    id_number: str | None = Field(default=None, max_length=18, description="身份证号或统一社会信用代码")
    phone: str | None = Field(default=None, max_length=20)


class DisputeCreate(BaseModel):
    dispute_type: str = Field(
        default="", max_length=32, description="纠纷类型代码，见 /api/mediation/types（事件转办时可不填：按事件小类）"
    )
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    source: Source = Source.WALK_IN
    amount: Decimal = Field(default=Decimal(0), ge=0, le=Decimal("1000000000"), description="争议金额（元）")
    address_text: str = Field(default="", max_length=200, description="纠纷发生地（匹配标准地址）")
    address_code: str | None = Field(default=None, max_length=32, description="标准地址编码（地址检索所得）")
    division_code: str | None = Field(default=None, pattern=r"^\d{12}(\d{3})?$", description="网格或社区代码")
    source_event_id: int | None = Field(default=None, ge=1, description="事件转办时的来源事件")
    parties: list[PartyIn] = Field(min_length=2, max_length=20)

    def to_command(self) -> DisputeIn:
        return DisputeIn(
            dispute_type=self.dispute_type,
            title=self.title,
            parties=tuple(PartyData(p.role, p.kind, p.name, p.id_number, p.phone) for p in self.parties),
            source=self.source,
            description=self.description,
            amount=self.amount,
            address_text=self.address_text,
            address_code=self.address_code,
            division_code=self.division_code,
            source_event_id=self.source_event_id,
        )


class AssignIn(BaseModel):
    mediator_id: int | None = Field(default=None, ge=1, description="指定调解员（不填按分派规则）")


class SessionIn(BaseModel):
    held_at: AwareDatetime = Field(description="调解日期（带时区）")
    notes: str = Field(min_length=1, max_length=5000, description="调解记录")
    mediator_ids: list[int] = Field(default_factory=list, max_length=10)


class TermsIn(BaseModel):
    terms: str = Field(min_length=1, max_length=5000, description="协议内容")


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=5000)


class TransferIn(BaseModel):
    destination: str = Field(
        max_length=16, description="arbitration 仲裁 / admin_ruling 行政裁决 / litigation 诉讼 / petition 信访"
    )
    note: str = Field(default="", max_length=5000)


class PartyOut(BaseModel):
    id: int
    role: str
    role_label: str
    kind: str
    name: str
    id_number: str | None
    phone: str | None


class DisputeRow(BaseModel):
    id: int
    number: str
    title: str
    dispute_type: str
    type_label: str
    stage: str
    stage_label: str
    risk_level: str
    risk_label: str
    amount: Decimal
    place: str
    registered_at: datetime
    mediator: str | None


class DisputeDetail(DisputeRow):
    description: str
    source: str
    source_label: str
    risk_flags: list[dict[str, Any]]
    parties: list[PartyOut]
    sessions: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    terms: str | None
    destination: str | None
    follow_up_due: datetime | None
    allowed: list[dict[str, str]]
    source_case: str | None = Field(default=None, description="受理时经统一受理端口登记的事件编号")
    scans: list[dict[str, Any]] = Field(default_factory=list, description="签字扫描件（协议书、司法确认申请书等）")
