"""撤回吹哨: a summons withdrawn by its centre before the department reported in (when, by whom, why)

Revision ID: 0022_loop
Revises: 0021_classify2
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_loop"
down_revision: str | None = "0021_classify2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("event_summons") as batch:
        batch.add_column(sa.Column("withdrawn_at", UTC, nullable=True))
        batch.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withdraw_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event_summons") as batch:
        batch.drop_column("withdraw_note")
        batch.drop_column("withdrawn_by_id")
        batch.drop_column("withdrawn_at")
