"""The SQL pieces the IOC figures are made of: status groups, the period predicate, the local day, "on time"
and the lead department of a case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from gridgov.common.timeutil import SHANGHAI
from gridgov.dispatch.models import Event, EventTask, TaskRole, TaskStatus
from gridgov.dispatch.rules import OPEN, Status

OPEN_VALUES = tuple(sorted(s.value for s in OPEN))
CLOSED_VALUES = (Status.CLOSED.value, Status.RATED.value)
# not cases to handle: 不立案 and duplicates merged into another case
NOT_CASES = (Status.REJECTED.value, Status.MERGED.value)


def between(col: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col >= start, col < end)


def path_key() -> ColumnElement[str]:
    """division_path as a GROUP BY key that no index can order: otherwise SQLite (with ANALYZE statistics but
    no STAT4, so it cannot know that open statuses are rare) prefers walking the whole (division_path,
    status) index for its order over seeking the few rows the other predicates select."""
    return Event.division_path.concat("").label("path")


def closed_now() -> ColumnElement[bool]:
    """status closed or rated, written so that no index on status serves it: next to a closed_at range the
    planner must take the (closed_at, division_path, status) index, not every closed case of the subtree
    through (status, division_path, ...) — SQLite without STAT4 takes status equality for selective."""
    return Event.status.concat("").in_(CLOSED_VALUES)


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


_OFFSET_HOURS = int((SHANGHAI.utcoffset(datetime(2000, 1, 1)) or timedelta()).total_seconds() // 3600)


def local_day(session: Session, col: Any) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar day ('YYYY-MM-DD') of a UTC timestamp column, in SQL.

    China has kept UTC+8 without daylight saving since 1991, so SQLite may add a fixed offset."""
    if session.get_bind().dialect.name == "sqlite":
        day: ColumnElement[Any] = func.date(col, f"+{_OFFSET_HOURS} hours")
        return day
    return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM-DD")


def on_time(c: Any = Event) -> ColumnElement[bool]:
    """Handled (or closed) by the first deadline; `c`: the event table's columns (Event or a subquery's .c)."""
    return or_(
        c.first_deadline_at.is_(None),
        func.coalesce(c.handled_at, c.closed_at) <= c.first_deadline_at,
    )


def lead_department() -> ColumnElement[Any]:
    """The current lead of a case as a scalar subquery: its department id, 0 when the grid itself leads,
    NULL when the case has no lead yet (not dispatched, or rejected)."""
    return (
        select(func.coalesce(EventTask.department_id, 0))
        .where(
            EventTask.event_id == Event.id,
            EventTask.role == TaskRole.LEAD.value,
            EventTask.status != TaskStatus.CANCELLED.value,
        )
        .order_by(EventTask.id.desc())
        .limit(1)
        .correlate(Event)
        .scalar_subquery()
    )
