"""The IOC queries read the index each of them names, whatever the planner's statistics (SQLite).

SQLite keeps no histograms: left to its row estimates, it read a month's figures by walking the viewer's whole
subtree through (status, division_path, ...) under the sampled statistics `gridgov init` writes on a large
database (1-2 s per figure at 1,000,000 cases). The plans are checked on a copy of the test database, once with
its own statistics and once with the statistics gridgov.migrate.analyze wrote on the 1,000,000-case database
of bench/dashboard.py (EXPLAIN QUERY PLAN reads statistics, not rows). PostgreSQL ignores the hints and plans
by its own statistics, so this is SQLite's test.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from gridgov.dashboard import breakdowns, maps, rankings, summary
from gridgov.dashboard.cache import clear_caches
from gridgov.dashboard.schemas import BreakdownBy, Period, RankingBy
from gridgov.dashboard.view import View, period_window, resolve_view
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult
from gridgov.org.models import Division, User
from gridgov.org.services import principal_for

# sqlite_stat1 of the case tables as gridgov.migrate.analyze (PRAGMA analysis_limit=1000) left it on the
# bench's 1,000,000-case database: ~540 distinct statuses of ~1,000 cases each, say the samples
SAMPLED_1M = [
    ("event", "ix_event_category_id", "1094400 1001"),
    ("event", "ix_event_closed_path", "1516536 1 1 1 1 1 1"),
    ("event", "ix_event_deadline", "334875 1001 1"),
    ("event", "ix_event_dispatched_path", "703800 1 1 1"),
    ("event", "ix_event_filed_path", "703800 1 1 1"),
    ("event", "ix_event_grid_status", "1011360 334 67 1"),
    ("event", "ix_event_handled_path", "684204 1 1 1"),
    ("event", "ix_event_path_status", "1016334 501 112"),
    ("event", "ix_event_rated", "488950 1 1 1 1"),
    ("event", "ix_event_reported_path", "858330 1 1 1 1 1 1"),
    ("event", "ix_event_reporter", "1408320 1001 1"),
    ("event", "ix_event_sla", "616032 1001 1001 1"),
    ("event", "ix_event_status_path", "538935 1001 10 1"),
    ("event", "ix_event_status_path_sla", "672945 1001 10 6 6"),
    ("event", "sqlite_autoindex_event_1", "1075320 1001 1001"),
    ("event", "sqlite_autoindex_event_2", "1091200 1"),
    ("event_task", "ix_task_dept_status", "1139600 501 201 1"),
    ("event_task", "ix_task_event_lead", "1392696 2 1 1 1 1"),
    ("event_task", "ix_task_grid_status", "965526 41 32 1"),
    ("event_transition", "ix_event_transition_action_at", "271575 1001 1 1"),
    ("event_transition", "ix_event_transition_event_id", "794763 2"),
]
# figures whose queries read their indexes alone (the rankings, warnings and map points read case rows)
COVERED = ("summary", "trend", "breakdown", "hotspots")

Figure = Callable[[Session, View], object]


def _breakdown(by: BreakdownBy) -> Figure:
    return lambda s, v: breakdowns.breakdown(s, v, period_window(Period.MONTH), by)


def _rankings(by: RankingBy) -> Figure:
    return lambda s, v: rankings.rankings(s, v, period_window(Period.MONTH), by)


FIGURES: dict[str, Figure] = {
    "summary": lambda s, v: summary.summary(s, v, period_window(Period.MONTH)),
    "trend": lambda s, v: summary.trend(s, v, 30),
    **{f"breakdown_{by.value}": _breakdown(by) for by in BreakdownBy},
    **{f"rankings_{by.value}": _rankings(by) for by in RankingBy},
    "summons_response": lambda s, v: rankings.summons_response(s, v, period_window(Period.MONTH)),
    "warnings": lambda s, v: maps.warnings(s, v, 50),
    "hotspots": lambda s, v: maps.hotspots(s, v, period_window(Period.MONTH), 10),
    "map": lambda s, v: maps.map_data(s, v, maps.map_level(v, None)),
}


@pytest.fixture(scope="module")
def statements(engine: Engine, demo: DemoResult) -> Iterator[list[tuple[str, str, Any]]]:
    """(figure, SQL, parameters) of every statement the figures run, for a district's leader and the admin."""
    if engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's; PostgreSQL plans by its own statistics")
    with session_factory(engine)() as session:
        yield _record(engine, session)


def _record(engine: Engine, session: Session) -> list[tuple[str, str, Any]]:
    district = session.scalars(select(Division).where(Division.level == "district").order_by(Division.code)).first()
    assert district is not None
    seen: list[tuple[str, str, Any]] = []
    current = [""]

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if re.search(r"\b(FROM|JOIN) event\b", statement):  # the case table, not the reference data
            seen.append((current[0], statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        for username in (f"ldr_{district.code}", "admin"):
            user = session.scalar(select(User).where(User.username == username))
            assert user is not None
            view = resolve_view(session, principal_for(session, user), None)
            for name, figure in FIGURES.items():
                clear_caches()
                current[0] = name
                figure(session, view)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        clear_caches()
    return seen


@pytest.fixture(params=["own statistics", "sampled statistics of 1,000,000 cases"])
def planner(request: pytest.FixtureRequest, engine: Engine) -> Iterator[sqlite3.Connection]:
    """A private in-memory copy of the test database with the statistics under test."""
    copy = sqlite3.connect(":memory:")
    source = sqlite3.connect(str(engine.url.database))
    try:
        source.backup(copy)
    finally:
        source.close()
    if request.param != "own statistics":
        copy.execute("ANALYZE")  # makes sure sqlite_stat1 exists
        copy.execute("DELETE FROM sqlite_stat1 WHERE tbl IN ('event', 'event_task', 'event_transition')")
        copy.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", SAMPLED_1M)
        copy.commit()
        copy.execute("ANALYZE sqlite_schema")  # reload the statistics
    yield copy
    copy.close()


def test_every_dashboard_query_reads_the_index_it_names(
    statements: list[tuple[str, str, Any]], planner: sqlite3.Connection
) -> None:
    assert {name for name, _sql, _params in statements} == set(FIGURES)
    for name, sql, params in statements:
        plan = [str(row[3]) for row in planner.execute("EXPLAIN QUERY PLAN " + sql, params)]
        named = re.findall(r"INDEXED BY (\w+)", sql)
        assert named, (name, sql)
        for index in named:
            assert any(re.search(rf"USING (COVERING )?INDEX {index}\b", line) for line in plan), (name, index, plan)
        for line in plan:
            assert not line.startswith(("SCAN event", "SCAN event_task", "SCAN event_transition")), (name, plan)
            assert "ANY(" not in line, (name, plan, sql)  # a skip-scan over the leading column
            if name.startswith(COVERED) and line.startswith("SEARCH event "):
                assert "COVERING INDEX" in line or "INTEGER PRIMARY KEY" in line, (name, plan)
