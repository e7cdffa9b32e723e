"""Sending the planned deliveries that are due: claim a batch (a lease, committed), send each through its
channel, mark it sent. The in-app deliveries of a batch are written to the bell and marked in one transaction
(two statements for the whole batch); every other one is marked right after its own send, in one session for
the batch. A worker that dies leaves its claimed deliveries leased: when the lease runs out another worker sends
them again with the same idempotency key (at least once to the channel; the file adapter and the bell see each
key once; an e-mail sent twice carries the same Message-ID)."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.notify.channels import Channel, Message
from gridgov.notify.models import Notification, NotificationDelivery, NotifyPreference
from gridgov.notify.rules import ChannelName, DeliveryStatus

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
D = NotificationDelivery
TABLE = cast(Table, NotificationDelivery.__table__)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    channel: ChannelName
    attempts: int
    message: Message


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(D.status == DeliveryStatus.PENDING.value, D.not_before <= now),
        and_(D.status == DeliveryStatus.SENDING.value, D.lease_until < now),
    )


def claim(session: Session, now: datetime, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries (in the caller's transaction: commit it before sending)."""
    stmt = select(D.id).where(_due(now)).order_by(D.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if not ids:
        return []
    # Due again in the UPDATE: on SQLite a second worker may have read the same ids before this one took the
    # write lock; it then claims none of them (its lease differs), and only rows holding our lease are sent.
    lease = now + LEASE + timedelta(microseconds=random.randrange(1, 1_000_000))
    session.execute(
        update(D)
        .where(D.id.in_(ids), _due(now))
        .values(status=DeliveryStatus.SENDING.value, lease_until=lease, attempts=D.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(D.id, D.key, D.channel, D.attempts, Notification.id, Notification.title, Notification.body)
        .add_columns(Notification.phone_enc, NotifyPreference.email_enc)
        .join(Notification, Notification.id == D.notification_id)
        .outerjoin(NotifyPreference, NotifyPreference.user_id == Notification.user_id)
        .where(D.id.in_(ids), D.lease_until == lease)
        .order_by(D.id)
    ).all()
    cipher = pii_cipher(settings_of(session).pii_secret)
    out = []
    for did, key, channel, attempts, nid, title, body, phone, email in rows:
        name = ChannelName(channel)
        secret = {ChannelName.SMS: phone, ChannelName.EMAIL: email}.get(name)
        address = cipher.decrypt(secret) if secret else ""
        out.append(Claimed(did, name, attempts, Message(key, nid, address, title, body)))
    return out


def _mark_sent(session: Session, delivery_ids: Sequence[int], now: datetime) -> None:
    """A plain table UPDATE (no ORM bookkeeping: one runs per text or e-mail sent)."""
    if delivery_ids:
        t = TABLE.c
        session.execute(
            update(TABLE)
            .where(t.id.in_(delivery_ids), t.status == DeliveryStatus.SENDING.value)
            .values(status=DeliveryStatus.SENT.value, sent_at=now, lease_until=None, error=None)
        )


def _mark_failed(session: Session, item: Claimed, error: str, now: datetime) -> None:
    final = item.attempts >= MAX_ATTEMPTS
    session.execute(
        update(D)
        .where(D.id == item.delivery_id, D.status == DeliveryStatus.SENDING.value)
        .values(
            status=(DeliveryStatus.FAILED if final else DeliveryStatus.PENDING).value,
            not_before=now + timedelta(seconds=30 * 2**item.attempts),
            lease_until=None,
            error=error[:500],
        )
    )


def send_due(
    factory: sessionmaker[Session],
    channels: Mapping[ChannelName, Channel],
    now: datetime | None = None,
    limit: int = 500,
) -> int:
    """One batch: claim, send, mark. Returns how many deliveries were claimed."""
    now = now or utcnow()
    with factory() as session, session.begin():
        batch = claim(session, now, limit)
    in_app = [c for c in batch if c.channel is ChannelName.IN_APP]
    if in_app:
        with factory() as session, session.begin():
            bell = channels[ChannelName.IN_APP]
            send_many = getattr(bell, "send_many", None)
            if send_many is not None:  # the bell: one statement for the whole batch
                send_many(session, [item.message for item in in_app])
            else:
                for item in in_app:
                    bell.send(session, item.message)
            _mark_sent(session, [item.delivery_id for item in in_app], now)
    others = [c for c in batch if c.channel is not ChannelName.IN_APP]
    if others:
        _send_others(factory, channels, others, now)
    return len(batch)


def _send_others(
    factory: sessionmaker[Session], channels: Mapping[ChannelName, Channel], items: Sequence[Claimed], now: datetime
) -> None:
    """Texts and e-mails, each marked (committed) right after it left: a crash sends again only the one in
    flight, so a channel that cannot recognise a key twice (an SMTP server) still gets each message once."""
    with factory() as session:
        for item in items:
            channel = channels.get(item.channel)
            if channel is None or not item.message.address:
                why = "is not configured" if channel is None else "has no address for this recipient"
                _mark_failed(session, item, f"channel {item.channel.value} {why}", now)
            else:
                try:
                    channel.send(session, item.message)
                except Exception as exc:  # the channel's own failure: retried later, then given up
                    log.warning("notification %s via %s failed: %s", item.message.key, item.channel.value, exc)
                    _mark_failed(session, item, f"{type(exc).__name__}: {exc}", now)
                else:
                    _mark_sent(session, [item.delivery_id], utcnow())
            session.commit()
