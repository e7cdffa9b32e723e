"""One service function per lifecycle action: check role and scope, change the case, record it, commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.cache import CategoryInfo, RuleInfo
from gridgov.catalog.services import load_calendar
from gridgov.common.audit import emit
from gridgov.common.errors import Conflict, Forbidden, InvalidInput
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import as_utc, utcnow
from gridgov.db import settings_of
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.intake import category_by_code, load_visible
from gridgov.dispatch.models import Event, EventTask, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.routing import Route, choose_route
from gridgov.dispatch.rules import TERMINAL, TRANSITIONS, Action, Status, check_transition
from gridgov.dispatch.schemas import ActionIn
from gridgov.dispatch.sla import Clock, extend_clock, limit_seconds, sla_state, start_clock
from gridgov.org import cache
from gridgov.org.levels import LEVEL_ORDER, next_tier

ACTIVE_TASK = (TaskStatus.PENDING.value, TaskStatus.ACCEPTED.value)


# --- scope checks (who may act on this particular case) -------------------------------------------------


def _in_subtree(actor: Principal, event: Event) -> bool:
    path = actor.division_path
    if not path:
        return False
    if event.grid_id is None:  # not placed yet: raised here, below, or above (see scope.unplaced_above)
        return event.division_path.startswith(path) or path.startswith(event.division_path)
    return event.division_path.startswith(path)


def _require_dispatcher_scope(actor: Principal, event: Event) -> None:
    if actor.role == Role.ADMIN:
        return
    if not _in_subtree(actor, event):
        raise Forbidden("该事件不在您的管辖范围内")
    require_tier(actor, event.level)


def require_tier(actor: Principal, level: str, field: str | None = None) -> None:
    """A community centre files and dispatches grid- and community-level cases only."""
    if actor.role == Role.COMMUNITY_STAFF and LEVEL_ORDER[level] > LEVEL_ORDER["community"]:
        raise Forbidden("社区只能处理网格和社区层级的事件，请由街道分拨", field=field)


def _lead_task(event: Event) -> EventTask | None:
    """The current lead: the newest lead task not withdrawn (a reopened case has older, finished ones)."""
    for task in reversed(event.tasks):
        if task.role == TaskRole.LEAD.value and task.status != TaskStatus.CANCELLED.value:
            return task
    return None


def _owns(actor: Principal, task: EventTask | None) -> bool:
    if task is None:
        return False
    if task.department_id is not None:
        return actor.department_id == task.department_id
    return task.grid_id is not None and task.grid_id in actor.grid_ids


def _require_lead(actor: Principal, event: Event) -> EventTask:
    task = _lead_task(event)
    if task is None or not _owns(actor, task):
        raise Forbidden("您不是该事件的主办单位")
    return task


def _is_reporter(actor: Principal, event: Event) -> bool:
    if actor.public_event_id is not None:
        return actor.public_event_id == event.id
    return actor.user_id is not None and event.reporter_id == actor.user_id


def _guard(actor: Principal, event: Event, action: Action) -> None:
    """Refuse an illegal transition before any other check, so the caller learns what is allowed."""
    check_transition(action, Status(event.status), actor.role)


def _note(action: Action, payload: ActionIn) -> str | None:
    note = (payload.note or "").strip() or None
    if TRANSITIONS[action].needs_note and note is None:
        raise InvalidInput(f"“{action.label}”需要填写说明", field="note")
    return note


# --- routing and the clock ------------------------------------------------------------------------------


def _grid(event: Event) -> int:
    if event.grid_id is None:
        raise Conflict("事件尚未定位到网格，请先在地址待确认中确认地址", field="address")
    return event.grid_id


def _route(session: Session, event: Event, category: CategoryInfo, start_level: str) -> Route:
    return route_for(session, _grid(event), category, start_level)


def route_for(session: Session, grid_id: int, category: CategoryInfo, start_level: str) -> Route:
    """The catalog's routing for this 小类, overridden by the most specific routing rule that applies here."""
    snap = cache.snapshot(session)
    ancestry = snap.ancestry(grid_id)
    lead_type, co_types = category.dept_type, list(category.co_dept_types)
    ids_up = {p.id for p in ancestry}
    best: tuple[int, RuleInfo] | None = None
    for rule in catalog_cache.snapshot(session).rules:
        if rule.category_id is not None and rule.category_id != category.id:
            continue
        if rule.division_id is not None and rule.division_id not in ids_up:
            continue
        depth = snap.divisions[rule.division_id].path.count("/") if rule.division_id else 0
        score = depth * 2 + (1 if rule.category_id is not None else 0)
        if best is None or score > best[0]:
            best = (score, rule)
    if best is not None:
        lead_type, co_types = best[1].lead_dept_type, list(best[1].co_dept_types)
        if best[1].level and LEVEL_ORDER[best[1].level] > LEVEL_ORDER[start_level]:
            start_level = best[1].level
    return choose_route(ancestry, lead_type, co_types, start_level, snap.departments)


