"""indexes for the period-bounded dashboard (IOC) queries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_event_reported_path": ("event", ["reported_at", "division_path", "status"]),
    "ix_event_filed_path": ("event", ["filed_at", "division_path"]),
    "ix_event_dispatched_path": ("event", ["dispatched_at", "division_path"]),
    "ix_event_handled_path": ("event", ["handled_at", "division_path"]),
    "ix_event_closed_path": ("event", ["closed_at", "division_path", "status"]),
    "ix_event_status_path_sla": ("event", ["status", "division_path", "sla_state"]),
    "ix_event_transition_action_at": ("event_transition", ["action", "at", "event_id"]),
}


def upgrade() -> None:
    op.drop_index("ix_event_reported_at", table_name="event")  # the first column of ix_event_reported_path
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    op.create_index("ix_event_reported_at", "event", ["reported_at"])
