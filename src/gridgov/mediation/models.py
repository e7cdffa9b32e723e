"""Disputes, their parties, sessions, joint-mediation tasks and steps; mediation agencies and mediators."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.common.pii_store import protect_columns
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime

PATH = String(128).with_variant(String(128, collation="C"), "postgresql")


class MediationAgency(Base):
    """A people's mediation committee, police station, court, justice office, women's federation, industry committee
    or law firm at a division; an agency that is also a department of the org tree names it (its handlers act)."""

    __tablename__ = "mediation_agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Mediator(Base):
    __tablename__ = "mediator"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)  # the area he mediates in
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # dispute-type skills; empty: any
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Dispute(Base):
    __tablename__ = "dispute"
    __table_args__ = (Index("ix_dispute_scope", "division_path", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    dispute_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_pii: Mapped[str | None] = mapped_column(Text)  # originals of the masked free text, encrypted
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    source: Mapped[str] = mapped_column(String(16))
    source_event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))  # the place's grid or community
    division_path: Mapped[str] = mapped_column(PATH)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    address_text: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[str] = mapped_column(String(16))
    lead_division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediator.id"), index=True)
    rule_line: Mapped[int | None] = mapped_column(Integer)
    risk_level: Mapped[str] = mapped_column(String(8), default="low")
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    risk_flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    terms: Mapped[str | None] = mapped_column(Text)  # the agreed terms (达成协议)
    destination: Mapped[str | None] = mapped_column(String(16))  # 转入: arbitration, litigation, ...
    outcome_note: Mapped[str | None] = mapped_column(Text)
    follow_up_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    parties: Mapped[list[DisputeParty]] = relationship(order_by="DisputeParty.id", back_populates="dispute")
    sessions: Mapped[list[DisputeSession]] = relationship(order_by="DisputeSession.id")
    tasks: Mapped[list[DisputeTask]] = relationship(order_by="DisputeTask.id")
    steps: Mapped[list[DisputeStep]] = relationship(order_by="DisputeStep.id")


class DisputeParty(Base):
    """A party: a person or a legal entity, its role; name, ID number and phone encrypted (blind indexes for
    exact lookup), the masked forms kept for lists."""

    __tablename__ = "dispute_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))
    name_enc: Mapped[str] = mapped_column(String(512))
    name_masked: Mapped[str] = mapped_column(String(120))
    id_number_enc: Mapped[str | None] = mapped_column(String(256))
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    phone_enc: Mapped[str | None] = mapped_column(String(256))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))

    dispute: Mapped[Dispute] = relationship(back_populates="parties")


class DisputeSession(Base):
    __tablename__ = "dispute_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mediator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_pii: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class DisputeTask(Base):
    """One agency's part of a joint mediation (联调), with its own clock (dispatch/sla.py) and, when overdue, the
    division it was raised to."""

    __tablename__ = "dispute_task"
    __table_args__ = (Index("ix_dispute_task_due", "status", "sla_state", "deadline_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("mediation_agency.id"), index=True)
    agency_kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sla_state: Mapped[str] = mapped_column(String(8), default="normal")
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class DisputeStep(Base):
    """The dispute's history: one row per action, beside its audit row and domain event."""

    __tablename__ = "dispute_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class DisputeScan(Base):
    """A signed scan attached to the dispute or its agreement (签字版调解协议书, 司法确认申请书, other papers): the
    file itself is stored by the dispatch context's safe upload path (type sniffed, photos re-encoded clean)."""

    __tablename__ = "dispute_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachment.sha256"))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PetitionScreening(Base):
    """访前甄别: a visit or letter that may become a 信访 case, screened by a lawyer first (legal route advised,
    mediation offered, or referred) and followed up. The petitioner's name and phone encrypted (blind index on the
    phone), the masked forms kept for lists."""

    __tablename__ = "petition_screening"
    __table_args__ = (Index("ix_petition_screening_scope", "division_path", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # visit 来访 / letter 来信
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH)
    name_enc: Mapped[str] = mapped_column(String(512))
    name_masked: Mapped[str] = mapped_column(String(120))
    phone_enc: Mapped[str | None] = mapped_column(String(256))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    matter: Mapped[str] = mapped_column(Text, default="")
    matter_pii: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    advice: Mapped[str | None] = mapped_column(Text)
    referred_to: Mapped[str | None] = mapped_column(String(120))
    lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("mediator.id"))
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id"))
    follow_up_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class LegalAdviser(Base):
    """一社区一法律顾问: the community's legal adviser (a mediator of kind 社区法律顾问) and his duty hours."""

    __tablename__ = "legal_adviser"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("division.id"), unique=True)
    community_path: Mapped[str] = mapped_column(PATH, index=True)
    duty_hours: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LegalConsultation(Base):
    """A resident's consultation booking or legal-aid application from the phone page, answered online or met
    by the community's adviser; it may turn into a mediation case. Name and phone encrypted; the follow-up token
    kept only as its SHA-256 digest."""

    __tablename__ = "legal_consultation"
    __table_args__ = (Index("ix_legal_consultation_scope", "community_path", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # consult 法律咨询 / legal_aid 法律援助
    community_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    community_path: Mapped[str] = mapped_column(PATH)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("legal_adviser.id"))
    name_enc: Mapped[str] = mapped_column(String(512))
    name_masked: Mapped[str] = mapped_column(String(120))
    phone_enc: Mapped[str] = mapped_column(String(256))
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text, default="")
    question_pii: Mapped[str | None] = mapped_column(Text)
    preferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("dispute.id"))
    token_digest: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


protect_columns(Dispute, ("description", "outcome_note"), "description_pii")
protect_columns(PetitionScreening, ("matter", "advice", "follow_up_note"), "matter_pii")
protect_columns(LegalConsultation, ("question", "answer"), "question_pii")
protect_columns(DisputeSession, ("notes",), "notes_pii")
