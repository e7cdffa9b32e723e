"""the audit log becomes a hash chain (seq, prev_hash, hash and the chain head); phone and ID numbers in a case's
free text are stored masked with their originals encrypted beside them

The rows already in audit_log are chained in the order of their ids, and the free text already stored is masked
and its originals encrypted, under the deployment's keys (var/audit.key, var/pii.key or GRIDGOV_AUDIT_KEY,
GRIDGOV_PII_KEY): run the migration with the settings the server runs with. The append-only triggers are
lifted for these two rewrites only and put back in the same transaction.

Revision ID: 0011_audit_chain
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from gridgov.common.audit import AuditLog
from gridgov.common.audit_chain import GENESIS, chain, chain_key
from gridgov.common.pii_store import protect_row
from gridgov.common.security import pii_cipher
from gridgov.config import get_settings
from gridgov.dispatch.models import FREE_TEXT
from gridgov.migrations.triggers import create_append_only, drop_append_only

revision: str = "0011_audit_chain"
down_revision: str | None = "0010_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_TABLES = ("event", "event_task", "event_transition")


def _chain_existing(conn: sa.Connection) -> None:
    """Chain the rows already there in the order of their ids (read through the model's columns: its UTC
    datetimes and JSON, as the server will read them when it verifies)."""
    columns = [AuditLog.id, AuditLog.at, AuditLog.actor_id, AuditLog.actor_role, AuditLog.action]
    columns += [AuditLog.entity, AuditLog.entity_id, AuditLog.detail]
    rows = [dict(r) for r in conn.execute(sa.select(*columns).order_by(AuditLog.id)).mappings()]
    last = chain(chain_key(get_settings().audit_secret), 1, GENESIS, rows)
    if rows:
        log = sa.table("audit_log", *map(sa.column, ("id", "seq", "prev_hash", "hash")))
        drop_append_only("audit_log")
        conn.execute(
            log.update().where(log.c.id == sa.bindparam("row_id")),
            [{"row_id": r["id"], "seq": r["seq"], "prev_hash": r["prev_hash"], "hash": r["hash"]} for r in rows],
        )
        create_append_only("audit_log")
    head = sa.table("audit_head", *map(sa.column, ("id", "seq", "hash")))
    conn.execute(head.insert().values(id=1, seq=len(rows), hash=last))


def _mask_existing(conn: sa.Connection) -> None:
    cipher = pii_cipher(get_settings().pii_secret)
    for model, fields in FREE_TEXT.items():
        table = sa.table(model.__tablename__, sa.column("id"), sa.column("pii_text_enc"), *map(sa.column, fields))
        changed: list[dict[str, Any]] = []
        for found in conn.execute(sa.select(table)).mappings():
            row = dict(found)
            protect_row(cipher, model, row)
            if row["pii_text_enc"] is not None:
                changed.append({**row, "row_id": row.pop("id")})
        if not changed:
            continue
        append_only = model.__tablename__ == "event_transition"
        if append_only:
            drop_append_only("event_transition")
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id")), changed)
        if append_only:
            create_append_only("event_transition")


def upgrade() -> None:
    # plain ALTER TABLE ... ADD COLUMN (no batch: SQLite would rebuild the table and lose its triggers)
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_audit_log_seq"), "audit_log", ["seq"], unique=True)
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    for table in TEXT_TABLES:
        op.add_column(table, sa.Column("pii_text_enc", sa.Text(), nullable=True))
    conn = op.get_bind()
    _chain_existing(conn)
    _mask_existing(conn)


def downgrade() -> None:
    for table in TEXT_TABLES:
        op.drop_column(table, "pii_text_enc")  # the masked text stays masked: its originals go with the column
    op.drop_table("audit_head")
    op.drop_index(op.f("ix_audit_log_seq"), table_name="audit_log")
    for column in ("hash", "prev_hash", "seq"):
        op.drop_column("audit_log", column)
