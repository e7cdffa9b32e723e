"""Writing one transition: the status change, its history row (the case's audit) and its domain event, never one
without the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.common.choices import Urgency
from gridgov.common.events import bus
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
    step, outbox = transition_rows(
        event.id, action, before.value, target.value, actor.user_id, actor.role.value, now, note, attachments, data
    )
    row = EventTransition(**step)
    session.add(row)
    bus.publish(session, outbox["name"], "event", event.id, outbox["payload"], actor=actor, at=now)
    return row


MAJOR_FLAGGED = "event.major_flagged"


def major_flagged_row(
    event_id: int, number: str | None, title: str, now: datetime, actor_id: int | None
) -> dict[str, Any]:
    """The domain event of a case that became 重特大 (reported so, re-categorized, or flagged by a dispatcher): the
    fast track's subscriber raises its alerts."""
    payload = {"number": number, "title": title, "actor": actor_id}
    return {"name": MAJOR_FLAGGED, "aggregate": "event", "aggregate_id": event_id, "payload": payload, "at": now}


def publish_if_major(session: Session, actor: Principal, event: Event, was: str, now: datetime) -> None:
    """Publish `event.major_flagged` when the case has just become 重特大."""
    if event.urgency == Urgency.MAJOR.value and was != Urgency.MAJOR.value:
        row = major_flagged_row(event.id, event.number, event.title, now, actor.user_id)
        bus.publish(session, MAJOR_FLAGGED, "event", event.id, row["payload"], actor=actor, at=now)


def transition_rows(
    event_id: int,
    action: Action,
    before: str,
    after: str,
    actor_id: int | None,
    actor_role: str,
    now: datetime,
    note: str | None = None,
    attachments: list[str] | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The history row and the domain event (outbox row) of one transition, as column values: one shape for
    the services (ORM) and the bulk writers (Core inserts)."""
    data = data or {}
    step = {
        "event_id": event_id,
        "action": action.value,
        "from_status": before,
        "to_status": after,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "note": note,
        "attachments": list(attachments or []),
        "data": data,
        "at": now,
    }
    outbox = {
        "name": f"event.{action.value}",
        "aggregate": "event",
        "aggregate_id": event_id,
        "payload": {"from": before, "to": after, "actor": actor_id, **data},
        "at": now,
    }
    return step, outbox
