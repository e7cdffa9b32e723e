"""HTTP shapes of block data: what a caller sends and what it gets back (PII only ever masked here)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ImportOut(BaseModel):
    ok: bool
    rows: int
    batch_id: int | None
    counts: dict[str, int]
    errors: list[dict[str, Any]] = Field(description="前 200 处错误：行号、字段、问题")
    error_count: int
    error_report: str | None = Field(description="错误报告（CSV）的下载地址")


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    department: str
    kind: str
    filename: str
    rows: int
    status: str
    counts: dict[str, int]
    created_at: datetime


class MappingIn(BaseModel):
    columns: dict[str, str] = Field(
        description='来源文件列名 → 字段（如 {"公民身份号码": "id_number"}）', max_length=100
    )


class MappingOut(BaseModel):
    department: str
    kind: str
    columns: dict[str, str]
    fields: dict[str, str] = Field(description="该类数据的全部字段及中文名")


class PersonOut(BaseModel):
    id: int
    name: str
    id_type: str
    id_masked: str | None
    sex: str | None
    birth_year: int | None
    population: str
    address_text: str
    address_code: str | None
    room_code: str | None
    move_in: date | None
    move_out: date | None
    tags: list[str]
    department: str
    batch_id: int
    line: int


class RevealOut(BaseModel):
    record: str
    record_id: int
    id_number: str | None
    phones: list[str]


class ProfileOut(BaseModel):
    can_unmask: bool = Field(description="调用者可查看完整证件号和电话（每次查看留痕）")
    address: dict[str, Any]
    addresses: int
    residents: list[dict[str, Any]]
    past_residents: list[dict[str, Any]]
    companies: list[dict[str, Any]]
    rooms: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    events: list[dict[str, Any]]
    last_verification: dict[str, Any] | None = Field(default=None, description="最近一次现场核查：时间、核查人、结果")
