"""分派: the routing rules (routing.py) choose the lead mediator's tier and the agencies of a joint mediation (联调);
each agency gets one task with its deadline on the dispatch context's SLA clock (dispatch/sla.py, the working
calendar); a task's feedback, and the sweep that warns and raises overdue tasks one tier up (common/levels.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.catalog.services import load_calendar
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.levels import TIERS, next_tier
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.dispatch.sla import sla_state, start_clock
from gridgov.mediation import routing
from gridgov.mediation.access import load, require_mediator
from gridgov.mediation.dispute_types import dispute_type
from gridgov.mediation.models import Dispute, DisputeTask, MediationAgency, Mediator
from gridgov.mediation.rules import OPEN, AgencyKind, MediationAction, MediationAudit, TaskStatus
from gridgov.mediation.stages import advance
from gridgov.org import cache

OPEN_STAGES = sorted(s.value for s in OPEN)


def agency_index(session: Session) -> dict[tuple[int, AgencyKind], int]:
    rows = session.execute(
        select(MediationAgency.division_id, MediationAgency.kind, MediationAgency.id)
        .where(MediationAgency.active.is_(True))
        .order_by(MediationAgency.id)
    ).all()
    found: dict[tuple[int, AgencyKind], int] = {}
    for division_id, kind, agency_id in rows:
        found.setdefault((division_id, AgencyKind(kind)), agency_id)
    return found


def mediators_for(session: Session, paths: list[str]) -> list[routing.MediatorInfo]:
    """Active mediators whose area holds one of `paths` (the place's ancestry), with their load."""
    load_of = (
        select(Dispute.mediator_id, func.count().label("n"))
        .where(Dispute.stage.in_(OPEN_STAGES), Dispute.mediator_id.is_not(None))
        .group_by(Dispute.mediator_id)
        .subquery()
    )
    rows = session.execute(
        select(Mediator.id, Mediator.division_path, Mediator.skills, func.coalesce(load_of.c.n, 0))
        .outerjoin(load_of, load_of.c.mediator_id == Mediator.id)
        .where(Mediator.active.is_(True), Mediator.division_path.in_(paths))
    ).all()
    return [routing.MediatorInfo(i, p, frozenset(s or ()), int(n)) for i, p, s, n in rows]


def decide(session: Session, dispute: Dispute) -> routing.Decision:
    snap = cache.snapshot(session)
    ancestry = snap.ancestry(dispute.division_id)
    paths = {p.id: snap.divisions[p.id].path for p in ancestry}
    district = next((snap.divisions[p.id].code for p in ancestry if p.level == "district"), "")
    rule = routing.choose_rule(routing.builtin_rules(), dispute.dispute_type, district, dispute.amount)
    skill = dispute_type(dispute.dispute_type).skill
    mediators = mediators_for(session, list(paths.values()))
    return routing.route(rule, ancestry, paths, agency_index(session), mediators, skill)


def assign_dispute(
    session: Session, actor: Principal, dispute_id: int, mediator_id: int | None = None, now: datetime | None = None
) -> Dispute:
    """分派 by the routing rules: the lead mediator (or the one the caller names, inside the dispute's area) and,
    for a joint mediation, one task per agency with its deadline."""
    require_mediator(actor)
    now = now or utcnow()
    dispute = load(session, actor, dispute_id, for_update=True)
    decision = decide(session, dispute)
    chosen = decision.mediator_id
    if mediator_id is not None:
        named = session.get(Mediator, mediator_id)
        if named is None or not named.active or not dispute.division_path.startswith(named.division_path):
            raise InvalidInput("所选调解员不存在或不负责纠纷发生地", field="mediator_id")
        chosen = named.id
    if chosen is None:
        raise Conflict("纠纷发生地没有可分派的调解员，请先登记调解员", field="mediator_id")
    dispute.mediator_id, dispute.lead_division_id, dispute.rule_line = (
        chosen,
        decision.lead_division_id,
        decision.rule.line,
    )
    calendar = load_calendar(session)
    secs = decision.rule.deadline_days * calendar.seconds_per_day
    clock = start_clock(calendar, now, secs, settings_of(session).sla_warn_ratio)
    for kind, agency_id in decision.agency_ids:
        dispute.tasks.append(
            DisputeTask(
                agency_id=agency_id,
                agency_kind=kind.value,
                status=TaskStatus.PENDING.value,
                started_at=now,
                warn_at=clock.warn_at,
                deadline_at=clock.deadline_at,
            )
        )
    data = {
        "mediator_id": chosen,
        "rule_line": decision.rule.line,
        "joint": [a for _k, a in decision.agency_ids],
        "missing": [k.value for k in decision.missing],
        "deadline_at": clock.deadline_at.isoformat() if decision.agency_ids else None,
    }
    return advance(session, actor, dispute, MediationAction.ASSIGN, now, data=data)


def complete_task(
    session: Session, actor: Principal, task_id: int, note: str, now: datetime | None = None
) -> DisputeTask:
    """An agency's feedback on its part of a joint mediation: its handlers (the agency's department) or the
    dispute's own mediators."""
    now = now or utcnow()
    task = session.get(DisputeTask, task_id)
    if task is None:
        raise NotFound("联调任务不存在", field="task_id")
    agency = session.get(MediationAgency, task.agency_id)
    own = agency is not None and agency.department_id is not None and agency.department_id == actor.department_id
    if not own:
        require_mediator(actor)
        load(session, actor, task.dispute_id)  # in scope, or 404
    if task.status != TaskStatus.PENDING.value:
        raise Conflict("该联调任务已反馈", field="task_id")
    if not note.strip():
        raise InvalidInput("请填写联调反馈", field="note")
    task.status, task.done_at, task.note = TaskStatus.DONE.value, now, note.strip()
    record_audit(session, actor, MediationAudit.TASK_DONE, "dispute_task", task.id, {"dispute_id": task.dispute_id})
    bus.publish(session, "mediation.task_done", "dispute", task.dispute_id, {"task_id": task.id}, actor=actor, at=now)
    return task


def sweep_tasks(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Yellow warnings and red marks on pending joint tasks (dispatch/sla.py's rule); an overdue task is raised to
    the division one tier above its agency's (the escalation ladder of common/levels.py). The caller commits."""
    now = now or utcnow()
    snap = cache.snapshot(session)
    counts = {"yellow": 0, "red": 0, "escalated": 0}
    pending = session.scalars(
        select(DisputeTask).where(
            DisputeTask.status == TaskStatus.PENDING.value, DisputeTask.sla_state != "red", DisputeTask.warn_at <= now
        )
    ).all()
    agencies = {a.id: a for a in session.scalars(select(MediationAgency))}
    for task in pending:
        state = sla_state(now, task.warn_at, task.deadline_at)
        if state == task.sla_state:
            continue
        task.sla_state = state
        counts[state] += 1
        if state != "red":
            continue
        place = snap.divisions[agencies[task.agency_id].division_id]
        up = next_tier(place.level) if place.level in TIERS else None
        target = snap.ancestor_at(place.id, up) if up else None
        if target is not None:
            task.escalated_to_id = target
            counts["escalated"] += 1
        detail = {"dispute_id": task.dispute_id, "escalated_to": target}
        record_audit(session, SYSTEM_PRINCIPAL, MediationAudit.TASK_ESCALATE, "dispute_task", task.id, detail)
        bus.publish(session, "mediation.task_overdue", "dispute", task.dispute_id, detail, at=now)
    return counts
