"""HTTP entry points of 自主申报 and 核查: the public declaration (no login: rate limits per client address and per
declarant phone, an idempotency key, PII masked in the answer), the grid worker's verification queue, settling one
task on site, and opening the tasks of records due for re-verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from gridgov.blockdata import declarations, verification, verify_queue
from gridgov.blockdata.idcodes import parse_phone
from gridgov.blockdata.verify_models import DeclarationKind, VerifyStatus
from gridgov.common.principal import Principal, Role
from gridgov.common.ratelimit import RateLimiter, limit_at_edge
from gridgov.common.uow import UnitOfWork, atomic_retrying_a_race
from gridgov.org import cache
from gridgov.org.deps import PrincipalDep, SessionDep

public_router = APIRouter(
    prefix="/api/public", tags=["public"], responses={429: {"description": "请求过于频繁（按来源与手机号限流）"}}
)
router = APIRouter(prefix="/api/blockdata", tags=["blockdata"])
# the per-address limit at the edge, before the body is read; the per-declarant one needs the parsed body
per_ip_declarations = limit_at_edge(
    RateLimiter("declaration_ip", limit=20, window_seconds=600), "/api/public/declarations"
)
per_phone_declarations = RateLimiter("declaration_phone", limit=10, window_seconds=600)


class DeclarationBody(BaseModel):
    kind: Literal["move_in", "move_out"] = Field(description="move_in 租客入住 / move_out 租客退租")
    declarant_role: Literal["landlord", "property", "agent"] = Field(description="房东 / 物业公司 / 中介机构")
    declarant_name: str = Field(min_length=1, max_length=64, description="申报人姓名或单位名称")
    declarant_phone: str = Field(max_length=20, description="申报人手机号")
    address: str = Field(min_length=1, max_length=300, description="房屋地址（到楼栋）")
    room: str = Field(default="", max_length=40, description="房号，如 2单元501")
    tenant_name: str = Field(min_length=1, max_length=64)
    id_type: str = Field(default="", max_length=24, description="证件类型（默认居民身份证）")
    id_number: str = Field(min_length=1, max_length=40)
    phone: str = Field(default="", max_length=20, description="租客电话")
    move_in: str = Field(default="", max_length=20, description="入住日期 YYYY-MM-DD")
    move_out: str = Field(default="", max_length=20, description="退租日期 YYYY-MM-DD")
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)

    @field_validator("declarant_phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return parse_phone(v)  # the import's own rule: a mobile or a landline with its area code


class DeclarationReceipt(BaseModel):
    number: str = Field(description="申报编号")
    kind: str
    kind_label: str
    status: str
    status_label: str
    grid_name: str | None = Field(description="负责核查的网格")
    tenant_name: str
    id_masked: str | None
    phone_masked: str | None
    created_at: datetime


class QueueOut(BaseModel):
    total: int
    items: list[verify_queue.QueueItem]


class SettleIn(BaseModel):
    outcome: Literal["confirm", "correct", "reject"] = Field(description="confirm 属实 / correct 更正 / reject 不实")
    note: str = Field(default="", max_length=500)
    changes: dict[str, Annotated[str, Field(max_length=300)]] = Field(
        default_factory=dict, max_length=20, description="更正的字段（姓名、证件号码、电话、房号、日期等）"
    )


class SettleOut(BaseModel):
    id: int
    status: str
    status_label: str
    written_record_id: int | None


@public_router.post(
    "/declarations", response_model=DeclarationReceipt, status_code=201, summary="自主申报：租客入住/退租（免登录）"
)
def declare(body: DeclarationBody, session: SessionDep) -> DeclarationReceipt:
    per_phone_declarations.hit(declarations.declarant_scope(session, body.declarant_phone))  # never the number
    actor = Principal(user_id=None, username="declarant", role=Role.RESIDENT)
    command = declarations.DeclarationIn(**body.model_dump())
    row = atomic_retrying_a_race(session, lambda: declarations.declare(session, actor, command))
    snap = cache.snapshot(session)
    grid = snap.divisions.get(row.grid_id) if row.grid_id is not None else None
    return DeclarationReceipt(
        number=row.number,
        kind=row.kind,
        kind_label=DeclarationKind(row.kind).label,
        status=row.status,
        status_label=VerifyStatus(row.status).label,
        grid_name=grid.name if grid is not None else None,
        tenant_name=str(row.fields.get("tenant_name", "")),
        id_masked=row.id_masked,
        phone_masked=row.phone_masked,
        created_at=row.created_at,
    )


@router.get("/verifications", response_model=QueueOut, summary="核查任务（自主申报、到期复核），按数据范围")
def queue(
    session: SessionDep,
    actor: PrincipalDep,
    status: Literal["open", "confirmed", "corrected", "rejected"] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> QueueOut:
    items, total = verify_queue.verification_queue(session, actor, status, limit)
    return QueueOut(total=total, items=items)


@router.post("/verifications/{task_id}/settle", response_model=SettleOut, summary="现场核查：属实、更正或不实")
def settle(session: SessionDep, actor: PrincipalDep, task_id: int, body: SettleIn) -> SettleOut:
    with UnitOfWork(session):
        task = verification.settle(session, actor, task_id, body.outcome, body.note, body.changes)
        out = SettleOut(
            id=task.id,
            status=task.status,
            status_label=VerifyStatus(task.status).label,
            written_record_id=task.written_record_id,
        )
    return out


@router.post("/verifications/due", summary="生成到期复核任务（按类型的复核周期）")
def open_due(session: SessionDep, actor: PrincipalDep) -> dict[str, int]:
    with UnitOfWork(session):
        return verification.open_due_tasks(session, actor)
