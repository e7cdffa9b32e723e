"""A channel's own deadline through the intake port: refused in the past (nothing written), kept on the case, and the
clock a dispatcher starts ends there instead of at the 小类's time limit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.errors import InvalidInput
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event
from gridgov.org.models import Division
from support import People
from support import report as submit


def test_a_deadline_in_the_past_is_refused_and_nothing_is_written(session: Session, people: People) -> None:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).first()
    assert grid is not None
    title = f"井盖缺失 {uuid.uuid4().hex[:6]}"
    late = IntakeCommand(title=title, grid_code=grid.code, deadline_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(InvalidInput) as refused:
        submit(session, people.user("admin"), late)
    assert refused.value.field == "deadline_at" and "不能早于现在" in refused.value.message
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.title == title)) == 0
    due = utcnow() + timedelta(days=2)
    event, created = submit(
        session, people.user("admin"), IntakeCommand(title=title, grid_code=grid.code, deadline_at=due)
    )
    assert created and event.fixed_deadline_at == due and event.deadline_at is None  # the clock starts at dispatch
