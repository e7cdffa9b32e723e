"""The SQL pieces the IOC figures are made of: status groups, the period and open-case predicates together with
the index each reads, an action's transitions, the local day, "on time" and the lead department of a case.

Every query names the index it reads. SQLite keeps no histograms (its usual builds have no STAT4), so for a
period figure it weighs the period's timestamp index against walking the viewer's whole subtree through a
(status, division_path, ...) index on row estimates alone; under the sampled statistics that `gridgov init`
writes (gridgov.migrate.analyze) it took the subtree, 1–2 s per figure at 1,000,000 cases, and which plan won
changed with the statistics of the day. On SQLite each query therefore reads its index through ``INDEXED BY``
(rendered by gridgov.db.HintingSQLiteCompiler): the plan no longer depends on statistics, and a dropped or
renamed index is an error instead of a silent table scan. The indexes hold the columns their queries read
(the scope's division_path and grid_id, what is counted: migration 0009), so no query fetches case rows but the
rankings (their measures) and the map and warning points. PostgreSQL ignores the hints and plans by its own
statistics (histograms included).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridgov.common.timeutil import SHANGHAI
from gridgov.dispatch.models import Event, EventTask, EventTransition, TaskRole, TaskStatus
from gridgov.dispatch.rules import OPEN, Action, Status

OPEN_VALUES = tuple(sorted(s.value for s in OPEN))
CLOSED_VALUES = (Status.CLOSED.value, Status.RATED.value)
# not cases to handle: 不立案 and duplicates merged into another case
NOT_CASES = (Status.REJECTED.value, Status.MERGED.value)

# the index of each step's timestamp: (timestamp, division_path, grid_id, ...)
PERIOD_INDEXES = {
    "reported_at": "ix_event_reported_path",
    "filed_at": "ix_event_filed_path",
    "dispatched_at": "ix_event_dispatched_path",
    "handled_at": "ix_event_handled_path",
    "closed_at": "ix_event_closed_path",
}
OPEN_INDEX = "ix_event_status_path_sla"  # (status, division_path, sla_state, grid_id)
RATED_INDEX = "ix_event_rated"  # (id, division_path, grid_id, rating) of the rated cases
TRANSITION_INDEX = "ix_event_transition_action_at"  # (action, at, event_id)
LEAD_INDEX = "ix_task_event_lead"  # (event_id, role, id, status, department_id)

AnySelect = Select[*tuple[Any, ...]]  # a SELECT of any columns
SelectT = TypeVar("SelectT", bound=AnySelect)


def through(stmt: SelectT, index: str | None, table: Any = Event) -> SelectT:
    """`stmt` reading `table` through `index` on SQLite; None: no index, rows by id (``NOT INDEXED``)."""
    return stmt.with_hint(table, f"INDEXED BY {index}" if index else "NOT INDEXED", "sqlite")


def in_period(stmt: SelectT, col: InstrumentedAttribute[Any], start: datetime, end: datetime) -> SelectT:
    """The cases of `stmt` whose `col` (a step's timestamp) lies in [start, end), read through that
    timestamp's index."""
    return through(stmt.where(col >= start, col < end), PERIOD_INDEXES[col.key])


def open_now(stmt: SelectT) -> SelectT:
    """The cases of `stmt` open now (any status of rules.OPEN), read through (status, division_path, ...)."""
    return through(stmt.where(Event.status.in_(OPEN_VALUES)), OPEN_INDEX)


def transitions_of(
    stmt: SelectT, action: Action, start: datetime, end: datetime, event_index: str | None = None
) -> SelectT:
    """`stmt` over the `action` transitions in [start, end) joined to their cases: the transitions through
    (action, at, event_id), then each case by its id (through `event_index` when given)."""
    stmt = (
        stmt.select_from(EventTransition)
        .join(Event, Event.id == EventTransition.event_id)
        .where(EventTransition.action == action.value, EventTransition.at >= start, EventTransition.at < end)
    )
    return through(through(stmt, TRANSITION_INDEX, EventTransition), event_index)


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
    NULL when the case has no lead yet (not dispatched, or rejected). Read from (event_id, role, id, status,
    department_id) alone."""
    newest = (
        select(func.coalesce(EventTask.department_id, 0))
        .where(
            EventTask.event_id == Event.id,
            EventTask.role == TaskRole.LEAD.value,
            EventTask.status != TaskStatus.CANCELLED.value,
        )
        .order_by(EventTask.id.desc())
        .limit(1)
        .correlate(Event)
    )
    return through(newest, LEAD_INDEX, EventTask).scalar_subquery()
