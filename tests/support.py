"""Helpers for tests that play the entrypoint: each call is one unit of work, as a route or a CLI command runs it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.uow import atomic_retrying_a_race, one_action
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import IntakeResult, submit, submit_batch
from gridgov.dispatch.models import Event
from gridgov.dispatch.schemas import ReportIn


def report(
    session: Session, actor: Principal, command: IntakeCommand, now: datetime | None = None
) -> tuple[Event, bool]:
    """Submit one report through the intake port and commit; the case and whether this call created it."""
    result = one_action(submit, session, actor, command, now=now)
    event = session.get(Event, result.event_id)
    assert event is not None
    return event, result.created


def intake_batch(
    session: Session,
    actor: Principal,
    items: list[ReportIn],
    *,
    auto_dispatch: bool = False,
    now: datetime | None = None,
) -> list[IntakeResult]:
    """A batch as POST /api/events/batch runs it: all or nothing, once more after losing a key race."""
    commands = [item.to_command(auto_dispatch=auto_dispatch) for item in items]
    return atomic_retrying_a_race(session, lambda: submit_batch(session, actor, commands, now=now))