def _assign(session: Session, event: Event, route: Route, now: datetime) -> None:
    for task in event.tasks:
        if task.status in ACTIVE_TASK:
            task.status, task.done_at = TaskStatus.CANCELLED.value, now
    session.add(
        EventTask(
            event=event,
            role=TaskRole.LEAD.value,
            department_id=route.lead_department_id,
            grid_id=route.lead_grid_id,
            created_at=now,
        )
    )
    for dept in route.co_department_ids:
        session.add(EventTask(event=event, role=TaskRole.CO.value, department_id=dept, created_at=now))
    event.level, event.owner_division_id = route.level, route.owner_division_id


def clock_for(session: Session, area_class: str, category: CategoryInfo, now: datetime) -> Clock:
    cal = load_calendar(session)
    secs = limit_seconds(cal, category.limit_for(area_class), category.limit_unit)
    return start_clock(cal, now, secs, settings_of(session).sla_warn_ratio)


def _start_clock(session: Session, event: Event, category: CategoryInfo, now: datetime) -> None:
    clock = clock_for(session, event.area_class, category, now)
    event.clock_started_at, event.warn_at, event.deadline_at = (
        clock.started_at,
        clock.warn_at,
        clock.deadline_at,
    )
    if event.first_deadline_at is None:
        event.first_deadline_at = clock.deadline_at
    event.sla_state = SlaState.NORMAL.value


def _shift_clock(session: Session, event: Event, extra_secs: float, now: datetime) -> None:
    if event.clock_started_at is None or event.deadline_at is None or event.warn_at is None:
        return
    cal = load_calendar(session)
    old = Clock(as_utc(event.clock_started_at), as_utc(event.warn_at), as_utc(event.deadline_at))
    new = extend_clock(cal, old, extra_secs, settings_of(session).sla_warn_ratio)
    event.warn_at, event.deadline_at = new.warn_at, new.deadline_at
    # Warnings and overdue marks are the sweeper's to write (with their history rows and escalation); a shifted
    # clock only clears them. A case already red at the top tier stays red while it is still overdue.
    still_red = event.sla_state == SlaState.RED.value and sla_state(now, new.warn_at, new.deadline_at) == "red"
    event.sla_state = SlaState.RED.value if still_red else SlaState.NORMAL.value


def _category(session: Session, event: Event, payload: ActionIn) -> CategoryInfo:
    if payload.category_code:
        cat = category_by_code(session, payload.category_code)
        if event.category_id != cat.id:
            event.category_id = cat.id
            if event.status in (Status.REPORTED.value, Status.FILED.value):
                event.level = cat.default_level
            elif event.status == Status.RETURNED.value:  # mis-dispatched: the new category's tier, never lower
                event.level = max(event.level, cat.default_level, key=LEVEL_ORDER.__getitem__)
        return cat
    if event.category_id is None:
        raise InvalidInput("请先为事件选择小类", field="category_code")
    return catalog_cache.snapshot(session).by_id[event.category_id]


# --- actions --------------------------------------------------------------------------------------------


def file_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.FILE)
    _require_dispatcher_scope(actor, event)
    cat = _category(session, event, payload)
    snap = cache.snapshot(session)
    if event.grid_id is not None:
        event.owner_division_id = snap.ancestor_at(event.grid_id, event.level)
    event.filed_at = now
    apply_transition(
        session,
        actor,
        event,
        Action.FILE,
        now,
        note=_note(Action.FILE, payload),
        data={"category": cat.code, "level": event.level},
    )
    session.commit()
    return event


