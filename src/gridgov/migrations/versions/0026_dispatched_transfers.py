"""the dispatched-cases index carries return_count: the IOC's first-time-right rate and mean transfers per case
(cases dispatched in the period, never returned / returns per case) are read from the index alone, as the other
period figures are (migration 0009)

Revision ID: 0026_dispatched_transfers
Revises: 0025_mediation2
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_dispatched_transfers"
down_revision: str | None = "0025_mediation2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_event_dispatched_path"
WHERE = sa.text("dispatched_at IS NOT NULL")


def _recreate(columns: list[str]) -> None:
    op.drop_index(NAME, table_name="event")
    op.create_index(NAME, "event", columns, sqlite_where=WHERE, postgresql_where=WHERE)


def upgrade() -> None:
    _recreate(["dispatched_at", "division_path", "grid_id", "return_count"])


def downgrade() -> None:
    _recreate(["dispatched_at", "division_path", "grid_id"])
