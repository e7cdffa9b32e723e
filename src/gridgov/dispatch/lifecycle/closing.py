"""复核 (on site), 评价, 重新办理, 督办 and 上报上级: closing the loop, and pressure from above."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.verifiers import Verifier
from gridgov.common.errors import Conflict, Forbidden
from gridgov.common.levels import next_tier
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.assign import assign, placed_grid, restart_clock, route_data, route_for
from gridgov.dispatch.attachments import check_attachments
from gridgov.dispatch.guards import (
    lead_task,
    note_for,
    owns,
    require_dispatcher,
    require_reporter,
    within_area,
)
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.models import Event, SlaState, TaskStatus
from gridgov.dispatch.rules import Action, Status
from gridgov.dispatch.schemas import NoteIn, RateIn, VerifyIn
from gridgov.dispatch.verification import may_verify
from gridgov.org import cache


def verify_event(
    session: Session, actor: Principal, event_id: int, cmd: VerifyIn, now: datetime | None = None
) -> Event:
    """复核 on site: pass closes the case, fail sends it back to the handler."""

    def check(actor: Principal, event: Event) -> None:
        if event.handled_by_id is not None and event.handled_by_id == actor.user_id:
            raise Forbidden("处置人不能复核自己处置的事件，请由其他网格员或社区复核")
        if not may_verify(actor, event):
            who = Verifier(event.verifier).label if event.verifier else "本网格网格员或社区"
            raise Forbidden(f"该事件由{who}复核")

    def apply(event: Event, at: datetime) -> Step:
        action = Action.VERIFY_PASS if cmd.passed else Action.VERIFY_FAIL
        note = note_for(action, cmd.note)
        check_attachments(session, cmd.attachments)
        if cmd.passed:
            event.closed_at = at
            for task in event.tasks:
                if task.status == TaskStatus.REPORTED.value:
                    task.status = TaskStatus.DONE.value
        else:
            lead = lead_task(event)
            if lead is not None:
                lead.status, lead.done_at = TaskStatus.ACCEPTED.value, None
            event.handled_at = None
        return Step(note=note, attachments=cmd.attachments, action=action)

    return perform(session, actor, event_id, Action.VERIFY_PASS, apply, check=check, now=now)


def rate_event(session: Session, actor: Principal, event_id: int, cmd: RateIn, now: datetime | None = None) -> Event:
    def apply(event: Event, _at: datetime) -> Step:
        event.rating, event.rating_comment = cmd.rating, (cmd.note or "").strip() or None
        return Step(note=event.rating_comment, data={"rating": cmd.rating})

    def check(actor: Principal, event: Event) -> None:
        require_reporter(actor, event, "只有上报人可以评价")

    return perform(session, actor, event_id, Action.RATE, apply, check=check, now=now)


def reopen_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    """Resident not satisfied (or a dispatcher's review): the case goes back to be dispatched again."""

    def check(actor: Principal, event: Event) -> None:
        if actor.role == Role.RESIDENT:
            require_reporter(actor, event, "只有上报人可以要求重新办理")
        if actor.role == Role.DISPATCHER:
            require_dispatcher(actor, event)

    def apply(event: Event, _at: datetime) -> Step:
        note = note_for(Action.REOPEN, cmd.note)
        event.reopen_count += 1
        event.closed_at = event.handled_at = None
        event.clock_started_at = event.warn_at = event.deadline_at = None
        event.sla_state = SlaState.NORMAL.value
        return Step(note=note)

    return perform(session, actor, event_id, Action.REOPEN, apply, check=check, now=now)


def supervise_event(
    session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None
) -> Event:
    def apply(event: Event, _at: datetime) -> Step:
        note = note_for(Action.SUPERVISE, cmd.note)
        event.supervised_count += 1
        return Step(note=note, data={"count": event.supervised_count})

    return perform(session, actor, event_id, Action.SUPERVISE, apply, check=require_dispatcher, now=now)


def escalate_event(
    session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None
) -> Event:
    """Beyond this tier's means: move the case up (grid → community → street → district) to the next tier that
    has a department of the case's type (a grid 城管 case goes to the street's 执法队: communities have none)."""

    def check(actor: Principal, event: Event) -> None:
        if actor.role in (Role.HANDLER, Role.GRID_WORKER) and not owns(actor, lead_task(event)):
            raise Forbidden("只有主办单位可以申请上报上级")
        if actor.role in (Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.LEADER) and not within_area(actor, event):
            raise Forbidden("该事件不在您的管辖范围内")

    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.ESCALATE, cmd.note)
        step = escalation(session, event, at)
        if step is None:
            raise Conflict("事件已在区级，无法继续上报", field="level")
        step.note = note
        return step

    return perform(session, actor, event_id, Action.ESCALATE, apply, check=check, now=now)


def escalate(session: Session, actor: Principal, event: Event, now: datetime, note: str | None) -> bool:
    """Move `event` one tier up and record it (the SLA sweeper's escalation); False when it is already at the
    top tier."""
    step = escalation(session, event, now)
    if step is None:
        return False
    apply_transition(session, actor, event, Action.ESCALATE, now, note=note, data=step.data, to_status=step.to_status)
    return True


def escalation(session: Session, event: Event, now: datetime) -> Step | None:
    """Change `event` to the next tier up (re-routed and on a fresh clock when it was being handled); the step to
    record, or None when it is already at the top tier."""
    up = next_tier(event.level)
    if up is None:
        return None
    grid_id = placed_grid(event)
    data: dict[str, object] = {"from_level": event.level}
    to_status: Status | None = None
    if event.status in (Status.DISPATCHED.value, Status.ACCEPTED.value) and event.category_id is not None:
        cat = catalog_cache.snapshot(session).by_id[event.category_id]
        route = route_for(session, grid_id, cat, up)
        assign(session, event, route, now)
        restart_clock(session, event, cat, now)
        data.update(route_data(session, route, cat))
        to_status = Status.DISPATCHED
    else:
        event.level = up
        event.owner_division_id = cache.snapshot(session).ancestor_at(grid_id, up)
    data["to_level"] = event.level
    event.escalation_count += 1
    return Step(data=data, to_status=to_status)
