"""The stored linkage: one row per cluster (its stable id and golden record), one membership row per linked
person record, the stewards' decisions (kept as record ids, so that every relink honours them) and the trained
model an incremental run reuses. PII stays where it is encrypted (bd_person, bd_phone): the golden record keeps
the masked 身份证号 and phone, and the record each came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime


class LinkCluster(Base):
    """A person cluster: `key` is the stable id (P000000001) that relinking never renumbers."""

    __tablename__ = "bd_link_cluster"

    id: Mapped[int] = mapped_column(primary_key=True)  # the number in the key
    key: Mapped[str] = mapped_column(String(16), unique=True)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    golden: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> value (PII masked), _from, _why
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkMember(Base):
    """A person record's cluster."""

    __tablename__ = "bd_link_member"

    person_id: Mapped[int] = mapped_column(ForeignKey("bd_person.id"), primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("bd_link_cluster.id"))

    __table_args__ = (Index("ix_bd_link_member_cluster", "cluster_id"),)


class LinkDecision(Base):
    """A steward's merge (record_ids are one person) or split (record_ids apart from rest_ids), in force until a
    later decision contradicts it."""

    __tablename__ = "bd_link_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # merge / split
    record_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    rest_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkModel(Base):
    """A trained Splink model (its JSON settings); the newest one scores incremental runs and waterfalls."""

    __tablename__ = "bd_link_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    records: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
