"""The standard address library in the database: addresses, aliases, their change history and the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.audit import make_append_only
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime


@published("address_status")
class AddressStatus(ChoiceSet):
    ACTIVE = ("active", "在用", "#52c41a")
    RETIRED = ("retired", "已注销", "#8c8c8c")
    MERGED = ("merged", "已合并", "#faad14")


class Address(Base):
    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default=AddressStatus.ACTIVE.value)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_address_community_level", "community_id", "level"),)


class AddressAlias(Base):
    __tablename__ = "address_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("address.id"), index=True)
    alias: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="alias")  # alias | old_name | learned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)


class AddressChange(Base):
    """Append-only history of every change to the library: create, edit, rename, merge, retire, alias."""

    __tablename__ = "address_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("address.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


make_append_only(AddressChange)


@published("review_status")
class ReviewStatus(ChoiceSet):
    PENDING = ("pending", "待确认", "#faad14")
    RESOLVED = ("resolved", "已确认", "#52c41a")
    DISMISSED = ("dismissed", "已忽略", "#8c8c8c")


class AddressReview(Base):
    """An input the matcher could not place with confidence, waiting for a human's choice."""

    __tablename__ = "address_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    input_text: Mapped[str] = mapped_column(String(300))
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    explanation: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING.value, index=True)
    source: Mapped[str] = mapped_column(String(16), default="api")  # event | api | import
    source_id: Mapped[int | None] = mapped_column(Integer, index=True)
    division_path: Mapped[str] = mapped_column(String(128), default="/")
    resolved_address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    resolved_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
