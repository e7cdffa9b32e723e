"""Inspections (巡查检查) of hazard sources, the services: due inspections are scheduled from each source's plan
(`inspection_days` — shortened by the risk grade of its place, `risk_grading.plan_days` — and `checklist`) into
its grid's queue; the grid worker (or the area's staff) fills in the
checklist; each failed item is a finding that opens a rectification case through the intake port (channel 网格巡查,
the class's 小类, the source's grid, the rectification deadline, the inspector as reporter so that the case's 复核
comes back to them), linked back to the source by the finding row and the case's origin; an inspection not done in
time is escalated one tier at a time (社区 → 街道 → 区, `inspection_rules.tier_reached`).

Every change writes its audit row and publishes its event (``hazards.inspection_scheduled`` / ``_done`` /
``_escalated``, ``hazards.finding_reported``); nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden, IllegalTransition, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal, Role
from gridgov.common.timeutil import to_local, utcnow
from gridgov.dispatch import intake
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel
from gridgov.hazards.audit import HazardAudit
from gridgov.hazards.inspection_models import Finding, Inspection
from gridgov.hazards.inspection_rules import (
    TIER_LABELS,
    TIERS,
    InspectionStatus,
    check_results,
    findings,
    first_due,
    next_due,
    rectify_deadline,
    tier_reached,
)
from gridgov.hazards.models import HazardClass, HazardSource
from gridgov.hazards.risk_grading import grades_by_address, plan_days
from gridgov.hazards.scope import may_act_on, where
from gridgov.org import cache

INSPECTORS = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.ADMIN})
ACTIVE_SOURCE = "active"


@dataclass
class SweepResult:
    scheduled: int = 0
    escalated: int = 0


def _payload(row: Inspection, **extra: Any) -> dict[str, Any]:
    return {"source_id": row.source_id, "grid_id": row.grid_id, "due_at": row.due_at.isoformat(), **extra}


def _schedule(session: Session, source: HazardSource, due_at: datetime) -> Inspection:
    row = Inspection(
        source_id=source.id,
        grid_id=source.grid_id,
        division_path=source.division_path,
        due_at=due_at,
        status=InspectionStatus.DUE.value,
        checklist=list(source.checklist or []),
        tier=0,
        findings=0,
    )
    session.add(row)
    session.flush()
    record_audit(session, SYSTEM_PRINCIPAL, HazardAudit.INSPECTION_SCHEDULE, "hazard_inspection", row.id, _payload(row))
    bus.publish(session, "hazards.inspection_scheduled", "hazard_inspection", row.id, _payload(row))
    return row


def schedule_due(session: Session, now: datetime | None = None) -> int:
    """Give every active source with a checklist and no pending inspection its next one: `first_due` after
    registration for the first, `inspection_days` after the last one was done for the next."""
    now = now or utcnow()
    pending = select(Inspection.id).where(
        Inspection.source_id == HazardSource.id, Inspection.status == InspectionStatus.DUE.value
    )
    sources = session.scalars(
        select(HazardSource).where(HazardSource.status == ACTIVE_SOURCE, ~pending.exists()).order_by(HazardSource.id)
    ).all()
    last_done = dict(
        session.execute(
            select(Inspection.source_id, func.max(Inspection.done_at))
            .where(Inspection.status == InspectionStatus.DONE.value)
            .group_by(Inspection.source_id)
        ).all()
    )
    grades = grades_by_address(session)
    made = 0
    for source in sources:
        if not source.checklist:
            continue
        done, days = last_done.get(source.id), plan_days(source, grades)
        due = next_due(done, days) if done else first_due(source.created_at, days)
        _schedule(session, source, due)
        made += 1
    return made


def escalate_overdue(session: Session, now: datetime | None = None) -> int:
    """Raise each overdue inspection to the tier its lateness reached, recording each step."""
    now = now or utcnow()
    rows = session.scalars(
        select(Inspection)
        .where(Inspection.status == InspectionStatus.DUE.value, Inspection.due_at < now)
        .order_by(Inspection.id)
    ).all()
    snap = cache.snapshot(session)
    raised = 0
    for row in rows:
        reached = tier_reached(row.due_at, now)
        if reached <= row.tier:
            continue
        level = TIERS[reached - 1]
        target = snap.ancestor_at(row.grid_id, level) if row.grid_id is not None else None
        days = round((now - row.due_at).total_seconds() / 86400, 1)
        row.tier, row.escalated_at = reached, now
        data = _payload(row, tier=reached, level=level, division_id=target, days_overdue=days)
        record_audit(session, SYSTEM_PRINCIPAL, HazardAudit.INSPECTION_ESCALATE, "hazard_inspection", row.id, data)
        bus.publish(session, "hazards.inspection_escalated", "hazard_inspection", row.id, data, at=now)
        raised += 1
    return raised


def sweep(session: Session, now: datetime | None = None) -> SweepResult:
    """The worker's round: schedule what fell due, escalate what is overdue."""
    now = now or utcnow()
    return SweepResult(schedule_due(session, now), escalate_overdue(session, now))


