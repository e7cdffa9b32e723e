"""mediation: disputes (parties, sessions, joint-mediation tasks, steps), mediation agencies and mediators

Revision ID: 0017_mediation
Revises: 0016_hazards
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_mediation"
down_revision: str | None = "0016_hazards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mediation_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_mediation_agency_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["division.id"], name=op.f("fk_mediation_agency_division_id_division")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_agency")),
    )
    op.create_index(op.f("ix_mediation_agency_division_id"), "mediation_agency", ["division_id"], unique=False)
    op.create_table(
        "mediator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["mediation_agency.id"], name=op.f("fk_mediator_agency_id_mediation_agency")
        ),
        sa.ForeignKeyConstraint(["division_id"], ["division.id"], name=op.f("fk_mediator_division_id_division")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_mediator_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator")),
    )
    op.create_index(op.f("ix_mediator_division_path"), "mediator", ["division_path"], unique=False)
    op.create_index(op.f("ix_mediator_user_id"), "mediator", ["user_id"], unique=False)
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("dispute_type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_pii", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_event_id", sa.Integer(), nullable=True),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("address_text", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("lead_division_id", sa.Integer(), nullable=True),
        sa.Column("mediator_id", sa.Integer(), nullable=True),
        sa.Column("rule_line", sa.Integer(), nullable=True),
        sa.Column("risk_level", sa.String(length=8), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column("risk_flags", sa.JSON(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("destination", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("follow_up_due", UTC, nullable=True),
        sa.Column("registered_at", UTC, nullable=False),
        sa.Column("agreed_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["address_id"], ["address.id"], name=op.f("fk_dispute_address_id_address")),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"], name=op.f("fk_dispute_created_by_app_user")),
        sa.ForeignKeyConstraint(["division_id"], ["division.id"], name=op.f("fk_dispute_division_id_division")),
        sa.ForeignKeyConstraint(
            ["lead_division_id"], ["division.id"], name=op.f("fk_dispute_lead_division_id_division")
        ),
        sa.ForeignKeyConstraint(["mediator_id"], ["mediator.id"], name=op.f("fk_dispute_mediator_id_mediator")),
        sa.ForeignKeyConstraint(["source_event_id"], ["event.id"], name=op.f("fk_dispute_source_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute")),
        sa.UniqueConstraint("number", name=op.f("uq_dispute_number")),
    )
    op.create_index(op.f("ix_dispute_mediator_id"), "dispute", ["mediator_id"], unique=False)
    op.create_index("ix_dispute_scope", "dispute", ["division_path", "stage"], unique=False)
    op.create_table(
        "dispute_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name_enc", sa.String(length=512), nullable=False),
        sa.Column("name_masked", sa.String(length=120), nullable=False),
        sa.Column("id_number_enc", sa.String(length=256), nullable=True),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=32), nullable=True),
        sa.Column("phone_enc", sa.String(length=256), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_party_dispute_id_dispute")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_party")),
    )
    op.create_index(op.f("ix_dispute_party_dispute_id"), "dispute_party", ["dispute_id"], unique=False)
    op.create_index(op.f("ix_dispute_party_id_number_index"), "dispute_party", ["id_number_index"], unique=False)
    op.create_index(op.f("ix_dispute_party_phone_index"), "dispute_party", ["phone_index"], unique=False)
    op.create_table(
        "dispute_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("held_at", UTC, nullable=False),
        sa.Column("mediator_ids", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("notes_pii", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_session_dispute_id_dispute")),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"], name=op.f("fk_dispute_session_recorded_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_session")),
    )
    op.create_index(op.f("ix_dispute_session_dispute_id"), "dispute_session", ["dispute_id"], unique=False)
    op.create_table(
        "dispute_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=False),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("fk_dispute_step_actor_id_app_user")),
        sa.ForeignKeyConstraint(["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_step_dispute_id_dispute")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_step")),
    )
    op.create_index(op.f("ix_dispute_step_dispute_id"), "dispute_step", ["dispute_id"], unique=False)
    op.create_table(
        "dispute_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("agency_kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("warn_at", UTC, nullable=False),
        sa.Column("deadline_at", UTC, nullable=False),
        sa.Column("sla_state", sa.String(length=8), nullable=False),
        sa.Column("escalated_to_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["mediation_agency.id"], name=op.f("fk_dispute_task_agency_id_mediation_agency")
        ),
        sa.ForeignKeyConstraint(["dispute_id"], ["dispute.id"], name=op.f("fk_dispute_task_dispute_id_dispute")),
        sa.ForeignKeyConstraint(
            ["escalated_to_id"], ["division.id"], name=op.f("fk_dispute_task_escalated_to_id_division")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_task")),
    )
    op.create_index(op.f("ix_dispute_task_agency_id"), "dispute_task", ["agency_id"], unique=False)
    op.create_index(op.f("ix_dispute_task_dispute_id"), "dispute_task", ["dispute_id"], unique=False)
    op.create_index("ix_dispute_task_due", "dispute_task", ["status", "sla_state", "deadline_at"], unique=False)


def downgrade() -> None:

    op.drop_index("ix_dispute_task_due", table_name="dispute_task")
    op.drop_index(op.f("ix_dispute_task_dispute_id"), table_name="dispute_task")
    op.drop_index(op.f("ix_dispute_task_agency_id"), table_name="dispute_task")
    op.drop_table("dispute_task")
    op.drop_index(op.f("ix_dispute_step_dispute_id"), table_name="dispute_step")
    op.drop_table("dispute_step")
    op.drop_index(op.f("ix_dispute_session_dispute_id"), table_name="dispute_session")
    op.drop_table("dispute_session")
    op.drop_index(op.f("ix_dispute_party_phone_index"), table_name="dispute_party")
    op.drop_index(op.f("ix_dispute_party_id_number_index"), table_name="dispute_party")
    op.drop_index(op.f("ix_dispute_party_dispute_id"), table_name="dispute_party")
    op.drop_table("dispute_party")
    op.drop_index("ix_dispute_scope", table_name="dispute")
    op.drop_index(op.f("ix_dispute_mediator_id"), table_name="dispute")
    op.drop_table("dispute")
    op.drop_index(op.f("ix_mediator_user_id"), table_name="mediator")
    op.drop_index(op.f("ix_mediator_division_path"), table_name="mediator")
    op.drop_table("mediator")
    op.drop_index(op.f("ix_mediation_agency_division_id"), table_name="mediation_agency")
    op.drop_table("mediation_agency")
