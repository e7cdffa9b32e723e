"""event subtree queries: status + division_path index, binary collation on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("event", "division_path", type_=sa.String(128, collation="C"), existing_nullable=False)
    op.create_index("ix_event_status_path", "event", ["status", "division_path", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_status_path", table_name="event")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("event", "division_path", type_=sa.String(128), existing_nullable=False)
