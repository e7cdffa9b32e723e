"""吹哨报到: a community workstation or a street centre summons chosen departments onto a live case with a note
and a deadline to report in (one action); each summoned department reports in (报到: its response time) and
later reports its result; until it reports in, the centre may withdraw the summons (撤回吹哨). Each step is a
case step (history row + domain event `event.<action>` whose payload names the departments, so the
notifications can find their people) and an audit row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import as_utc
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.choice import in_chain
from gridgov.dispatch.guards import lead_task, note_for, require_area
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.models import Event, EventSummons
from gridgov.dispatch.rules import PENDING_SUMMONS, Action, SummonsStatus, check_summons_step
from gridgov.dispatch.schemas import SummonIn, SummonsStepIn
from gridgov.org import cache


def response_minutes(summons: EventSummons) -> float | None:
    """Minutes from the whistle to the report-in (natural time), or None before it."""
    if summons.reported_in_at is None:
        return None
    return round((as_utc(summons.reported_in_at) - as_utc(summons.summoned_at)).total_seconds() / 60, 1)


def summon_departments(
    session: Session, actor: Principal, event_id: int, cmd: SummonIn, now: datetime | None = None
) -> Event:
    """吹哨: every chosen department is summoned at once; only onto a case of the caller's own area."""

    def check(actor: Principal, event: Event) -> None:
        if actor.role == Role.GRID_WORKER:
            if event.grid_id not in actor.grid_ids:
                raise Forbidden("网格员只能对本网格的事件吹哨")
        elif actor.role != Role.ADMIN:
            require_area(actor, event)

    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.SUMMON, cmd.note)
        names = cache.snapshot(session).dept_names
        lead = lead_task(event)
        waiting = {
            s.department_id
            for s in session.scalars(select(EventSummons).where(EventSummons.event_id == event.id))
            if s.status in PENDING_SUMMONS
        }
        chosen = list(dict.fromkeys(cmd.department_ids))
        for dept in chosen:
            if not in_chain(session, event, dept):
                raise InvalidInput(f"部门（id {dept}）须为事件所在社区、街道或区的在用部门", field="department_ids")
            if lead is not None and lead.department_id == dept:
                raise InvalidInput(f"{names.get(dept, dept)}是本案主办单位，无需吹哨", field="department_ids")
        again = [d for d in chosen if d in waiting]
        if again:
            listed = "、".join(names.get(d, str(d)) for d in again)
            raise Conflict(f"已吹哨且尚未反馈结果：{listed}", field="department_ids", pending=again)
        respond_by = at + timedelta(minutes=cmd.respond_within_minutes)
        rows = [
            EventSummons(
                event_id=event.id,
                department_id=dept,
                status=SummonsStatus.SUMMONED.value,
                note=note or "",
                summoned_at=at,
                respond_by=respond_by,
                summoned_by_id=actor.user_id,
                centre_division_id=actor.division_id,
            )
            for dept in chosen
        ]
        session.add_all(rows)
        session.flush()
        summoned = [
            {"summons_id": r.id, "department_id": r.department_id, "department": names.get(r.department_id)}
            for r in rows
        ]
        data: dict[str, object] = {"summons": summoned, "department_ids": chosen, "respond_by": respond_by.isoformat()}
        record_audit(session, actor, DispatchAudit.SUMMON, "event", event.id, data)
        return Step(note=note, data=data)

    return perform(session, actor, event_id, Action.SUMMON, apply, check=check, now=now)


def _step(
    session: Session, actor: Principal, event_id: int, cmd: SummonsStepIn, action: Action, now: datetime | None
) -> Event:
    def apply(event: Event, at: datetime) -> Step:
        summons = session.get(EventSummons, cmd.summons_id, with_for_update=True)
        if summons is None or summons.event_id != event.id:
            raise NotFound("该事件没有这条吹哨记录", field="summons_id")
        if actor.department_id is None or actor.department_id != summons.department_id:
            raise Forbidden("您的部门不是这次吹哨召集的部门", field="summons_id")
        after = check_summons_step(action, SummonsStatus(summons.status), actor.role)
        note = note_for(action, cmd.note)
        summons.status = after.value
        data: dict[str, object] = {
            "summons_id": summons.id,
            "department_id": summons.department_id,
            "department": cache.snapshot(session).dept_names.get(summons.department_id),
            "summoned_by_id": summons.summoned_by_id,
        }
        if action == Action.REPORT_IN:
            summons.reported_in_at, summons.reported_in_by_id, summons.report_in_note = at, actor.user_id, note
            data["response_minutes"] = response_minutes(summons)
            data["on_time"] = at <= as_utc(summons.respond_by)
            audit = DispatchAudit.REPORT_IN
        else:
            summons.result_at, summons.result_by_id, summons.result_note = at, actor.user_id, note
            audit = DispatchAudit.SUMMONS_RESULT
        record_audit(session, actor, audit, "event_summons", summons.id, data)
        return Step(note=note, data=data)

    return perform(session, actor, event_id, action, apply, now=now)


def report_in(
    session: Session, actor: Principal, event_id: int, cmd: SummonsStepIn, now: datetime | None = None
) -> Event:
    """报到: the summoned department is on the case; the time since the whistle is its response time."""
    return _step(session, actor, event_id, cmd, Action.REPORT_IN, now)


def report_summons_result(
    session: Session, actor: Principal, event_id: int, cmd: SummonsStepIn, now: datetime | None = None
) -> Event:
    """报到反馈: what the summoned department did (after it reported in)."""
    return _step(session, actor, event_id, cmd, Action.SUMMONS_RESULT, now)


def may_withdraw(actor: Principal, summons: EventSummons) -> bool:
    """Who may call a summons off: whoever blew the whistle, a colleague of the same centre (its community
    workstation, street or district centre), or the admin."""
    if actor.role == Role.ADMIN:
        return True
    if actor.user_id is not None and actor.user_id == summons.summoned_by_id:
        return True
    return (
        actor.role in (Role.COMMUNITY_STAFF, Role.DISPATCHER)
        and summons.centre_division_id is not None
        and actor.division_id == summons.centre_division_id
    )


def withdraw_summons(
    session: Session, actor: Principal, event_id: int, cmd: SummonsStepIn, now: datetime | None = None
) -> Event:
    """撤回吹哨: the summoning centre calls a department off with a reason, while it has not reported in yet; a
    summons reported in (or already withdrawn) is refused with the steps it still allows."""

    def apply(event: Event, at: datetime) -> Step:
        summons = session.get(EventSummons, cmd.summons_id, with_for_update=True)
        if summons is None or summons.event_id != event.id:
            raise NotFound("该事件没有这条吹哨记录", field="summons_id")
        if not may_withdraw(actor, summons):
            raise Forbidden("只有吹哨的人员或其所在中心可以撤回这次吹哨", field="summons_id")
        after = check_summons_step(Action.WITHDRAW_SUMMONS, SummonsStatus(summons.status), actor.role)
        note = note_for(Action.WITHDRAW_SUMMONS, cmd.note)
        summons.status = after.value
        summons.withdrawn_at, summons.withdrawn_by_id, summons.withdraw_note = at, actor.user_id, note
        data: dict[str, object] = {
            "summons_id": summons.id,
            "department_id": summons.department_id,
            "department": cache.snapshot(session).dept_names.get(summons.department_id),
            "summoned_by_id": summons.summoned_by_id,
        }
        record_audit(session, actor, DispatchAudit.WITHDRAW_SUMMONS, "event_summons", summons.id, data)
        return Step(note=note, data=data)

    return perform(session, actor, event_id, Action.WITHDRAW_SUMMONS, apply, now=now)
