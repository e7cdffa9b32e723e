"""Run the Alembic migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    analyze(engine)


# The case tables' queries always bound an index's leading column (a status list, a time range, a case id). On a
# table where that column has few values (a status among a dozen), SQLite's skip-scan would instead walk every
# value's entries of a subtree — the closed cases too — whenever its statistics make that look cheaper than the IN
# list; the statistics' "noskipscan" token turns that off per index.
NO_SKIP_SCAN_TABLES = ("event", "event_task", "event_transition")


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics (SQLite has none until asked), so that scoped queries pick the
    selective index. Cheap; run after migrations and bulk loads."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            tables = ", ".join(f"'{t}'" for t in NO_SKIP_SCAN_TABLES)
            conn.exec_driver_sql(
                "UPDATE sqlite_stat1 SET stat = stat || ' noskipscan' "
                f"WHERE tbl IN ({tables}) AND idx IS NOT NULL AND stat NOT LIKE '%noskipscan%'"
            )
            conn.exec_driver_sql("ANALYZE sqlite_schema")  # reload the statistics just written
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
