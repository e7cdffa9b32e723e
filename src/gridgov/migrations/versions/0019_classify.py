"""classify: classifier versions (one live), the suggestions made at intake, the dispatchers' labels and the
per-小类 auto-dispatch thresholds

Revision ID: 0019_classify
Revises: 0018_blockdata
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_classify"
down_revision: str | None = "0018_blockdata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "classifier_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("trained_at", UTC, nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_holdout", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("macro_f1", sa.Float(), nullable=True),
        sa.Column("live_macro_f1", sa.Float(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"], ["app_user.id"], name=op.f("fk_classifier_version_trained_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_version")),
    )
    op.create_index(op.f("ix_classifier_version_live"), "classifier_version", ["live"])
    op.create_table(
        "classify_prediction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("top", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["classifier_version.id"], name=op.f("fk_classify_prediction_version_id_classifier_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classify_prediction")),
    )
    op.create_index(op.f("ix_classify_prediction_event_id"), "classify_prediction", ["event_id"], unique=True)
    op.create_table(
        "classify_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("predicted_code", sa.String(length=8), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"], name=op.f("fk_classify_label_actor_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classify_label")),
    )
    op.create_index(op.f("ix_classify_label_event_id"), "classify_label", ["event_id"])
    op.create_index(op.f("ix_classify_label_at"), "classify_label", ["at"])
    op.create_table(
        "classify_threshold",
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("category_code", name=op.f("pk_classify_threshold")),
    )


def downgrade() -> None:
    op.drop_table("classify_threshold")
    op.drop_index(op.f("ix_classify_label_at"), table_name="classify_label")
    op.drop_index(op.f("ix_classify_label_event_id"), table_name="classify_label")
    op.drop_table("classify_label")
    op.drop_index(op.f("ix_classify_prediction_event_id"), table_name="classify_prediction")
    op.drop_table("classify_prediction")
    op.drop_index(op.f("ix_classifier_version_live"), table_name="classifier_version")
    op.drop_table("classifier_version")
