"""partial event indexes: the step timestamps, deadlines and phone index hold only the cases that have them

A new report has no filed/dispatched/handled/closed time, no deadline and often no phone: with partial indexes
its insert no longer touches seven b-trees that would only have recorded a NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (the column that must be set, the indexed columns)
INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_event_sla": ("warn_at", ["status", "sla_state", "warn_at"]),
    "ix_event_deadline": ("deadline_at", ["status", "deadline_at"]),
    "ix_event_filed_path": ("filed_at", ["filed_at", "division_path"]),
    "ix_event_dispatched_path": ("dispatched_at", ["dispatched_at", "division_path"]),
    "ix_event_handled_path": ("handled_at", ["handled_at", "division_path"]),
    "ix_event_closed_path": ("closed_at", ["closed_at", "division_path", "status"]),
    "ix_event_reporter_phone_index": ("reporter_phone_index", ["reporter_phone_index"]),
}


def upgrade() -> None:
    for name, (not_null, columns) in INDEXES.items():
        where = sa.text(f"{not_null} IS NOT NULL")
        op.drop_index(name, table_name="event")
        op.create_index(name, "event", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, (_not_null, columns) in INDEXES.items():
        op.drop_index(name, table_name="event")
        op.create_index(name, "event", columns)
