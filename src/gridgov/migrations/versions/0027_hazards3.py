"""dispatch: a deadline the reporting channel sets (an inspection finding's 整改期限) that the case's clock uses

Revision ID: 0027_hazards3
Revises: 0026_dispatched_transfers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_hazards3"
down_revision: str | None = "0026_dispatched_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("fixed_deadline_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("fixed_deadline_at")
