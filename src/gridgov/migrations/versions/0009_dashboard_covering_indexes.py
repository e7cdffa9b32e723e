"""dashboard indexes that answer their queries alone: the scope's columns and what each figure counts

The IOC's period figures read a timestamp's index (and the open cases the status index) and used to fetch every
case row of the period from the table for the columns the index lacked (grid_id for the data scope, the
category, the channel, the first deadline, ...): at 1,000,000 cases those lookups were most of a month's
summary. The indexes below hold those columns; the rated cases get an index of their own for the satisfaction
figure (looked up by case id from the rate transitions), and a case's tasks are indexed by (case, role, id) with
their status and department, so that the current lead department is read from the index alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (table, the column that must be set or None for a full index, columns before, columns after)
INDEXES: dict[str, tuple[str, str | None, list[str], list[str]]] = {
    "ix_event_reported_path": (
        "event",
        None,
        ["reported_at", "division_path", "status"],
        ["reported_at", "division_path", "status", "grid_id", "category_id", "channel"],
    ),
    "ix_event_filed_path": (
        "event",
        "filed_at",
        ["filed_at", "division_path"],
        ["filed_at", "division_path", "grid_id"],
    ),
    "ix_event_dispatched_path": (
        "event",
        "dispatched_at",
        ["dispatched_at", "division_path"],
        ["dispatched_at", "division_path", "grid_id"],
    ),
    "ix_event_handled_path": (
        "event",
        "handled_at",
        ["handled_at", "division_path"],
        ["handled_at", "division_path", "grid_id"],
    ),
    "ix_event_closed_path": (
        "event",
        "closed_at",
        ["closed_at", "division_path", "status"],
        ["closed_at", "division_path", "status", "grid_id", "first_deadline_at", "handled_at"],
    ),
    "ix_event_status_path_sla": (
        "event",
        None,
        ["status", "division_path", "sla_state"],
        ["status", "division_path", "sla_state", "grid_id"],
    ),
}
NEW: dict[str, tuple[str, str | None, list[str]]] = {
    "ix_event_rated": ("event", "rating", ["id", "division_path", "grid_id", "rating"]),
    "ix_task_event_lead": ("event_task", None, ["event_id", "role", "id", "status", "department_id"]),
}
REPLACED = ("ix_event_task_event_id", "event_task", ["event_id"])  # the first column of ix_task_event_lead


def _create(name: str, table: str, not_null: str | None, columns: list[str]) -> None:
    where = sa.text(f"{not_null} IS NOT NULL") if not_null else None
    op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    for name, (table, not_null, _before, after) in INDEXES.items():
        op.drop_index(name, table_name=table)
        _create(name, table, not_null, after)
    for name, (table, not_null, columns) in NEW.items():
        _create(name, table, not_null, columns)
    op.drop_index(REPLACED[0], table_name=REPLACED[1])


def downgrade() -> None:
    op.create_index(REPLACED[0], REPLACED[1], REPLACED[2])
    for name, (table, _not_null, _columns) in NEW.items():
        op.drop_index(name, table_name=table)
    for name, (table, not_null, before, _after) in INDEXES.items():
        op.drop_index(name, table_name=table)
        _create(name, table, not_null, before)
