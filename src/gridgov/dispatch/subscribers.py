"""How dispatch reacts to the other contexts, through the event bus (registered at start-up by `wiring`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.address.reviews import REVIEW_RESOLVED
from gridgov.common.events import EventBus, Published
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.dispatch.fasttrack import raise_alerts
from gridgov.dispatch.history import MAJOR_FLAGGED
from gridgov.dispatch.learning import withdraw_on_return
from gridgov.dispatch.lifecycle.mediation_hold import close_by_mediation, hold_for_mediation
from gridgov.dispatch.locate import attach_address
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import OPEN, Status


def place_reviewed_case(session: Session, event: Published) -> None:
    """A person confirmed the address a report could not be matched to: the case gets its standard address and,
    if it was not placed yet, its grid and tier — in the same transaction as the review's resolution. A case
    that has moved on (rejected, merged, closed) keeps its history; only the library learns."""
    payload = event.payload
    if payload.get("source") != "event" or payload.get("source_id") is None:
        return
    case = session.get(Event, int(payload["source_id"]), with_for_update=True)
    address = session.get(Address, int(payload["address_id"]))
    if case is None or address is None or Status(case.status) not in OPEN:
        return
    actor = event.actor or SYSTEM_PRINCIPAL
    attach_address(session, actor, case, address, float(payload.get("confidence", 1.0)), event.at)


# the mediation context's events this context reacts to (by name: dispatch does not import mediation)
DISPUTE_REGISTERED = "mediation.register"
DISPUTE_CLOSED = "mediation.close"


def hold_disputed_case(session: Session, event: Published) -> None:
    """A dispute was registered on a case: mediation files and holds it (out of every dispatcher queue)."""
    case_id = event.payload.get("source_event_id")
    if case_id is not None:
        actor = event.actor or SYSTEM_PRINCIPAL
        hold_for_mediation(session, actor, int(case_id), str(event.payload.get("number", "")), event.at)


def close_disputed_case(session: Session, event: Published) -> None:
    """The dispute closed: its case closes with the dispute's outcome (once; a redelivery finds it closed)."""
    case_id = event.payload.get("source_event_id")
    if case_id is not None:
        actor = event.actor or SYSTEM_PRINCIPAL
        number, outcome = str(event.payload.get("number", "")), str(event.payload.get("outcome") or "已结案")
        close_by_mediation(session, actor, int(case_id), number, outcome, event.at)


def register(bus: EventBus) -> None:
    bus.subscribe(DISPUTE_REGISTERED, hold_disputed_case)
    bus.subscribe(DISPUTE_CLOSED, close_disputed_case)
    bus.subscribe(REVIEW_RESOLVED, place_reviewed_case)
    bus.subscribe(MAJOR_FLAGGED, raise_alerts)
    bus.subscribe("event.return", withdraw_on_return)  # a correction whose lead sent the case back stops counting
