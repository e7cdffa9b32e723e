"""转调解办理 and 调解结案: the case a dispute was filed under is held by mediation while the dispute runs.

A dispute registered on a case (through the intake port, or a referred case) takes the case out of the dispatchers'
queues: it is filed and held by mediation (`mediate`: 待受理/已立案/已退回 → 处置中, no dispatch task, no dispatch SLA
clock — the dispute has its own stages and deadlines). When the dispute closes, the case closes with the dispute's
outcome (`mediation_close`). Both run in the shape of `skeleton.perform`, so the case's history row and its
`event.<action>` domain event are written; the dispatch subscribers call them when mediation publishes its events.
Both are idempotent: a case not (or no longer) in the state they start from is left as it is. Nothing commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal, Role
from gridgov.dispatch.guards import note_for
from gridgov.dispatch.lifecycle.skeleton import Step, perform
from gridgov.dispatch.models import Event, EventTransition, SlaState
from gridgov.dispatch.rules import TRANSITIONS, Action, Status

HOLDER = "mediation"  # who holds the case, as its history shows it
MEDIATION_PRINCIPAL = Principal(user_id=None, username=HOLDER, role=Role.SYSTEM)
OUTCOME_MAX = 2000


def held_by_mediation(session: Session, event_id: int) -> bool:
    """The case was taken over by mediation (and not given back since: a reopened case is a dispatcher's again)."""
    last = session.scalar(
        select(EventTransition.action)
        .where(
            EventTransition.event_id == event_id,
            EventTransition.action.in_([Action.MEDIATE.value, Action.REOPEN.value]),
        )
        .order_by(EventTransition.id.desc())
        .limit(1)
    )
    return last == Action.MEDIATE.value


def hold_for_mediation(
    session: Session, mediator: Principal, event_id: int, dispute_number: str, now: datetime | None = None
) -> Event | None:
    """转调解办理: the case is filed and held by mediation (the step is the system's, on behalf of `mediator`,
    who registered the dispute). None (nothing written) when it has moved on already (dispatched, handled,
    closed) or is held already."""
    event = session.get(Event, event_id)
    if event is None or Status(event.status) not in TRANSITIONS[Action.MEDIATE].sources:
        return None

    def apply(case: Event, at: datetime) -> Step:
        case.filed_at = case.filed_at or at
        case.clock_started_at = case.warn_at = case.deadline_at = None  # the dispute's own stages run now
        case.sla_state = SlaState.NORMAL.value
        note = f"矛盾纠纷 {dispute_number} 已受理，本事件由调解组织办理"
        return Step(note=note, data={"holder": HOLDER, "dispute": dispute_number, "mediator_id": mediator.user_id})

    return perform(session, MEDIATION_PRINCIPAL, event_id, Action.MEDIATE, apply, now=now)


def close_by_mediation(
    session: Session,
    mediator: Principal,
    event_id: int,
    dispute_number: str,
    outcome: str,
    now: datetime | None = None,
) -> Event | None:
    """调解结案: the case closes with the dispute's outcome. None (nothing written) when the case is not held by
    mediation in 处置中 — closed already (a redelivered event), or never taken over."""
    event = session.get(Event, event_id)
    if event is None or Status(event.status) not in TRANSITIONS[Action.MEDIATION_CLOSE].sources:
        return None
    if not held_by_mediation(session, event_id):
        return None

    def apply(case: Event, at: datetime) -> Step:
        note = note_for(Action.MEDIATION_CLOSE, f"矛盾纠纷 {dispute_number} 结案：{outcome}"[:OUTCOME_MAX])
        case.result_note, case.handled_at, case.closed_at = note, case.handled_at or at, at
        return Step(note=note, data={"holder": HOLDER, "dispute": dispute_number, "mediator_id": mediator.user_id})

    return perform(session, MEDIATION_PRINCIPAL, event_id, Action.MEDIATION_CLOSE, apply, now=now)