def reject_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.REJECT)
    _require_dispatcher_scope(actor, event)
    note = _note(Action.REJECT, payload)
    event.reject_reason, event.closed_at = note, now
    apply_transition(session, actor, event, Action.REJECT, now, note=note)
    session.commit()
    return event


def dispatch_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.DISPATCH)
    _require_dispatcher_scope(actor, event)
    cat = _category(session, event, payload)
    route = _route(session, event, cat, event.level)
    _assign(session, event, route, now)
    event.dispatched_at = now
    _start_clock(session, event, cat, now)
    apply_transition(
        session,
        actor,
        event,
        Action.DISPATCH,
        now,
        note=_note(Action.DISPATCH, payload),
        data=route_data(session, route, cat),
    )
    session.commit()
    return event


def route_data(session: Session, route: Route, cat: CategoryInfo) -> dict[str, object]:
    names = cache.snapshot(session).dept_names
    return {
        "category": cat.code,
        "level": route.level,
        "lead_department": names.get(route.lead_department_id) if route.lead_department_id else None,
        "lead_grid_id": route.lead_grid_id,
        "co_departments": [names.get(d, str(d)) for d in route.co_department_ids],
    }


def accept_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.ACCEPT)
    task = _require_lead(actor, event)
    task.status = TaskStatus.ACCEPTED.value
    apply_transition(session, actor, event, Action.ACCEPT, now, note=_note(Action.ACCEPT, payload))
    session.commit()
    return event


def return_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """退回: mis-dispatched, back to the dispatcher with the reason; all open tasks are withdrawn."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.RETURN)
    _require_lead(actor, event)
    note = _note(Action.RETURN, payload)
    for task in event.tasks:
        if task.status in ACTIVE_TASK:
            task.status, task.done_at = TaskStatus.CANCELLED.value, now
    event.return_count += 1
    event.sla_state = SlaState.NORMAL.value
    apply_transition(session, actor, event, Action.RETURN, now, note=note)
    session.commit()
    return event


def request_extension(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.REQUEST_EXTENSION)
    _require_lead(actor, event)
    if payload.hours is None:
        raise InvalidInput("请填写申请延期的工作小时数", field="hours")
    if event.extension_requested is not None:
        raise Conflict("已有待审批的延期申请", field="hours")
    note = _note(Action.REQUEST_EXTENSION, payload)
    event.extension_requested = payload.hours
    apply_transition(session, actor, event, Action.REQUEST_EXTENSION, now, note=note, data={"hours": payload.hours})
    session.commit()
    return event


def decide_extension(
    session: Session,
    actor: Principal,
    event_id: int,
    payload: ActionIn,
    approve: bool,
    now: datetime | None = None,
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _require_dispatcher_scope(actor, event)
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    _guard(actor, event, action)
    if event.extension_requested is None:
        raise Conflict("没有待审批的延期申请", field="hours")
    hours = payload.hours or event.extension_requested
    note = _note(action, payload)
    data: dict[str, object] = {"hours": hours if approve else 0}
    if approve:
        _shift_clock(session, event, hours * 3600, now)
        event.extension_granted_hours += hours
        data["deadline_at"] = event.deadline_at.isoformat() if event.deadline_at else None
    event.extension_requested = None
    apply_transition(session, actor, event, action, now, note=note, data=data)
    session.commit()
    return event


def hold_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """挂账: a long-running case; its clock stops until it is resumed."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.HOLD)
    _require_dispatcher_scope(actor, event)
    note = _note(Action.HOLD, payload)
    event.hold_started_at = now
    apply_transition(session, actor, event, Action.HOLD, now, note=note)
    session.commit()
    return event


def resume_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.RESUME)
    _require_dispatcher_scope(actor, event)
    held = 0.0
    if event.hold_started_at is not None:
        held = load_calendar(session).working_seconds_between(as_utc(event.hold_started_at), now)
    apply_transition(
        session,
        actor,
        event,
        Action.RESUME,
        now,
        note=_note(Action.RESUME, payload),
        data={"held_working_hours": round(held / 3600, 2)},
    )
    _shift_clock(session, event, held, now)
    event.hold_started_at = None
    session.commit()
    return event


