"""The inspection and grading tables: one row per due or done inspection of a hazard source (its checklist answers
once done, the tier its lateness reached), one row per finding with the rectification case it opened, and the
latest risk grade of each legal entity (or address, where no entity is known) with its factors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime
from gridgov.hazards.models import PATH


class Inspection(Base):
    """巡查检查: due at `due_at` in the source's grid; done with `results` ([{item, ok, note}])."""

    __tablename__ = "hazard_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("hazard_source.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="due")
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)  # as planned when it fell due
    tier: Mapped[int] = mapped_column(Integer, default=0)  # escalation tiers reached while overdue
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    findings: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("source_id", "due_at", name="uq_hazard_inspection_source_due"),)


Index("ix_hazard_inspection_status_due", Inspection.status, Inspection.due_at)


class Finding(Base):
    """A failed checklist item: the rectification case it opened through the intake port, and its deadline."""

    __tablename__ = "hazard_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("hazard_inspection.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("hazard_source.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500))
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rectify_by: Mapped[datetime] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)


class RiskGradeRow(Base):
    """企业风险分级: the latest grade of one subject — ``entity:<统一社会信用代码>`` or ``address:<standard code>`` —
    with its score, the factors that gave it and the department types that regulate it."""

    __tablename__ = "hazard_risk_grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), unique=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("bd_entity.id"))
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(64), default="")
    address_code: Mapped[str | None] = mapped_column(String(64), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(16), index=True)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    regulators: Mapped[list[str]] = mapped_column(JSON, default=list)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime)
