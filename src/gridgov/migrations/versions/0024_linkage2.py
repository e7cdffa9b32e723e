"""linkage2: stored person clusters (stable keys, golden records), memberships, stewards' decisions and the
trained linkage model

Revision ID: 0024_linkage2
Revises: 0023_hazards2
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_linkage2"
down_revision: str | None = "0023_hazards2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bd_link_cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("golden", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_link_cluster")),
        sa.UniqueConstraint("key", name=op.f("uq_bd_link_cluster_key")),
    )
    op.create_table(
        "bd_link_member",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["bd_link_cluster.id"], name=op.f("fk_bd_link_member_cluster_id_bd_link_cluster")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["bd_person.id"], name=op.f("fk_bd_link_member_person_id_bd_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_bd_link_member")),
    )
    with op.batch_alter_table("bd_link_member", schema=None) as batch_op:
        batch_op.create_index("ix_bd_link_member_cluster", ["cluster_id"], unique=False)
    op.create_table(
        "bd_link_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("rest_ids", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_link_decision")),
    )
    op.create_table(
        "bd_link_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_link_model")),
    )


def downgrade() -> None:
    op.drop_table("bd_link_model")
    op.drop_table("bd_link_decision")
    with op.batch_alter_table("bd_link_member", schema=None) as batch_op:
        batch_op.drop_index("ix_bd_link_member_cluster")
    op.drop_table("bd_link_member")
    op.drop_table("bd_link_cluster")
