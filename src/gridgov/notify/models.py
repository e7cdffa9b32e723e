"""Notifications (one per source event, kind and recipient), their deliveries (one per channel, each with its
idempotency key), each person's preferences and the templates the admin has edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime
from gridgov.notify.rules import DeliveryStatus


class Notification(Base):
    """What one recipient is told about one domain event. The in-app channel puts it in his bell (`inbox_at`)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_event_id: Mapped[int] = mapped_column(Integer)  # the outbox row (domain_event.id) it was planned from
    kind: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(80))  # "user:<id>" or "phone:<blind index>"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    phone_enc: Mapped[str | None] = mapped_column(String(256))  # the number a text goes to, encrypted
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    inbox_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliveries: Mapped[list[NotificationDelivery]] = relationship(back_populates="notification")

    __table_args__ = (
        UniqueConstraint("source_event_id", "kind", "recipient", name="uq_notification_source_kind_recipient"),
        Index("ix_notification_inbox", "user_id", "inbox_at", "read_at"),
    )


class NotificationDelivery(Base):
    """One notification on one channel: pending until its `not_before` (quiet hours), claimed with a lease while
    it is being sent, then sent or failed. `key` is unique and handed to the channel."""

    __tablename__ = "notification_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")

    __table_args__ = (Index("ix_notification_delivery_due", "status", "not_before", "id"),)


class NotifyPreference(Base):
    """A person's choice of channels per kind, his quiet hours and his e-mail address (encrypted)."""

    __tablename__ = "notify_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    channels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind -> [channel, ...]
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    email_enc: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotifyTemplate(Base):
    """A template the admin has changed (the shipped defaults are in notify/data/templates.toml)."""

    __tablename__ = "notify_template"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(Integer)
