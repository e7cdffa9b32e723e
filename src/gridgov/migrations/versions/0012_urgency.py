"""urgency and clocks: a case's urgency and time basis, a 小类's default urgency and time basis, 重特大 alerts

Revision ID: 0012_urgency
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_urgency"
down_revision: str | None = "0011_audit_chain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAJOR = sa.text("urgency = 'major'")


def upgrade() -> None:
    op.add_column("event_category", sa.Column("urgency", sa.String(length=8), nullable=False, server_default="normal"))
    op.add_column(
        "event_category", sa.Column("clock_basis", sa.String(length=8), nullable=False, server_default="working")
    )
    op.add_column("event", sa.Column("urgency", sa.String(length=8), nullable=False, server_default="normal"))
    op.add_column("event", sa.Column("urgency_reason", sa.Text(), nullable=True))
    op.add_column("event", sa.Column("clock_basis", sa.String(length=8), nullable=False, server_default="working"))
    op.add_column("event", sa.Column("leader_acked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_event_major", "event", ["status", "division_path"], sqlite_where=MAJOR, postgresql_where=MAJOR)
    op.create_table(
        "event_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("about_alert_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_event_alert_event_id_event")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_event_alert_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["about_alert_id"], ["event_alert.id"], name=op.f("fk_event_alert_about_alert_id_event_alert")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_alert")),
        sa.UniqueConstraint("event_id", "user_id", "kind", "about_alert_id", name="uq_event_alert_recipient"),
    )
    op.create_index(op.f("ix_event_alert_event_id"), "event_alert", ["event_id"])
    op.create_index("ix_event_alert_user", "event_alert", ["user_id", "acknowledged_at", "id"])
    op.create_index("ix_event_alert_open", "event_alert", ["acknowledged_at", "last_sent_at"])


def downgrade() -> None:
    op.drop_table("event_alert")
    op.drop_index("ix_event_major", table_name="event")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("leader_acked_at")
        batch.drop_column("clock_basis")
        batch.drop_column("urgency_reason")
        batch.drop_column("urgency")
    with op.batch_alter_table("event_category") as batch:
        batch.drop_column("clock_basis")
        batch.drop_column("urgency")
