"""mediation2: petition screening (访前甄别), community legal advisers, residents' legal consultations, and the
signed scans attached to a dispute

Revision ID: 0025_mediation2
Revises: 0024_linkage2
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_mediation2"
down_revision: str | None = "0024_linkage2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "petition_screening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("name_enc", sa.String(length=512), nullable=False),
        sa.Column("name_masked", sa.String(length=120), nullable=False),
        sa.Column("phone_enc", sa.String(length=256), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("matter", sa.Text(), nullable=False),
        sa.Column("matter_pii", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("referred_to", sa.String(length=120), nullable=True),
        sa.Column("lawyer_id", sa.Integer(), nullable=True),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_due", UTC, nullable=True),
        sa.Column("follow_up_note", sa.Text(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("registered_at", UTC, nullable=False),
        sa.Column("screened_at", UTC, nullable=True),
        sa.Column("followed_up_at", UTC, nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("petition_screening", "created_by", "app_user"),
        _fk("petition_screening", "dispute_id", "dispute"),
        _fk("petition_screening", "division_id", "division"),
        _fk("petition_screening", "lawyer_id", "mediator"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_screening")),
        sa.UniqueConstraint("number", name=op.f("uq_petition_screening_number")),
    )
    op.create_index(op.f("ix_petition_screening_phone_index"), "petition_screening", ["phone_index"], unique=False)
    op.create_index("ix_petition_screening_scope", "petition_screening", ["division_path", "status"], unique=False)
    op.create_table(
        "legal_adviser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("community_path", PATH, nullable=False),
        sa.Column("duty_hours", sa.String(length=200), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _fk("legal_adviser", "community_id", "division"),
        _fk("legal_adviser", "mediator_id", "mediator"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_adviser")),
        sa.UniqueConstraint("community_id", name=op.f("uq_legal_adviser_community_id")),
    )
    op.create_index(op.f("ix_legal_adviser_community_path"), "legal_adviser", ["community_path"], unique=False)
    op.create_table(
        "legal_consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("community_path", PATH, nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("name_enc", sa.String(length=512), nullable=False),
        sa.Column("name_masked", sa.String(length=120), nullable=False),
        sa.Column("phone_enc", sa.String(length=256), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_pii", sa.Text(), nullable=True),
        sa.Column("preferred_at", UTC, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        _fk("legal_consultation", "adviser_id", "legal_adviser"),
        _fk("legal_consultation", "community_id", "division"),
        _fk("legal_consultation", "dispute_id", "dispute"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_consultation")),
        sa.UniqueConstraint("number", name=op.f("uq_legal_consultation_number")),
    )
    op.create_index(op.f("ix_legal_consultation_phone_index"), "legal_consultation", ["phone_index"], unique=False)
    op.create_index("ix_legal_consultation_scope", "legal_consultation", ["community_path", "status"], unique=False)

    op.create_table(
        "dispute_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTC, nullable=False),
        _fk("dispute_scan", "dispute_id", "dispute"),
        _fk("dispute_scan", "uploaded_by", "app_user"),
        sa.ForeignKeyConstraint(["sha256"], ["attachment.sha256"], name=op.f("fk_dispute_scan_sha256_attachment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_scan")),
    )
    op.create_index(op.f("ix_dispute_scan_dispute_id"), "dispute_scan", ["dispute_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dispute_scan")
    op.drop_table("legal_consultation")
    op.drop_table("legal_adviser")
    op.drop_table("petition_screening")
