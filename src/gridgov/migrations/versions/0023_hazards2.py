"""hazards: inspections of hazard sources (due, done with their checklist answers, escalation tier), their
findings with the rectification case each opened, and the enterprise risk grades

Revision ID: 0023_hazards2
Revises: 0022_loop
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_hazards2"
down_revision: str | None = "0022_loop"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)
PATH = sa.String(length=128).with_variant(sa.String(length=128, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "hazard_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC, nullable=True),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("results", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["done_by"], ["app_user.id"], name=op.f("fk_hazard_inspection_done_by_app_user")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_hazard_inspection_grid_id_division")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["hazard_source.id"], name=op.f("fk_hazard_inspection_source_id_hazard_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_inspection")),
        sa.UniqueConstraint("source_id", "due_at", name="uq_hazard_inspection_source_due"),
    )
    op.create_index(op.f("ix_hazard_inspection_division_path"), "hazard_inspection", ["division_path"], unique=False)
    op.create_index(op.f("ix_hazard_inspection_source_id"), "hazard_inspection", ["source_id"], unique=False)
    op.create_index("ix_hazard_inspection_status_due", "hazard_inspection", ["status", "due_at"], unique=False)
    op.create_table(
        "hazard_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("found_at", UTC, nullable=False),
        sa.Column("rectify_by", UTC, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["event.id"], name=op.f("fk_hazard_finding_case_id_event")),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["hazard_inspection.id"], name=op.f("fk_hazard_finding_inspection_id_hazard_inspection")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["hazard_source.id"], name=op.f("fk_hazard_finding_source_id_hazard_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_finding")),
    )
    op.create_index(op.f("ix_hazard_finding_case_id"), "hazard_finding", ["case_id"], unique=False)
    op.create_index(op.f("ix_hazard_finding_inspection_id"), "hazard_finding", ["inspection_id"], unique=False)
    op.create_index(op.f("ix_hazard_finding_source_id"), "hazard_finding", ["source_id"], unique=False)
    op.create_table(
        "hazard_risk_grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=False),
        sa.Column("address_code", sa.String(length=64), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("division_path", PATH, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("regulators", sa.JSON(), nullable=False),
        sa.Column("graded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["bd_entity.id"], name=op.f("fk_hazard_risk_grade_entity_id_bd_entity")),
        sa.ForeignKeyConstraint(["grid_id"], ["division.id"], name=op.f("fk_hazard_risk_grade_grid_id_division")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_risk_grade")),
        sa.UniqueConstraint("subject", name=op.f("uq_hazard_risk_grade_subject")),
    )
    op.create_index(op.f("ix_hazard_risk_grade_address_code"), "hazard_risk_grade", ["address_code"], unique=False)
    op.create_index(op.f("ix_hazard_risk_grade_division_path"), "hazard_risk_grade", ["division_path"], unique=False)
    op.create_index(op.f("ix_hazard_risk_grade_grade"), "hazard_risk_grade", ["grade"], unique=False)


def downgrade() -> None:
    op.drop_table("hazard_risk_grade")
    op.drop_table("hazard_finding")
    op.drop_table("hazard_inspection")
