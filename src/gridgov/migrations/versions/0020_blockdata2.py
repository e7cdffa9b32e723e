"""block data 2: self-declarations (自主申报, PII encrypted) and the grid workers' verification tasks (核查); the
public channel's per-phone rate counters, keyed by the plaintext number until now, dropped (now a blind index)

Revision ID: 0020_blockdata2
Revises: 0019_classify
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_blockdata2"
down_revision: str | None = "0019_classify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def upgrade() -> None:
    # The public channel's per-phone rate counters were keyed by the phone number itself; they are keyed by its
    # blind index from now on. The old rows are only the current 10-minute windows: dropping them converts them.
    op.execute("DELETE FROM rate_counter WHERE name = 'public_report_phone'")
    op.create_table(
        "bd_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("declarant_role", sa.String(length=16), nullable=False),
        sa.Column("declarant_name", sa.String(length=64), nullable=False),
        sa.Column("declarant_phone_index", sa.String(length=64), nullable=False),
        sa.Column("declarant_phone_masked", sa.String(length=24), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("pii_enc", sa.String(length=1024), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_masked", sa.String(length=24), nullable=True),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("room_code", sa.String(length=80), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idem_scope", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["address_id"], ["address.id"], name=op.f("fk_bd_declaration_address_id_address")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_bd_declaration_grid_id_division")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_declaration")),
        sa.UniqueConstraint("number", name=op.f("uq_bd_declaration_number")),
    )
    op.create_index(
        op.f("ix_bd_declaration_declarant_phone_index"), "bd_declaration", ["declarant_phone_index"], unique=False
    )
    op.create_index("ux_bd_declaration_idem", "bd_declaration", ["idem_scope", "idempotency_key"], unique=True)
    op.create_table(
        "bd_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("record", sa.String(length=16), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("stale_type", sa.String(length=16), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_by_name", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("written_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["address_id"], ["address.id"], name=op.f("fk_bd_verification_address_id_address")),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["bd_declaration.id"], name=op.f("fk_bd_verification_declaration_id_bd_declaration")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_bd_verification_grid_id_division")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_verification")),
    )
    op.create_index(op.f("ix_bd_verification_declaration_id"), "bd_verification", ["declaration_id"], unique=False)
    op.create_index("ix_bd_verification_path", "bd_verification", ["division_path"], unique=False)
    op.create_index("ix_bd_verification_queue", "bd_verification", ["grid_id", "status"], unique=False)
    op.create_index("ix_bd_verification_record", "bd_verification", ["record", "record_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_table("bd_verification")
    op.drop_table("bd_declaration")