def co_report(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """A co-department (吹哨报到) reports its part; the lead cannot finish until every co-department has."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.CO_REPORT)
    mine = [
        t
        for t in event.tasks
        if t.role == TaskRole.CO.value and t.status in ACTIVE_TASK and t.department_id == actor.department_id
    ]
    if not mine:
        raise Forbidden("您的部门不是该事件的协办单位或已反馈")
    note = (payload.note or "").strip()
    if not note:
        raise InvalidInput("请填写协办反馈内容", field="note")
    for task in mine:
        task.status, task.note, task.done_at = TaskStatus.REPORTED.value, note, now
    apply_transition(
        session,
        actor,
        event,
        Action.CO_REPORT,
        now,
        note=note,
        attachments=payload.attachments,
        data={"department_id": actor.department_id},
    )
    session.commit()
    return event


def handle_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.HANDLE)
    task = _require_lead(actor, event)
    note = _note(Action.HANDLE, payload)
    pending = [t for t in event.tasks if t.role == TaskRole.CO.value and t.status in ACTIVE_TASK]
    if pending:
        names = cache.snapshot(session).dept_names
        waiting = "、".join(names.get(t.department_id or 0, "?") for t in pending)
        raise Conflict(
            f"协办单位尚未反馈：{waiting}", field="co_departments", pending=[t.department_id for t in pending]
        )
    from gridgov.dispatch.intake import _check_attachments

    _check_attachments(session, payload.attachments)
    task.status, task.note, task.done_at = TaskStatus.REPORTED.value, note, now
    event.result_note, event.handled_at, event.handled_by_id = note, now, actor.user_id
    apply_transition(session, actor, event, Action.HANDLE, now, note=note, attachments=payload.attachments)
    session.commit()
    return event


def verify_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """复核 on site: pass closes the case, fail sends it back to the handler."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.VERIFY_PASS)
    if payload.passed is None:
        raise InvalidInput("请选择复核是否通过", field="passed")
    if actor.role == Role.GRID_WORKER and event.grid_id not in actor.grid_ids:
        raise Forbidden("只能复核本网格的事件")
    if event.handled_by_id is not None and event.handled_by_id == actor.user_id:
        raise Forbidden("处置人不能复核自己处置的事件，请由其他网格员或社区复核")
    action = Action.VERIFY_PASS if payload.passed else Action.VERIFY_FAIL
    note = _note(action, payload)
    if payload.passed:
        event.closed_at = now
        for task in event.tasks:
            if task.status == TaskStatus.REPORTED.value:
                task.status = TaskStatus.DONE.value
    else:
        lead = _lead_task(event)
        if lead is not None:
            lead.status, lead.done_at = TaskStatus.ACCEPTED.value, None
        event.handled_at = None
    apply_transition(session, actor, event, action, now, note=note, attachments=payload.attachments)
    session.commit()
    return event


def rate_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.RATE)
    if not _is_reporter(actor, event):
        raise Forbidden("只有上报人可以评价")
    if payload.rating is None:
        raise InvalidInput("请给出 1-5 的满意度评分", field="rating")
    event.rating, event.rating_comment = payload.rating, (payload.note or "").strip() or None
    apply_transition(
        session, actor, event, Action.RATE, now, note=event.rating_comment, data={"rating": payload.rating}
    )
    session.commit()
    return event