def _visible(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    row = session.get(Inspection, inspection_id)
    if row is None or not may_act_on(actor, row.division_path, row.grid_id):
        raise NotFound("巡查任务不存在", field="inspection_id")
    return row


def get_inspection(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    return _visible(session, actor, inspection_id)


def list_inspections(
    session: Session,
    actor: Principal,
    status: InspectionStatus | None = None,
    limit: int = 200,
    due_by: datetime | None = None,
) -> list[Inspection]:
    """The caller's queue in their scope (a grid worker: his grids), the most urgent first; `due_by`: only those
    due by then (the phone's 待巡查: the coming week and everything overdue)."""
    stmt = select(Inspection).where(where(actor, Inspection.division_path, Inspection.grid_id))
    if status is not None:
        stmt = stmt.where(Inspection.status == status.value)
    if due_by is not None:
        stmt = stmt.where(Inspection.due_at <= due_by)
    return list(session.scalars(stmt.order_by(Inspection.due_at, Inspection.id).limit(limit)))


def _report_finding(session: Session, actor: Principal, row: Inspection, source: HazardSource, finding: Finding) -> int:
    klass = session.get(HazardClass, source.class_id)
    snap = cache.snapshot(session)
    grid_code = snap.divisions[row.grid_id].code if row.grid_id in snap.divisions else None
    deadline = to_local(finding.rectify_by).strftime("%Y-%m-%d")
    cmd = IntakeCommand(
        title=f"【巡查隐患】{source.name}：{finding.item}"[:200],
        channel=Channel.GRID_PATROL,
        description=(
            f"巡查发现：{finding.note}（检查项：{finding.item}；责任单位：{source.responsible_unit}；"
            f"整改期限：{deadline} 前）"
        ),
        category_code=klass.category_code if klass else None,
        grid_code=grid_code,
        lon=source.lon if grid_code is None else None,
        lat=source.lat if grid_code is None else None,
        address_text=source.address_text,
        idempotency_key=f"hazard-finding:{row.id}:{finding.item}"[:120],
        origin={
            "inspection_id": row.id,
            "finding_id": finding.id,
            "source": source.code,
            "item": finding.item,
            "rectify_by": finding.rectify_by.isoformat(),
        },
        deadline_at=finding.rectify_by,  # the case's clock ends at the rectification deadline
    )
    return intake.submit(session, actor, cmd, now=finding.found_at).event_id


def complete_inspection(
    session: Session, actor: Principal, inspection_id: int, results: Any, now: datetime | None = None
) -> tuple[Inspection, list[Finding]]:
    """Record the filled-in checklist; each failed item becomes a finding with its rectification case."""
    now = now or utcnow()
    if actor.role not in INSPECTORS:
        raise Forbidden("您的角色不能填报巡查检查", field="role")
    row = _visible(session, actor, inspection_id)
    if row.status != InspectionStatus.DUE.value:
        raise IllegalTransition("该巡查已完成，不能重复填报；可执行的操作：无", allowed=[], status_now=row.status)
    answers = check_results(row.checklist, results)
    source = session.get(HazardSource, row.source_id)
    if source is None:
        raise NotFound("隐患源不存在", field="source_id")
    row.status, row.done_at, row.done_by = InspectionStatus.DONE.value, now, actor.user_id
    row.results = [{"item": a.item, "ok": a.ok, "note": a.note} for a in answers]
    made: list[Finding] = []
    for bad in findings(answers):
        finding = Finding(
            inspection_id=row.id,
            source_id=source.id,
            item=bad.item[:200],
            note=bad.note,
            found_at=now,
            rectify_by=rectify_deadline(now, source.risk_level),
        )
        session.add(finding)
        session.flush()
        finding.case_id = _report_finding(session, actor, row, source, finding)
        data = {"inspection_id": row.id, "source_id": source.id, "item": finding.item, "case_id": finding.case_id}
        record_audit(session, actor, HazardAudit.FINDING_REPORT, "hazard_finding", finding.id, data)
        bus.publish(session, "hazards.finding_reported", "hazard_finding", finding.id, data, actor=actor, at=now)
        made.append(finding)
    row.findings = len(made)
    done = _payload(row, findings=len(made), case_ids=[f.case_id for f in made])
    record_audit(session, actor, HazardAudit.INSPECTION_DONE, "hazard_inspection", row.id, done)
    bus.publish(session, "hazards.inspection_done", "hazard_inspection", row.id, done, actor=actor, at=now)
    grades = grades_by_address(session, [source.address_code] if source.address_code else [])
    _schedule(session, source, next_due(now, plan_days(source, grades)))
    return row, made


def tier_label(tier: int) -> str | None:
    return TIER_LABELS[TIERS[tier - 1]] if tier > 0 else None
