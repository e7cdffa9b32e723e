"""A channel's own deadline on the intake command: timezone-aware only, and the fixed clock ends exactly there
with the warning at its share of the time between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov.common.errors import InvalidInput
from gridgov.common.workcalendar import NaturalTime
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.sla import fixed_clock


def test_a_naive_deadline_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        IntakeCommand(title="消防通道堵塞", deadline_at=datetime(2026, 12, 10, 18, 0)).check()
    assert refused.value.field == "deadline_at"
    IntakeCommand(title="消防通道堵塞", deadline_at=datetime(2026, 12, 10, 18, 0, tzinfo=UTC)).check()


def test_the_fixed_clock_ends_at_the_given_deadline() -> None:
    start = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    deadline = start + timedelta(days=3)
    clock = fixed_clock(NaturalTime(), start, deadline, 0.8)
    assert (clock.started_at, clock.deadline_at) == (start, deadline)
    assert clock.warn_at == start + timedelta(hours=72 * 0.8)
