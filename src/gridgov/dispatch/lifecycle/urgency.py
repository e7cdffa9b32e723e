"""调整紧急程度: a dispatcher changes a case's urgency (normal / urgent / 重特大) with a reason.

The running clock follows (`assign.rebase`, the rule in `sla.rebase_clock`): urgent and 重特大 cases count natural
time, a case back to normal counts its 小类's own basis, and what was left of the limit stays left. A case that
becomes 重特大 publishes `event.major_flagged` (the fast track raises its alerts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.common.audit import record_audit
from gridgov.common.choices import ClockBasis, Urgency
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.principal import Principal
from gridgov.dispatch.assign import rebase
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.guards import note_for, require_dispatcher
from gridgov.dispatch.history import publish_if_major
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import Action
from gridgov.dispatch.schemas import UrgencyIn
from gridgov.dispatch.sla import basis_for

LEVELS = [u.value for u in Urgency]


def set_urgency(
    session: Session, actor: Principal, event_id: int, cmd: UrgencyIn, now: datetime | None = None
) -> Event:
    def apply(event: Event, at: datetime) -> Step:
        if cmd.urgency not in LEVELS:
            listed = "、".join(f"{u.value}（{u.label}）" for u in Urgency)
            raise InvalidInput(f"紧急程度“{cmd.urgency}”无效；可选：{listed}", field="urgency", allowed=LEVELS)
        note = note_for(Action.SET_URGENCY, cmd.note)
        was = event.urgency
        if cmd.urgency == was:
            raise Conflict(f"事件的紧急程度已是“{Urgency(was).label}”", field="urgency")
        cat = catalog_cache.snapshot(session).by_id.get(event.category_id) if event.category_id else None
        basis = basis_for(cmd.urgency, cat.clock_basis if cat else ClockBasis.WORKING.value)
        event.urgency, event.urgency_reason = cmd.urgency, note
        rebase(session, event, basis, at)
        publish_if_major(session, actor, event, was, at)
        data: dict[str, object] = {
            "urgency_from": was,
            "urgency": event.urgency,
            "clock_basis": event.clock_basis,
            "deadline_at": event.deadline_at.isoformat() if event.deadline_at else None,
        }
        record_audit(session, actor, DispatchAudit.SET_URGENCY, "event", event.id, {**data, "reason": note})
        return Step(note=note, data=data)

    return perform(session, actor, event_id, Action.SET_URGENCY, apply, check=require_dispatcher, now=now)
