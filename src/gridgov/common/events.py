"""The domain-event bus: how contexts react to each other without importing each other.

An action publishes ``context.thing_happened`` (the case's lifecycle: ``event.<action>``) with a small payload.
Publishing, in the action's own transaction:

* runs the in-process subscribers registered for that name at start-up (`subscribe`): they change what they
  own in the same transaction, so the action and its reactions are whole or absent together;
* queues the outbox row (`domain_event`), written when the transaction commits.

Asynchronous subscribers (projections, notifications, webhooks: `subscribe_async`) are fed from the outbox by
`deliver` (the `OutboxWorker` thread, or `gridgov outbox deliver`): at least once, in order of id, each keeping
its position in `outbox_position`. A subscriber whose effects are written through the session it is handed
gets them committed together with its new position, so a crash or restart neither loses nor repeats one.

Order: outbox ids become visible in the order they were taken. The rows are inserted at commit time, after the
transaction's other writes; on PostgreSQL the insert first takes a transaction-level advisory lock (held
until the commit), on SQLite the writer holds the database's write lock. So a reader that has seen id N has
seen every committed id below N, and a position never skips a row that commits later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import JSON, Integer, String, Table, func, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column, sessionmaker

from gridgov.common.periodic import Periodic
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime

log = logging.getLogger(__name__)
_PENDING = "gridgov.outbox"
OUTBOX_LOCK = 4_815_162_342  # the advisory lock key that orders outbox writers on PostgreSQL


class DomainEvent(Base):
    """The outbox: every domain event, in order of id."""

    __tablename__ = "domain_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    aggregate: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[int] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxPosition(Base):
    """How far each asynchronous subscriber has read the outbox (the last id handed to it)."""

    __tablename__ = "outbox_position"

    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Published:
    """What an in-process subscriber is handed: the event and, in process only, who caused it."""

    name: str
    aggregate: str
    aggregate_id: int
    payload: Mapping[str, Any]
    at: datetime
    actor: Principal | None = None


InProcessHandler = Callable[[Session, Published], None]
BatchHandler = Callable[[Session, Sequence[DomainEvent]], None]


@dataclass(frozen=True)
class AsyncSubscriber:
    name: str
    handle: BatchHandler
    events: frozenset[str] | None = None  # None: every event
    start: Literal["beginning", "now"] = "beginning"  # where a new subscriber starts reading


@dataclass
class EventBus:
    handlers: dict[str, list[InProcessHandler]] = field(default_factory=dict)
    subscribers: dict[str, AsyncSubscriber] = field(default_factory=dict)

    def subscribe(self, name: str, handler: InProcessHandler) -> None:
        """React to `name` inside the publishing transaction (registered once, at start-up)."""
        handlers = self.handlers.setdefault(name, [])
        if handler not in handlers:
            handlers.append(handler)

    def subscribe_async(self, subscriber: AsyncSubscriber) -> None:
        """Be fed the outbox by the delivery worker."""
        known = self.subscribers.get(subscriber.name)
        if known is not None and known != subscriber:
            raise ValueError(f"another subscriber is already called {subscriber.name!r}")
        self.subscribers[subscriber.name] = subscriber

    def publish(
        self,
        session: Session,
        name: str,
        aggregate: str,
        aggregate_id: int,
        payload: Mapping[str, Any],
        *,
        actor: Principal | None = None,
        at: datetime | None = None,
    ) -> None:
        at = at or utcnow()
        body = dict(payload)
        pending(session).append(
            {"name": name, "aggregate": aggregate, "aggregate_id": aggregate_id, "payload": body, "at": at}
        )
        for handler in self.handlers.get(name, ()):
            handler(session, Published(name, aggregate, aggregate_id, body, at, actor))

    def publish_rows(self, session: Session, rows: Iterable[dict[str, Any]], actor: Principal | None = None) -> None:
        """Many events at once, as outbox rows (the bulk writers' hot path: nothing is built per row unless a
        subscriber listens to its name)."""
        queue = pending(session)
        for row in rows:
            queue.append(row)
            for handler in self.handlers.get(row["name"], ()):
                published = Published(
                    row["name"], row["aggregate"], row["aggregate_id"], row["payload"], row["at"], actor
                )
                handler(session, published)


bus = EventBus()


def pending(session: Session) -> list[dict[str, Any]]:
    """The outbox rows this session's transaction has published so far (written at commit)."""
    queue: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if queue is None:
        if not session.in_transaction():
            session.begin()  # so that its end, whichever it is, is seen
        queue = session.info[_PENDING] = []
    return queue


