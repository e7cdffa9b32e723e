"""The migrations build exactly the schema the models describe (no drift), on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

import gridgov.models as models


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    # SQLite does not keep VARCHAR lengths, so a length-only change is not applied there (see 0004)
    if engine.dialect.name == "sqlite":
        diff = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert diff == []


PARTIAL = {
    "ix_event_sla": "warn_at",
    "ix_event_deadline": "deadline_at",
    "ix_event_filed_path": "filed_at",
    "ix_event_dispatched_path": "dispatched_at",
    "ix_event_handled_path": "handled_at",
    "ix_event_closed_path": "closed_at",
    "ix_event_reporter_phone_index": "reporter_phone_index",
}


def test_step_indexes_are_partial_and_used(engine: Engine) -> None:
    """A new report touches none of these indexes (autogenerate does not compare index predicates, hence this
    test); the queries that need them still use them: a range on the column implies IS NOT NULL."""
    with engine.connect() as conn:
        ddl: dict[str, str]
        if engine.dialect.name == "sqlite":
            ddl = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all())
        else:
            ddl = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'event'")).all())
        for name, column in PARTIAL.items():
            assert name in ddl, name
            assert f"WHERE ({column} IS NOT NULL)" in ddl[name] or f"WHERE {column} IS NOT NULL" in ddl[name], ddl[name]
        if engine.dialect.name == "sqlite":
            for column, index in (("closed_at", "ix_event_closed_path"), ("handled_at", "ix_event_handled_path")):
                plan = " ".join(
                    str(r[-1])
                    for r in conn.execute(
                        text(f"EXPLAIN QUERY PLAN SELECT count(*) FROM event WHERE {column} >= :a AND {column} < :b"),
                        {"a": "2026-11-01 00:00:00.000000", "b": "2026-11-02 00:00:00.000000"},
                    )
                )
                assert index in plan, plan
