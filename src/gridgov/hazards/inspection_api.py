"""`/api/hazards/inspections`: the caller's inspection queue (a grid worker: his grids' due inspections with the
checklist), one inspection with its findings and their cases, filling in the checklist, and the administrator's
sweep (schedule what fell due, escalate what is overdue — the worker job `gridgov hazards inspections` runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.errors import Forbidden
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.dispatch.models import Event
from gridgov.hazards import inspections
from gridgov.hazards.inspection_models import Finding, Inspection
from gridgov.hazards.inspection_rules import InspectionStatus
from gridgov.hazards.models import HazardClass, HazardSource
from gridgov.hazards.schemas import FindingOut, InspectionDoneIn, InspectionOut, InspectionSweepOut
from gridgov.org import cache
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/inspections")


def _out(session: Session, rows: list[Inspection]) -> list[InspectionOut]:
    if not rows:
        return []
    ids = sorted({r.source_id for r in rows})
    sources = {
        s.id: (s, k)
        for s, k in session.execute(
            select(HazardSource, HazardClass)
            .join(HazardClass, HazardClass.id == HazardSource.class_id)
            .where(HazardSource.id.in_(ids))
        )
    }
    by_inspection: dict[int, list[FindingOut]] = {}
    for f, number, status in session.execute(
        select(Finding, Event.number, Event.status)
        .outerjoin(Event, Event.id == Finding.case_id)
        .where(Finding.inspection_id.in_([r.id for r in rows]))
        .order_by(Finding.id)
    ):
        by_inspection.setdefault(f.inspection_id, []).append(
            FindingOut(
                id=f.id,
                item=f.item,
                note=f.note,
                rectify_by=f.rectify_by,
                case_id=f.case_id,
                case_number=number,
                case_status=status,
            )
        )
    snap = cache.snapshot(session)
    now = utcnow()
    out = []
    for r in rows:
        s, k = sources[r.source_id]
        out.append(
            InspectionOut(
                id=r.id,
                source_id=s.id,
                source_code=s.code,
                source_name=s.name,
                class_name=k.name,
                risk_level=s.risk_level,
                responsible_unit=s.responsible_unit,
                address_text=s.address_text,
                lon=s.lon,
                lat=s.lat,
                grid_code=snap.divisions[r.grid_id].code if r.grid_id in snap.divisions else None,
                due_at=r.due_at,
                status=r.status,
                status_label=InspectionStatus(r.status).label,
                overdue=r.status == InspectionStatus.DUE.value and r.due_at < now,
                tier=r.tier,
                tier_label=inspections.tier_label(r.tier),
                checklist=list(r.checklist),
                results=r.results,
                done_at=r.done_at,
                findings=by_inspection.get(r.id, []),
            )
        )
    return out


def _one(session: Session, actor: Principal, inspection_id: int) -> InspectionOut:
    return _out(session, [inspections.get_inspection(session, actor, inspection_id)])[0]


@router.get("", response_model=list[InspectionOut], summary="巡查任务（本人管辖范围内；网格员：本网格的待巡查）")
def queue(
    session: SessionDep,
    actor: PrincipalDep,
    status: Annotated[Literal["due", "done", "all"], Query(description="待巡查 / 已巡查 / 全部")] = "due",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    within_days: Annotated[int | None, Query(ge=0, le=366, description="只列出这么多天内到期的（含已逾期）")] = None,
) -> list[InspectionOut]:
    wanted = None if status == "all" else InspectionStatus(status)
    due_by = utcnow() + timedelta(days=within_days) if within_days is not None else None
    return _out(session, inspections.list_inspections(session, actor, wanted, limit, due_by))


@router.get("/{inspection_id}", response_model=InspectionOut, summary="一次巡查：检查清单、结果与发现的隐患")
def one(inspection_id: int, session: SessionDep, actor: PrincipalDep) -> InspectionOut:
    return _one(session, actor, inspection_id)


@router.post(
    "/{inspection_id}/complete",
    response_model=InspectionOut,
    summary="填报巡查结果：每个“发现问题”的检查项立案整改（网格巡查渠道）",
)
def complete(inspection_id: int, body: InspectionDoneIn, session: SessionDep, actor: PrincipalDep) -> InspectionOut:
    results = [r.model_dump() for r in body.results]
    with UnitOfWork(session):
        row, _made = inspections.complete_inspection(session, actor, inspection_id, results)
        row_id = row.id
    return _one(session, actor, row_id)


@router.post("/sweep", response_model=InspectionSweepOut, summary="生成到期巡查任务并上报逾期巡查（管理员）")
def sweep(session: SessionDep, actor: PrincipalDep) -> InspectionSweepOut:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以手动运行巡查调度", field="role")
    with UnitOfWork(session):
        done = inspections.sweep(session)
    return InspectionSweepOut(scheduled=done.scheduled, escalated=done.escalated)
