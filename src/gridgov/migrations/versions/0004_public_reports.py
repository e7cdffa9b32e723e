"""anonymous (public) reports: follow-up token digest on the case; longer idempotency scopes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("public_token_digest", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce VARCHAR lengths
        op.alter_column("event", "idem_scope", type_=sa.String(80), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_column("public_token_digest")
