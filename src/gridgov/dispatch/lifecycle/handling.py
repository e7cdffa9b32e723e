"""签收, 退回, 延期 (申请、批准、驳回), 挂账 and 解除挂账, 协办反馈, 处置完成: the handling of a dispatched case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.common.errors import Conflict, Forbidden, InvalidInput
from gridgov.common.principal import Principal
from gridgov.common.timeutil import as_utc
from gridgov.dispatch.assign import ACTIVE_TASK, shift_clock, time_basis
from gridgov.dispatch.attachments import check_attachments
from gridgov.dispatch.guards import note_for, require_dispatcher, require_lead
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.models import Event, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.rules import Action
from gridgov.dispatch.schemas import ExtensionDecisionIn, ExtensionRequestIn, NoteIn, ResultIn
from gridgov.org import cache


def accept_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    def apply(event: Event, _at: datetime) -> Step:
        note = note_for(Action.ACCEPT, cmd.note)
        require_lead(actor, event).status = TaskStatus.ACCEPTED.value
        return Step(note=note)

    return perform(session, actor, event_id, Action.ACCEPT, apply, now=now)


def return_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    """退回: mis-dispatched, back to the dispatcher with the reason; all open tasks are withdrawn."""

    def apply(event: Event, at: datetime) -> Step:
        require_lead(actor, event)
        note = note_for(Action.RETURN, cmd.note)
        for task in event.tasks:
            if task.status in ACTIVE_TASK:
                task.status, task.done_at = TaskStatus.CANCELLED.value, at
        event.return_count += 1
        event.sla_state = SlaState.NORMAL.value
        return Step(note=note)

    return perform(session, actor, event_id, Action.RETURN, apply, now=now)


def request_extension(
    session: Session, actor: Principal, event_id: int, cmd: ExtensionRequestIn, now: datetime | None = None
) -> Event:
    def apply(event: Event, _at: datetime) -> Step:
        require_lead(actor, event)
        if event.extension_requested is not None:
            raise Conflict("已有待审批的延期申请", field="hours")
        note = note_for(Action.REQUEST_EXTENSION, cmd.note)
        event.extension_requested = cmd.hours
        return Step(note=note, data={"hours": cmd.hours})

    return perform(session, actor, event_id, Action.REQUEST_EXTENSION, apply, now=now)


def _decide_extension(
    session: Session,
    actor: Principal,
    event_id: int,
    cmd: ExtensionDecisionIn,
    action: Action,
    now: datetime | None,
) -> Event:
    approve = action == Action.APPROVE_EXTENSION

    def apply(event: Event, at: datetime) -> Step:
        if event.extension_requested is None:
            raise Conflict("没有待审批的延期申请", field="hours")
        note = note_for(action, cmd.note)
        hours = cmd.hours or event.extension_requested
        data: dict[str, object] = {"hours": hours if approve else 0}
        if approve:
            shift_clock(session, event, hours * 3600, at)
            event.extension_granted_hours += hours
            data["deadline_at"] = event.deadline_at.isoformat() if event.deadline_at else None
        event.extension_requested = None
        return Step(note=note, data=data)

    return perform(session, actor, event_id, action, apply, check=require_dispatcher, now=now)


def approve_extension(
    session: Session, actor: Principal, event_id: int, cmd: ExtensionDecisionIn, now: datetime | None = None
) -> Event:
    """批准延期: the deadline moves by the hours granted (the hours asked for, unless the decision names others)."""
    return _decide_extension(session, actor, event_id, cmd, Action.APPROVE_EXTENSION, now)


def deny_extension(
    session: Session, actor: Principal, event_id: int, cmd: ExtensionDecisionIn, now: datetime | None = None
) -> Event:
    """驳回延期: the deadline stays; the reason is required."""
    return _decide_extension(session, actor, event_id, cmd, Action.DENY_EXTENSION, now)


def hold_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    """挂账: a long-running case; its clock stops until it is resumed."""

    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.HOLD, cmd.note)
        event.hold_started_at = at
        return Step(note=note)

    return perform(session, actor, event_id, Action.HOLD, apply, check=require_dispatcher, now=now)


def resume_event(session: Session, actor: Principal, event_id: int, cmd: NoteIn, now: datetime | None = None) -> Event:
    """解除挂账: the clock runs again, the deadline moved by the working time the case was held."""

    def apply(event: Event, at: datetime) -> Step:
        note = note_for(Action.RESUME, cmd.note)
        held = 0.0
        if event.hold_started_at is not None:
            held = time_basis(session, event.clock_basis).working_seconds_between(as_utc(event.hold_started_at), at)
        shift_clock(session, event, held, at)
        event.hold_started_at = None
        return Step(note=note, data={"held_working_hours": round(held / 3600, 2)})

    return perform(session, actor, event_id, Action.RESUME, apply, check=require_dispatcher, now=now)


def co_report(session: Session, actor: Principal, event_id: int, cmd: ResultIn, now: datetime | None = None) -> Event:
    """A co-department (吹哨报到) reports its part; the lead cannot finish until every co-department has."""

    def apply(event: Event, at: datetime) -> Step:
        mine = [
            t
            for t in event.tasks
            if t.role == TaskRole.CO.value and t.status in ACTIVE_TASK and t.department_id == actor.department_id
        ]
        if not mine:
            raise Forbidden("您的部门不是该事件的协办单位或已反馈")
        note = (cmd.note or "").strip()
        if not note:
            raise InvalidInput("请填写协办反馈内容", field="note")
        check_attachments(session, cmd.attachments)
        for task in mine:
            task.status, task.note, task.done_at = TaskStatus.REPORTED.value, note, at
        return Step(note=note, attachments=cmd.attachments, data={"department_id": actor.department_id})

    return perform(session, actor, event_id, Action.CO_REPORT, apply, now=now)


def handle_event(
    session: Session, actor: Principal, event_id: int, cmd: ResultIn, now: datetime | None = None
) -> Event:
    """处置完成: the lead reports the result with photos, once every co-department has reported."""

    def apply(event: Event, at: datetime) -> Step:
        task = require_lead(actor, event)
        note = note_for(Action.HANDLE, cmd.note)
        pending = [t for t in event.tasks if t.role == TaskRole.CO.value and t.status in ACTIVE_TASK]
        if pending:
            names = cache.snapshot(session).dept_names
            waiting = "、".join(names.get(t.department_id or 0, "?") for t in pending)
            raise Conflict(
                f"协办单位尚未反馈：{waiting}", field="co_departments", pending=[t.department_id for t in pending]
            )
        check_attachments(session, cmd.attachments)
        task.status, task.note, task.done_at = TaskStatus.REPORTED.value, note, at
        event.result_note, event.handled_at, event.handled_by_id = note, at, actor.user_id
        return Step(note=note, attachments=cmd.attachments)

    return perform(session, actor, event_id, Action.HANDLE, apply, now=now)
