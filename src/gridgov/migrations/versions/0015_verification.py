"""dispatch: who verifies a handled case (the verification rule's answer, kept on the case when it is handled)

Revision ID: 0015_verification
Revises: 0014_notifications
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_verification"
down_revision: str | None = "0014_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("verifier", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("verifier")
