"""duplicates: a merged case points at its main case

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_event_merged_into_id_event", "event", ["merged_into_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint("fk_event_merged_into_id_event", type_="foreignkey")
        batch.drop_column("merged_into_id")