def reopen_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """Resident not satisfied (or a dispatcher's review): the case goes back to be dispatched again."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.REOPEN)
    if actor.role == Role.RESIDENT and not _is_reporter(actor, event):
        raise Forbidden("只有上报人可以要求重新办理")
    if actor.role == Role.DISPATCHER:
        _require_dispatcher_scope(actor, event)
    note = _note(Action.REOPEN, payload)
    event.reopen_count += 1
    event.closed_at = event.handled_at = None
    event.clock_started_at = event.warn_at = event.deadline_at = None
    event.sla_state = SlaState.NORMAL.value
    apply_transition(session, actor, event, Action.REOPEN, now, note=note)
    session.commit()
    return event


def supervise_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.SUPERVISE)
    _require_dispatcher_scope(actor, event)
    note = _note(Action.SUPERVISE, payload)
    event.supervised_count += 1
    apply_transition(session, actor, event, Action.SUPERVISE, now, note=note, data={"count": event.supervised_count})
    session.commit()
    return event


def escalate_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """Beyond this tier's means: move the case up (grid → community → street → district) to the next tier that
    has a department of the case's type (a grid 城管 case goes to the street's 执法队: communities have none)."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.ESCALATE)
    if actor.role in (Role.HANDLER, Role.GRID_WORKER) and not _owns(actor, _lead_task(event)):
        raise Forbidden("只有主办单位可以申请上报上级")
    if actor.role in (Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.LEADER) and not _in_subtree(actor, event):
        raise Forbidden("该事件不在您的管辖范围内")
    note = _note(Action.ESCALATE, payload)
    escalate(session, actor, event, now, note)
    session.commit()
    return event


def escalate(session: Session, actor: Principal, event: Event, now: datetime, note: str | None) -> bool:
    """Move `event` one tier up; returns False when it is already at the top tier. Does not commit."""
    up = next_tier(event.level)
    if up is None:
        if actor.role != Role.SYSTEM:
            raise Conflict("事件已在区级，无法继续上报", field="level")
        return False
    grid_id = _grid(event)
    before = event.level
    data: dict[str, object] = {"from_level": before}
    to_status: Status | None = None
    if event.status in (Status.DISPATCHED.value, Status.ACCEPTED.value) and event.category_id is not None:
        cat = catalog_cache.snapshot(session).by_id[event.category_id]
        route = _route(session, event, cat, up)
        _assign(session, event, route, now)
        _start_clock(session, event, cat, now)
        data.update(route_data(session, route, cat))
        to_status = Status.DISPATCHED
    else:
        event.level = up
        event.owner_division_id = cache.snapshot(session).ancestor_at(grid_id, up)
    data["to_level"] = event.level
    event.escalation_count += 1
    apply_transition(session, actor, event, Action.ESCALATE, now, note=note, data=data, to_status=to_status)
    return True


def locate_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """A dispatcher confirms the case's standard address (and, for a case not yet placed, its grid)."""
    from gridgov.address.models import Address, AddressStatus
    from gridgov.dispatch.intake import attach_address

    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.LOCATE)
    if actor.role != Role.ADMIN and not _in_subtree(actor, event):
        raise Forbidden("该事件不在您的管辖范围内")
    if not payload.address_code:
        raise InvalidInput("请选择标准地址", field="address_code")
    address = session.scalar(select(Address).where(Address.code == payload.address_code))
    if address is None or address.status != AddressStatus.ACTIVE.value:
        raise InvalidInput(f"标准地址“{payload.address_code}”不存在或已停用", field="address_code")
    attach_address(session, actor, event.id, address, 1.0, now)
    session.commit()
    return event


def merge_event(
    session: Session, actor: Principal, event_id: int, payload: ActionIn, now: datetime | None = None
) -> Event:
    """A duplicate report joins its main case: it is closed as 已合并 and points at the main case (whose detail
    lists the duplicates merged into it, and whose outbox gets an event.duplicate_merged)."""
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    _guard(actor, event, Action.MERGE)
    _require_dispatcher_scope(actor, event)
    if payload.into_event_id is None:
        raise InvalidInput("请选择要并入的主案件", field="into_event_id")
    if payload.into_event_id == event.id:
        raise InvalidInput("不能并入自身", field="into_event_id")
    main = load_visible(session, actor, payload.into_event_id, for_update=True)
    if Status(main.status) in TERMINAL:
        raise Conflict("主案件已办结或已合并，不能再并入", field="into_event_id")
    event.merged_into_id, event.closed_at = main.id, now
    note = (payload.note or "").strip() or f"重复上报，并入 {main.number}"
    apply_transition(
        session, actor, event, Action.MERGE, now, note=note, data={"into": main.id, "into_number": main.number}
    )
    emit(session, "event.duplicate_merged", "event", main.id, {"duplicate": event.id, "number": event.number}, at=now)
    session.commit()
    return event
