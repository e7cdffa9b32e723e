"""hazards: hazard classes, hazard sources, devices (hashed keys), alarm rules as data, telemetry, rejected
payloads kept for inspection, each device's rule memory and the alarms with their cases

Revision ID: 0016_hazards
Revises: 0015_verification
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_hazards"
down_revision: str | None = "0015_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alarm_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_alarm_rule_code")),
    )
    op.create_index(op.f("ix_alarm_rule_device_type"), "alarm_rule", ["device_type"], unique=False)
    op.create_table(
        "alarm_rule_state",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "rule_id", name=op.f("pk_alarm_rule_state")),
    )
    op.create_table(
        "hazard_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("category_code", sa.String(length=5), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_class")),
        sa.UniqueConstraint("code", name=op.f("uq_hazard_class_code")),
    )
    op.create_table(
        "telemetry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry")),
    )
    op.create_index("ix_telemetry_device_ts", "telemetry", ["device_id", "ts"], unique=False)
    op.create_table(
        "telemetry_reject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("device_code", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_reject")),
    )
    op.create_index(op.f("ix_telemetry_reject_at"), "telemetry_reject", ["at"], unique=False)
    op.create_table(
        "hazard_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("address_code", sa.String(length=64), nullable=True),
        sa.Column("address_text", sa.String(length=300), nullable=False),
        sa.Column("polygon", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("responsible_unit", sa.String(length=200), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=False),
        sa.Column("inspection_days", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["hazard_class.id"], name=op.f("fk_hazard_source_class_id_hazard_class")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_hazard_source_grid_id_division")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_source")),
        sa.UniqueConstraint("code", name=op.f("uq_hazard_source_code")),
    )
    op.create_index(op.f("ix_hazard_source_class_id"), "hazard_source", ["class_id"], unique=False)
    op.create_index(op.f("ix_hazard_source_division_path"), "hazard_source", ["division_path"], unique=False)
    op.create_table(
        "hazard_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("registered_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_hazard_device_grid_id_division")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["hazard_source.id"], name=op.f("fk_hazard_device_source_id_hazard_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_device")),
        sa.UniqueConstraint("code", name=op.f("uq_hazard_device_code")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_hazard_device_key_hash")),
    )
    op.create_index(op.f("ix_hazard_device_division_path"), "hazard_device", ["division_path"], unique=False)
    op.create_index(op.f("ix_hazard_device_source_id"), "hazard_device", ["source_id"], unique=False)
    op.create_table(
        "hazard_alarm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("alarm_type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("cleared_at", UTC, nullable=True),
        sa.Column("acked_at", UTC, nullable=True),
        sa.Column("acked_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("clear_reason", sa.String(length=200), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["event.id"], name=op.f("fk_hazard_alarm_case_id_event")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["hazard_device.id"], name=op.f("fk_hazard_alarm_device_id_hazard_device")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_hazard_alarm_grid_id_division")),
        sa.ForeignKeyConstraint(["rule_id"], ["alarm_rule.id"], name=op.f("fk_hazard_alarm_rule_id_alarm_rule")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["hazard_source.id"], name=op.f("fk_hazard_alarm_source_id_hazard_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_alarm")),
        sa.UniqueConstraint("device_id", "rule_id", "started_at", name="uq_alarm_device_rule_start"),
    )
    op.create_index(op.f("ix_hazard_alarm_active"), "hazard_alarm", ["active"], unique=False)
    op.create_index(op.f("ix_hazard_alarm_case_id"), "hazard_alarm", ["case_id"], unique=False)
    op.create_index(op.f("ix_hazard_alarm_device_id"), "hazard_alarm", ["device_id"], unique=False)
    op.create_index(op.f("ix_hazard_alarm_division_path"), "hazard_alarm", ["division_path"], unique=False)
    op.create_index(op.f("ix_hazard_alarm_source_id"), "hazard_alarm", ["source_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_hazard_alarm_source_id"), table_name="hazard_alarm")
    op.drop_index(op.f("ix_hazard_alarm_division_path"), table_name="hazard_alarm")
    op.drop_index(op.f("ix_hazard_alarm_device_id"), table_name="hazard_alarm")
    op.drop_index(op.f("ix_hazard_alarm_case_id"), table_name="hazard_alarm")
    op.drop_index(op.f("ix_hazard_alarm_active"), table_name="hazard_alarm")
    op.drop_table("hazard_alarm")
    op.drop_index(op.f("ix_hazard_device_source_id"), table_name="hazard_device")
    op.drop_index(op.f("ix_hazard_device_division_path"), table_name="hazard_device")
    op.drop_table("hazard_device")
    op.drop_index(op.f("ix_hazard_source_division_path"), table_name="hazard_source")
    op.drop_index(op.f("ix_hazard_source_class_id"), table_name="hazard_source")
    op.drop_table("hazard_source")
    op.drop_index(op.f("ix_telemetry_reject_at"), table_name="telemetry_reject")
    op.drop_table("telemetry_reject")
    op.drop_index("ix_telemetry_device_ts", table_name="telemetry")
    op.drop_table("telemetry")
    op.drop_table("hazard_class")
    op.drop_table("alarm_rule_state")
    op.drop_index(op.f("ix_alarm_rule_device_type"), table_name="alarm_rule")
    op.drop_table("alarm_rule")
