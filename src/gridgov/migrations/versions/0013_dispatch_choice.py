"""the dispatcher's choice and 吹哨报到: routing corrections, a task named to a person, summons with their
report-in clock, on-duty rosters of the centres

Revision ID: 0013_dispatch_choice
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_dispatch_choice"
down_revision: str | None = "0012_urgency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "duty_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post", sa.String(length=16), nullable=False),
        sa.Column("starts_at", AT, nullable=False),
        sa.Column("ends_at", AT, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", AT, nullable=False),
        sa.ForeignKeyConstraint(["division_id"], ["division.id"], name=op.f("fk_duty_shift_division_id_division")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_duty_shift_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shift")),
    )
    op.create_index("ix_duty_shift_centre_time", "duty_shift", ["division_id", "ends_at", "starts_at"])
    op.create_table(
        "event_summons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("summoned_at", AT, nullable=False),
        sa.Column("respond_by", AT, nullable=False),
        sa.Column("summoned_by_id", sa.Integer(), nullable=True),
        sa.Column("centre_division_id", sa.Integer(), nullable=True),
        sa.Column("reported_in_at", AT, nullable=True),
        sa.Column("reported_in_by_id", sa.Integer(), nullable=True),
        sa.Column("report_in_note", sa.Text(), nullable=True),
        sa.Column("result_at", AT, nullable=True),
        sa.Column("result_by_id", sa.Integer(), nullable=True),
        sa.Column("result_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_division_id"], ["division.id"], name=op.f("fk_event_summons_centre_division_id_division")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_event_summons_department_id_department")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_event_summons_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_summons")),
    )
    op.create_index("ix_summons_department_status", "event_summons", ["department_id", "status", "event_id"])
    op.create_index("ix_summons_event", "event_summons", ["event_id", "id"])
    op.create_index(
        "ix_summons_period",
        "event_summons",
        ["summoned_at", "event_id", "department_id", "respond_by", "reported_in_at", "status"],
    )
    op.create_table(
        "routing_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("suggested_department_id", sa.Integer(), nullable=True),
        sa.Column("chosen_department_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", AT, nullable=False),
        sa.Column("returned_at", AT, nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["division.id"], name=op.f("fk_routing_correction_area_id_division")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["event_category.id"], name=op.f("fk_routing_correction_category_id_event_category")
        ),
        sa.ForeignKeyConstraint(
            ["chosen_department_id"],
            ["department.id"],
            name=op.f("fk_routing_correction_chosen_department_id_department"),
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_routing_correction_event_id_event")),
        sa.ForeignKeyConstraint(
            ["suggested_department_id"],
            ["department.id"],
            name=op.f("fk_routing_correction_suggested_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_correction")),
    )
    op.create_index(op.f("ix_routing_correction_event_id"), "routing_correction", ["event_id"])
    op.create_index("ix_routing_correction_key", "routing_correction", ["category_id", "area_id", "id"])
    with op.batch_alter_table("event_task") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_event_task_assignee_id_app_user", "app_user", ["assignee_id"], ["id"])
    op.create_index("ix_task_assignee_status", "event_task", ["assignee_id", "status", "event_id"])


def downgrade() -> None:
    op.drop_index("ix_task_assignee_status", table_name="event_task")
    with op.batch_alter_table("event_task") as batch:
        batch.drop_constraint("fk_event_task_assignee_id_app_user", type_="foreignkey")
        batch.drop_column("assignee_id")
    op.drop_table("routing_correction")
    op.drop_table("event_summons")
    op.drop_table("duty_shift")