_OUTBOX = cast(Table, DomainEvent.__table__)
_INSERT_OUTBOX = insert(_OUTBOX)


@sa_event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    queue: list[dict[str, Any]] | None = session.info.get(_PENDING)
    if not queue:
        return
    session.flush()  # the transaction's own row locks first, then the outbox lock (no lock-order inversion)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})
    rows, session.info[_PENDING] = list(queue), []
    conn.execute(_INSERT_OUTBOX, rows)


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_outbox(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (and written), rolled back or closed: nothing is pending any more
        session.info.pop(_PENDING, None)


# --- delivery to asynchronous subscribers ----------------------------------------------------------------


def last_id(session: Session) -> int:
    return int(session.scalar(select(func.max(DomainEvent.id))) or 0)


def _claim(session: Session, sub: AsyncSubscriber) -> int:
    """Lock the subscriber's position for this transaction (a write first: SQLite's write lock, PostgreSQL's row
    lock — a second worker waits instead of reading the same events) and return it."""
    now = utcnow()
    claimed = (
        session.connection()
        .execute(update(OutboxPosition).where(OutboxPosition.subscriber == sub.name).values(updated_at=now))
        .rowcount
    )
    if not claimed:
        start = last_id(session) if sub.start == "now" else 0
        session.add(OutboxPosition(subscriber=sub.name, position=start, delivered=0, updated_at=now))
        session.flush()
        return start
    return int(session.scalar(select(OutboxPosition.position).where(OutboxPosition.subscriber == sub.name)) or 0)


def deliver(session: Session, sub: AsyncSubscriber, limit: int = 500) -> tuple[int, int]:
    """Hand `sub` the next events after its position (at most `limit` read) and move the position past them,
    in the caller's transaction (commit it: see `deliver_all`). Returns (events read, events handed over)."""
    position = _claim(session, sub)
    rows = list(
        session.scalars(select(DomainEvent).where(DomainEvent.id > position).order_by(DomainEvent.id).limit(limit))
    )
    if not rows:
        return 0, 0
    wanted = [r for r in rows if sub.events is None or r.name in sub.events]
    if wanted:
        sub.handle(session, wanted)
    session.execute(
        update(OutboxPosition)
        .where(OutboxPosition.subscriber == sub.name)
        .values(position=rows[-1].id, delivered=OutboxPosition.delivered + len(wanted), updated_at=utcnow())
    )
    return len(rows), len(wanted)


def deliver_all(factory: sessionmaker[Session], event_bus: EventBus = bus, limit: int = 500) -> dict[str, int]:
    """One round for every asynchronous subscriber, each batch in its own transaction, until each has caught up.
    A subscriber that fails is rolled back to where it was (its events come again next round) and the others
    go on."""
    done: dict[str, int] = {}
    for sub in list(event_bus.subscribers.values()):
        total = 0
        try:
            read = limit
            while read == limit:  # a short batch is the outbox's end
                with factory() as session, session.begin():
                    read, handed = deliver(session, sub, limit)
                total += handed
        except Exception:
            log.exception("outbox delivery to %s failed; it will be retried", sub.name)
        done[sub.name] = total
    return done


class OutboxWorker(Periodic):
    """Runs `deliver_all` every `interval` seconds in a daemon thread (one per deployment; with several API
    processes, run it in one of them or as `gridgov outbox deliver --follow`)."""

    thread_name = "outbox-worker"

    def __init__(self, factory: sessionmaker[Session], interval: float, event_bus: EventBus = bus) -> None:
        super().__init__(interval)
        self.factory, self.bus = factory, event_bus

    def round(self) -> None:
        if self.bus.subscribers:
            deliver_all(self.factory, self.bus)
