"""classify2: the number of reports attached to a case as repeats (重复诉求)

Revision ID: 0021_classify2
Revises: 0020_blockdata2
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_classify2"
down_revision: str | None = "0020_blockdata2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("repeat_count", sa.Integer(), nullable=False, server_default="0"))
    # the cases that already have duplicates merged into them by hand
    op.execute(
        "UPDATE event SET repeat_count = (SELECT COUNT(*) FROM event AS d WHERE d.merged_into_id = event.id) "
        "WHERE id IN (SELECT merged_into_id FROM event WHERE merged_into_id IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("repeat_count")
