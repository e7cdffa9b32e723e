"""block data: department import batches and column mappings, person / legal entity / room / phone records
(one row per source record, with provenance; PII encrypted with a blind index), and the cases-at-an-address index

Revision ID: 0018_blockdata
Revises: 0017_mediation
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_blockdata"
down_revision: str | None = "0017_mediation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def _placed(table: str) -> list[sa.Column[object] | sa.ForeignKeyConstraint]:
    """The provenance and place columns every record table shares."""
    return [
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTC, nullable=False),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("address_confidence", sa.Float(), nullable=True),
        sa.Column("room_code", sa.String(length=80), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["bd_import_batch.id"], name=op.f(f"fk_{table}_batch_id_bd_import_batch")
        ),
        sa.ForeignKeyConstraint(["address_id"], ["address.id"], name=op.f(f"fk_{table}_address_id_address")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f(f"fk_{table}_grid_id_division")),
    ]


def _placed_indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_address_id"), ["address_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "bd_import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_import_batch")),
    )
    with op.batch_alter_table("bd_import_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bd_import_batch_department"), ["department"], unique=False)
    op.create_table(
        "bd_column_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_column_mapping")),
    )
    with op.batch_alter_table("bd_column_mapping", schema=None) as batch_op:
        batch_op.create_index("ux_bd_column_mapping", ["department", "kind"], unique=True)
    op.create_table(
        "bd_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id_type", sa.String(length=24), nullable=False),
        sa.Column("id_enc", sa.String(length=256), nullable=True),
        sa.Column("id_index", sa.String(length=64), nullable=True),
        sa.Column("id_masked", sa.String(length=32), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("population", sa.String(length=16), nullable=False),
        sa.Column("move_in", sa.Date(), nullable=True),
        sa.Column("move_out", sa.Date(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        *_placed("bd_person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_person")),
    )
    _placed_indexes("bd_person")
    with op.batch_alter_table("bd_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bd_person_id_index"), ["id_index"], unique=False)
        batch_op.create_index("ix_bd_person_path", ["division_path"], unique=False)
        batch_op.create_index("ix_bd_person_grid", ["grid_id"], unique=False)
    op.create_table(
        "bd_entity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("legal_rep", sa.String(length=64), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=False),
        sa.Column("licence_status", sa.String(length=16), nullable=False),
        *_placed("bd_entity"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_entity")),
    )
    _placed_indexes("bd_entity")
    with op.batch_alter_table("bd_entity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bd_entity_uscc"), ["uscc"], unique=False)
        batch_op.create_index("ix_bd_entity_path", ["division_path"], unique=False)
    op.create_table(
        "bd_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_label", sa.String(length=64), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("owner_name", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        *_placed("bd_room"),
        sa.ForeignKeyConstraint(["tenant_id"], ["bd_person.id"], name=op.f("fk_bd_room_tenant_id_bd_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_room")),
    )
    _placed_indexes("bd_room")
    with op.batch_alter_table("bd_room", schema=None) as batch_op:
        batch_op.create_index("ix_bd_room_path", ["division_path"], unique=False)
        batch_op.create_index("ix_bd_room_code", ["room_code"], unique=False)
    op.create_table(
        "bd_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTC, nullable=False),
        sa.Column("phone_enc", sa.String(length=256), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["bd_import_batch.id"], name=op.f("fk_bd_phone_batch_id_bd_import_batch")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["bd_person.id"], name=op.f("fk_bd_phone_person_id_bd_person")),
        sa.ForeignKeyConstraint(["entity_id"], ["bd_entity.id"], name=op.f("fk_bd_phone_entity_id_bd_entity")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_bd_phone_grid_id_division")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bd_phone")),
    )
    with op.batch_alter_table("bd_phone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bd_phone_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bd_phone_phone_index"), ["phone_index"], unique=False)
        batch_op.create_index(batch_op.f("ix_bd_phone_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bd_phone_entity_id"), ["entity_id"], unique=False)
    where = sa.text("address_id IS NOT NULL")
    op.create_index(
        "ix_event_address", "event", ["address_id", "reported_at"], sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("ix_event_address", table_name="event")
    for table in ("bd_phone", "bd_room", "bd_entity", "bd_person", "bd_column_mapping", "bd_import_batch"):
        op.drop_table(table)
