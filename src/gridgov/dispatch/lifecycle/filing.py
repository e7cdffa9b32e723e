"""立案, 不立案, 派遣, 确认地址, 合并重复件, 拆分重复件: a dispatching centre's actions on a case before it is
handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.access import require_within
from gridgov.address.models import Address, AddressStatus
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.principal import Principal
from gridgov.dispatch.assign import assign, placed_grid, recategorize, restart_clock, route_data, suggest_route
from gridgov.dispatch.choice import choose
from gridgov.dispatch.guards import note_for, require_area, require_dispatcher
from gridgov.dispatch.history import publish_if_major
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.locate import place_at
from gridgov.dispatch.models import Event
from gridgov.dispatch.repeats import attached, detached
from gridgov.dispatch.rules import TERMINAL, Action, Status
from gridgov.dispatch.schemas import CategoryIn, DispatchIn, LocateIn, MergeIn, NoteIn
from gridgov.dispatch.scope import load_visible
from gridgov.org import cache


def file_event(
    session: Session, actor: Principal, event_id: int, cmd: CategoryIn, now: datetime | None = None
) -> Event:
    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.FILE, cmd.note)
        was = event.urgency
        cat = recategorize(session, event, cmd.category_code)
        if event.grid_id is not None:
            event.owner_division_id = cache.snapshot(session).ancestor_at(event.grid_id, event.level)
        event.filed_at = at
        publish_if_major(session, actor, event, was, at)
        return Step(note=note, data={"category": cat.code, "level": event.level, "urgency": event.urgency})

    return perform(session, actor, event_id, Action.FILE, apply, check=require_dispatcher, now=now)


def reject_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.REJECT, cmd.note)
        event.reject_reason, event.closed_at = note, at
        return Step(note=note)

    return perform(session, actor, event_id, Action.REJECT, apply, check=require_dispatcher, now=now)


def dispatch_event(
    session: Session, actor: Principal, event_id: int, cmd: CategoryIn, now: datetime | None = None
) -> Event:
    """派遣: the suggested route, or the dispatcher's choice (another lead with a reason, more co-departments,
    a named person: see choice.choose)."""
    chosen = cmd if isinstance(cmd, DispatchIn) else DispatchIn(**cmd.model_dump())

    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.DISPATCH, cmd.note)
        was = event.urgency
        cat = recategorize(session, event, cmd.category_code)
        suggestion = suggest_route(session, placed_grid(event), cat, event.level)
        choice = choose(session, actor, event, cat, suggestion, chosen, at)
        assign(session, event, choice.route, at, assignee_id=choice.assignee_id)
        event.dispatched_at = at
        restart_clock(session, event, cat, at)
        publish_if_major(session, actor, event, was, at)
        data = route_data(session, choice.route, cat)
        data["basis"] = suggestion.basis
        data.update(choice.data)
        data["urgency"] = event.urgency
        return Step(note=note, data=data)

    return perform(session, actor, event_id, Action.DISPATCH, apply, check=require_dispatcher, now=now)


def locate_event(
    session: Session, actor: Principal, event_id: int, cmd: LocateIn, now: datetime | None = None
) -> Event:
    """A dispatcher confirms the case's standard address (and, for a case not yet placed, its grid)."""

    def apply(event: Event, _at: datetime) -> Step:
        address = session.scalar(select(Address).where(Address.code == cmd.address_code))
        if address is None or address.status != AddressStatus.ACTIVE.value:
            raise InvalidInput(f"标准地址“{cmd.address_code}”不存在或已停用", field="address_code")
        require_within(session, actor, address, field="address_code")  # as resolve_review: only its own area
        return Step(note=address.full_name, data=place_at(session, event, address, 1.0))

    return perform(session, actor, event_id, Action.LOCATE, apply, check=require_area, now=now)


def merge_event(session: Session, actor: Principal, event_id: int, cmd: MergeIn, now: datetime | None = None) -> Event:
    """A duplicate report joins its main case: it is closed as 已合并 and points at the main case (whose detail
    lists the duplicates merged into it, and whose outbox gets an event.duplicate_merged)."""

    def apply(event: Event, at: datetime) -> Step:
        if cmd.into_event_id == event.id:
            raise InvalidInput("不能并入自身", field="into_event_id")
        main = load_visible(session, actor, cmd.into_event_id, for_update=True)
        if Status(main.status) in TERMINAL:
            raise Conflict("主案件已办结或已合并，不能再并入", field="into_event_id")
        event.merged_into_id, event.closed_at = main.id, at
        note = (cmd.note or "").strip() or f"重复上报，并入 {main.number}"
        attached(session, main.id, event.id, event.number or "", at, auto=False)
        return Step(note=note, data={"into": main.id, "into_number": main.number})

    return perform(session, actor, event_id, Action.MERGE, apply, check=require_dispatcher, now=now)


def split_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    """A report merged (by hand or at intake) into a case it does not repeat becomes a case of its own again:
    back to 已上报 for the dispatcher to file, and no longer counted on the case it had joined."""

    def apply(event: Event, _at: datetime) -> Step:
        main_id = event.merged_into_id
        if main_id is None:
            raise Conflict("该事件没有并入其他案件，无需拆分", field="event_id")
        main = session.get(Event, main_id)
        detached(session, main_id)
        event.merged_into_id, event.closed_at = None, None
        note = (cmd.note or "").strip() or f"不是 {main.number if main else main_id} 的重复诉求，拆分为独立案件"
        return Step(note=note, data={"from": main_id, "from_number": main.number if main else None})

    return perform(session, actor, event_id, Action.SPLIT, apply, check=require_dispatcher, now=now)
