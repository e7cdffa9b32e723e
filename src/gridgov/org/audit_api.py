"""HTTP entry points of the audit log for the administrator: the filtered list and the CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from gridgov.common.audit_read import AuditFilter, export_csv, list_audit
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/admin", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int | None
    at: datetime
    actor_id: int | None
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
    return AuditFilter(actor_id, action, entity, entity_id, at_from, at_to)


@router.get("/audit", response_model=AuditPageOut, summary="审计日志（仅系统管理员，按操作人、动作、对象、时间筛选）")
def get_audit(
    session: SessionDep,
    actor: PrincipalDep,
    actor_id: int | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPageOut:
    flt = _filter(actor_id, action, entity, entity_id, at_from, at_to)
    rows, next_cursor = list_audit(session, actor, flt, limit, cursor)
    return AuditPageOut(items=[AuditOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/audit.csv",
    summary="导出审计日志 CSV（导出本身留痕）",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV（UTF-8 带 BOM，Excel 可直接打开）"}},
)
def get_audit_csv(
    session: SessionDep,
    actor: PrincipalDep,
    actor_id: int | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    at_from: datetime | None = None,
    at_to: datetime | None = None,
) -> Response:
    with UnitOfWork(session):
        body = export_csv(session, actor, _filter(actor_id, action, entity, entity_id, at_from, at_to))
    headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers=headers)
