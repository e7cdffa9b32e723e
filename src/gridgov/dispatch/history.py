"""Writing one transition: the status change, its audit row and its domain event, never one without the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.common.audit import emit
from gridgov.common.principal import Principal
from gridgov.dispatch.models import Event, EventTransition
from gridgov.dispatch.rules import Action, Status, check_transition


def apply_transition(
    session: Session,
    actor: Principal,
    event: Event,
    action: Action,
    now: datetime,
    *,
    note: str | None = None,
    attachments: list[str] | None = None,
    data: dict[str, Any] | None = None,
    to_status: Status | None = None,
) -> EventTransition:
    """Check the rule table, move the event and record the move. `to_status` may only be given where the
    rules leave the target open (escalation re-dispatch)."""
    before = Status(event.status) if event.status else Status.NEW
    target = check_transition(action, before, actor.role)
    if to_status is not None:
        target = to_status
    event.status = target.value
    event.updated_at = now
    row = EventTransition(
        event_id=event.id,
        action=action.value,
        from_status=before.value,
        to_status=target.value,
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        note=note,
        attachments=list(attachments or []),
        data=data or {},
        at=now,
    )
    session.add(row)
    emit(
        session,
        f"event.{action.value}",
        "event",
        event.id,
        {"from": before.value, "to": target.value, "actor": actor.user_id, **(data or {})},
        at=now,
    )
    return row
