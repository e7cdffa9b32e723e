"""The dispute channel: every new dispute enters through the intake port (dispatch/intake), like any other report.

A walk-in at a centre's window, a 12345 order, a police or court referral: the adapter builds the `IntakeCommand`
(channel 矛盾纠纷 — 12345 for a hotline order —, the 小类 of the dispute type, the place, the type and source in
`origin`; no party data: the parties stay encrypted with the dispute) and `intake.submit` files the case in the
unified ledger; the dispute is then registered against that case. A case already in the ledger — a report classified
as a dispute (矛盾纠纷 小类), a 12345 order fed in a batch — is referred: it came through the port already, so the
dispute is registered against it without a second case. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.errors import InvalidInput
from gridgov.common.pii_text import mask_text
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.dispatch import intake
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel, Event
from gridgov.mediation.access import require_mediator
from gridgov.mediation.dispute_types import dispute_type, type_for_category
from gridgov.mediation.models import Dispute
from gridgov.mediation.parties import mask_name
from gridgov.mediation.registration import DisputeIn, Place, check_command, place_of, register_dispute
from gridgov.mediation.rules import Source
from gridgov.org import cache

CHANNEL_OF = {Source.HOTLINE: Channel.HOTLINE}  # the others arrive on the dispute channel


def case_text(cmd: DisputeIn) -> str:
    """The dispute's description as the case carries it: phone and ID numbers masked, the parties' names too."""
    text = mask_text(cmd.description.strip())
    for p in sorted(cmd.parties, key=lambda p: -len(p.name.strip())):
        if p.name.strip():
            text = text.replace(p.name.strip(), mask_name(p.name.strip(), p.kind.value))
    return text


def intake_command(cmd: DisputeIn, place: Place, grid_code: str | None) -> IntakeCommand:
    """The report the intake port files for a new dispute (pure): no party data leaves the dispute."""
    kind = dispute_type(cmd.dispute_type)
    return IntakeCommand(
        title=f"【矛盾纠纷·{kind.label}】{cmd.title.strip()}"[:200],
        channel=CHANNEL_OF.get(cmd.source, Channel.DISPUTE),
        description=case_text(cmd),
        category_code=kind.category or None,
        grid_code=grid_code,
        address_text=place.address_text,
        origin={"dispute_type": kind.code, "source": cmd.source.value, "amount": str(cmd.amount)},
    )


def submit_dispute(session: Session, actor: Principal, cmd: DisputeIn, now: datetime | None = None) -> Dispute:
    """One dispute from any source through the intake port: a new one files its case first; a referred case
    (already filed) is linked. Checked whole before anything is written."""
    require_mediator(actor)
    now = now or utcnow()
    check_command(cmd)
    place = place_of(session, actor, cmd)
    if cmd.source_event_id is None:
        division = cache.snapshot(session).divisions[place.division_id]
        grid_code = division.code if division.level == "grid" else None
        filed = intake.submit(session, actor, intake_command(cmd, place, grid_code), now=now)
        cmd = replace(cmd, source_event_id=filed.event_id)
    return register_dispute(session, actor, cmd, now)


def refer_case(
    session: Session, actor: Principal, event_id: int, cmd: DisputeIn, now: datetime | None = None
) -> Dispute:
    """A case in the ledger (a report classified as a dispute, a 12345 order) referred to mediation (事件转办); the
    dispute type defaults to the one the case's 小类 stands for."""
    event = session.get(Event, event_id)
    if event is None:
        raise InvalidInput("转办的事件不存在或不在管辖范围内", field="source_event_id")
    category = session.get(EventCategory, event.category_id) if event.category_id else None
    kind = cmd.dispute_type or type_for_category(category.code if category else None) or ""
    source = cmd.source if cmd.source != Source.WALK_IN else Source.CASE_REFERRAL
    return submit_dispute(session, actor, replace(cmd, dispute_type=kind, source=source, source_event_id=event_id), now)
