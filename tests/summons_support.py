"""Shared by the 吹哨报到 tests: a street with one of its grids and its district, and a live case there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event
from gridgov.dispatch.schemas import CategoryIn, DispatchIn
from gridgov.org.models import Division
from support import People
from support import report as submit_report

CAT = "02009"  # 夜市排档占道: street tier, 城管


def street_at(session: Session, index: int) -> tuple[Division, Division, Division]:
    """The index-th street (by code), its first grid and its district."""
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.code)).all()
    street = streets[index % len(streets)]
    grid = next(
        g
        for g in session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code))
        if g.path.startswith(street.path)
    )
    district = session.get(Division, street.parent_id)
    assert district is not None
    return street, grid, district


def live_case(session: Session, people: People, street: Division, grid: Division, at: datetime) -> Event:
    """A case reported in the grid, filed and dispatched by the street's dispatcher at `at`."""
    dsp = people.user(f"dsp_{street.code}")
    cmd = IntakeCommand(title=f"吹哨测试 {uuid.uuid4().hex[:6]}", grid_code=grid.code)
    event, _ = submit_report(session, people.user("resident2"), cmd, now=at)
    one_action(lc.file_event, session, dsp, event.id, CategoryIn(category_code=CAT), now=at)
    return one_action(lc.dispatch_event, session, dsp, event.id, DispatchIn(), now=at)
