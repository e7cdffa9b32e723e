"""Who may act on this particular case (beyond the role the transition table allows): pure checks on a loaded
case, raising Forbidden or InvalidInput with a message in Chinese."""

from __future__ import annotations

from gridgov.common import scope
from gridgov.common.errors import Forbidden, InvalidInput
from gridgov.common.levels import LEVEL_ORDER
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.models import Event, EventTask, TaskRole, TaskStatus
from gridgov.dispatch.rules import TRANSITIONS, Action, Status, check_transition


def guard(actor: Principal, event: Event, action: Action) -> None:
    """Refuse an illegal transition before any other check, so the caller learns what is allowed."""
    check_transition(action, Status(event.status), actor.role)


def within_area(actor: Principal, event: Event) -> bool:
    """The case lies in the actor's area (a case not yet placed: raised here, below, or above)."""
    return scope.may_see(actor, event.division_path, placed=event.grid_id is not None)


def require_area(actor: Principal, event: Event) -> None:
    if not within_area(actor, event):
        raise Forbidden("该事件不在您的管辖范围内")


def require_tier(actor: Principal, level: str, field: str | None = None) -> None:
    """A community centre files and dispatches grid- and community-level cases only."""
    if actor.role == Role.COMMUNITY_STAFF and LEVEL_ORDER[level] > LEVEL_ORDER["community"]:
        raise Forbidden("社区只能处理网格和社区层级的事件，请由街道分拨", field=field)


def require_dispatcher(actor: Principal, event: Event) -> None:
    """A centre acting on a case of its own area and tier."""
    if actor.role == Role.ADMIN:
        return
    require_area(actor, event)
    require_tier(actor, event.level)


def lead_task(event: Event) -> EventTask | None:
    """The current lead: the newest lead task not withdrawn (a reopened case has older, finished ones)."""
    for task in reversed(event.tasks):
        if task.role == TaskRole.LEAD.value and task.status != TaskStatus.CANCELLED.value:
            return task
    return None


def owns(actor: Principal, task: EventTask | None) -> bool:
    """The task is the actor's: the person named at dispatch, else its department or its grid's workers."""
    if task is None:
        return False
    if task.assignee_id is not None:
        return actor.user_id == task.assignee_id
    if task.department_id is not None:
        return actor.department_id == task.department_id
    return task.grid_id is not None and task.grid_id in actor.grid_ids


def require_lead(actor: Principal, event: Event) -> EventTask:
    task = lead_task(event)
    if task is None or not owns(actor, task):
        raise Forbidden("您不是该事件的主办单位")
    return task


def is_reporter(actor: Principal, event: Event) -> bool:
    if actor.public_event_id is not None:
        return actor.public_event_id == event.id
    return actor.user_id is not None and event.reporter_id == actor.user_id


def require_reporter(actor: Principal, event: Event, message: str) -> None:
    if not is_reporter(actor, event):
        raise Forbidden(message)


def note_for(action: Action, note: str | None) -> str | None:
    """The step's note, stripped; required where the transition table says so."""
    text = (note or "").strip() or None
    if TRANSITIONS[action].needs_note and text is None:
        raise InvalidInput(f"“{action.label}”需要填写说明", field="note")
    return text
