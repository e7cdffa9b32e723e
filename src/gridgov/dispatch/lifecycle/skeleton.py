"""The one shape of every lifecycle action: load the case for update → guard (the transition table) → scope
(who may act on this case) → apply (change it) → record (history row + domain event). The action's own part is
`apply`; it returns the step to record. Nothing here commits: the caller's unit of work does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.guards import guard
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import Action, Status
from gridgov.dispatch.scope import load_visible


@dataclass
class Step:
    """What an action records: its note, photos and data; `action` when the outcome picks it (复核通过/不通过);
    `to_status` where the transition table leaves the target open (escalation re-dispatch)."""

    note: str | None = None
    attachments: Sequence[str] = ()
    data: dict[str, object] = field(default_factory=dict)
    action: Action | None = None
    to_status: Status | None = None


Check = Callable[[Principal, Event], object]
Apply = Callable[[Event, datetime], Step]


def perform(
    session: Session,
    actor: Principal,
    event_id: int,
    action: Action,
    apply: Apply,
    *,
    check: Check | None = None,
    now: datetime | None = None,
) -> Event:
    now = now or utcnow()
    event = load_visible(session, actor, event_id, for_update=True)
    guard(actor, event, action)
    if check is not None:
        check(actor, event)
    step = apply(event, now)
    apply_transition(
        session,
        actor,
        event,
        step.action or action,
        now,
        note=step.note,
        attachments=list(step.attachments),
        data=step.data,
        to_status=step.to_status,
    )
    return event
