"""HTTP entry points of the audit log for the administrator: the filtered list, the CSV export and the chain's
verification."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from gridgov.common.audit_read import AuditFilter, export_csv, list_audit, verify_log
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import User

router = APIRouter(prefix="/api/admin", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int | None
    at: datetime
    actor_id: int | None
    actor_name: str | None = Field(default=None, description="操作人用户名（系统或免登录操作为空）")
    actor_role: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    hash: str | None


class AuditPageOut(BaseModel):
    items: list[AuditOut]
    next_cursor: int | None


def _filter(
    actor_id: int | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
) -> AuditFilter:
    """The list's and the export's filter, one set of query parameters for both."""
    return AuditFilter(actor_id, action, entity, entity_id, at_from, at_to)


FilterDep = Annotated[AuditFilter, Depends(_filter)]


@router.get("/audit", response_model=AuditPageOut, summary="审计日志（仅系统管理员，按操作人、动作、对象、时间筛选）")
def get_audit(
    session: SessionDep,
    actor: PrincipalDep,
    flt: FilterDep,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPageOut:
    rows, next_cursor = list_audit(session, actor, flt, limit, cursor)
    ids = {r.actor_id for r in rows if r.actor_id is not None}
    names: dict[int, str] = {}
    if ids:
        names = {uid: name for uid, name in session.execute(select(User.id, User.username).where(User.id.in_(ids)))}
    items = [AuditOut.model_validate(r).model_copy(update={"actor_name": names.get(r.actor_id or 0)}) for r in rows]
    return AuditPageOut(items=items, next_cursor=next_cursor)


class AuditBreakOut(BaseModel):
    id: int | None = Field(description="出错的行（链本身出错时为空）")
    seq: int | None
    reason: str


class AuditVerifyOut(BaseModel):
    ok: bool
    rows: int = Field(description="校验过的行数")
    head_seq: int
    head_hash: str
    first_bad: AuditBreakOut | None = Field(description="第一处断裂（完整时为空）")


@router.get("/audit/verify", response_model=AuditVerifyOut, summary="校验审计日志哈希链（同 gridgov audit verify）")
def get_audit_verify(session: SessionDep, actor: PrincipalDep) -> AuditVerifyOut:
    verdict = verify_log(session, actor)
    bad = verdict.first_bad
    return AuditVerifyOut(
        ok=verdict.ok,
        rows=verdict.walk.rows,
        head_seq=verdict.head[0],
        head_hash=verdict.head[1],
        first_bad=AuditBreakOut(id=bad.id, seq=bad.seq, reason=bad.reason) if bad is not None else None,
    )


@router.get(
    "/audit.csv",
    summary="导出审计日志 CSV（导出本身留痕）",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV（UTF-8 带 BOM，Excel 可直接打开）"}},
)
def get_audit_csv(
    session: SessionDep,
    actor: PrincipalDep,
    flt: FilterDep,
) -> Response:
    with UnitOfWork(session):
        body = export_csv(session, actor, flt)
    headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers=headers)
