"""Asynchronous subscribers are fed the outbox at least once and in order; one that writes its effects through the
session it is handed sees every event exactly once — across a crash in the middle of a batch, a restart of the
worker, and two workers delivering at the same time."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditAction, AuditLog, record_audit
from gridgov.common.choices import published
from gridgov.common.events import (
    AsyncSubscriber,
    DomainEvent,
    EventBus,
    OutboxPosition,
    OutboxWorker,
    bus,
    deliver_all,
    last_id,
)
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal
from gridgov.common.uow import one_action
from gridgov.db import session_factory
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.org.models import Division
from support import People


@published("audit_action")
class OutboxTestAudit(AuditAction):
    SEEN = ("test.outbox_seen", "测试订阅者收到领域事件")


class Recorder:
    """A subscriber that keeps its effects in the database: one audit row per event it is handed. It can be told
    to crash after handling part of a batch."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.crash_after: int | None = None
        self.batches = 0

    def handle(self, session: Session, events: Sequence[DomainEvent]) -> None:
        self.batches += 1
        for i, e in enumerate(events):
            if self.crash_after is not None and i == self.crash_after:
                self.crash_after = None
                raise RuntimeError("crash in the middle of a batch")
            record_audit(session, SYSTEM_PRINCIPAL, OutboxTestAudit.SEEN, self.name, e.id, {"name": e.name})

    def seen(self, session: Session) -> Counter[int]:
        rows = session.scalars(
            select(AuditLog.entity_id).where(
                AuditLog.action == OutboxTestAudit.SEEN.value, AuditLog.entity == self.name
            )
        )
        return Counter(int(r) for r in rows)


@pytest.fixture
def recorder(engine: Engine, session: Session) -> Iterator[tuple[Recorder, EventBus, int]]:
    """A new subscriber, placed at the outbox's head (start="now": it is not handed the history)."""
    rec = Recorder(f"test-{uuid.uuid4().hex[:8]}")
    own = EventBus(handlers=bus.handlers)  # the application's reactions, and this one asynchronous subscriber
    own.subscribe_async(AsyncSubscriber(rec.name, rec.handle, start="now"))
    assert deliver_all(session_factory(engine), own) == {rec.name: 0}
    start = session.scalar(select(OutboxPosition.position).where(OutboxPosition.subscriber == rec.name))
    assert start is not None and start == last_id(session)
    session.rollback()
    yield rec, own, start


def _reports(session: Session, who: Principal, n: int) -> None:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[5]
    for i in range(n):
        one_action(
            submit, session, who, IntakeCommand(title=f"外卖车乱停 {i} {uuid.uuid4().hex[:6]}", grid_code=grid.code)
        )


def _outbox_after(session: Session, start: int) -> set[int]:
    return set(session.scalars(select(DomainEvent.id).where(DomainEvent.id > start)))


def test_every_event_exactly_once_across_a_crash_and_a_restart(
    engine: Engine, session: Session, people: People, recorder: tuple[Recorder, EventBus, int]
) -> None:
    rec, own, start = recorder
    factory = session_factory(engine)
    resident: Principal = people.user("resident1")

    _reports(session, resident, 5)
    rec.crash_after = 3  # the first batch dies after three events: none of its effects and no position remain
    first = deliver_all(factory, own, limit=4)
    assert first[rec.name] < 5
    seen = rec.seen(session)
    assert all(n == 1 for n in seen.values())

    # the worker restarts: a new one picks up at the stored position
    worker = OutboxWorker(factory, 0.05, own)
    worker.start()
    _reports(session, resident, 4)
    try:
        for _ in range(200):
            done = session.scalar(select(OutboxPosition.position).where(OutboxPosition.subscriber == rec.name))
            session.rollback()
            if done is not None and done >= last_id(session):
                break
            threading.Event().wait(0.05)
    finally:
        worker.stop()
    session.rollback()
    seen = rec.seen(session)
    assert set(seen) == _outbox_after(session, start)  # none lost
    assert set(seen.values()) == {1}  # none repeated
    assert rec.batches >= 2


def test_two_workers_at_once_still_deliver_each_event_once(
    engine: Engine, session: Session, people: People, recorder: tuple[Recorder, EventBus, int]
) -> None:
    rec, own, start = recorder
    factory = session_factory(engine)
    _reports(session, people.user("resident2"), 6)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            deliver_all(factory, own, limit=2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    deliver_all(factory, own)  # whatever a losing worker left behind
    seen = rec.seen(session)
    assert set(seen) == _outbox_after(session, start) and set(seen.values()) == {1}


def test_a_subscriber_is_handed_only_the_events_it_asked_for_and_its_position_moves_past_the_others(
    engine: Engine, session: Session, people: People
) -> None:
    rec = Recorder(f"test-{uuid.uuid4().hex[:8]}")
    own = EventBus(handlers=bus.handlers)
    own.subscribe_async(AsyncSubscriber(rec.name, rec.handle, events=frozenset({"event.file"}), start="now"))
    deliver_all(session_factory(engine), own)
    start = last_id(session)
    session.rollback()
    _reports(session, people.user("resident3"), 2)
    assert deliver_all(session_factory(engine), own) == {rec.name: 0}
    assert rec.seen(session) == Counter()
    position = session.scalar(select(OutboxPosition.position).where(OutboxPosition.subscriber == rec.name))
    assert position == last_id(session) > start
    assert session.scalar(select(func.count()).where(DomainEvent.id > start)) == 2


def test_outbox_rows_are_written_at_commit_in_the_order_they_were_published(session: Session) -> None:
    before = last_id(session)
    names = [f"test.ordered_{i}" for i in range(5)]
    for i, name in enumerate(names):
        bus.publish(session, name, "test", i, {"i": i})
    assert last_id(session) == before  # nothing written until the commit
    session.commit()
    rows = session.scalars(select(DomainEvent).where(DomainEvent.id > before).order_by(DomainEvent.id)).all()
    assert [r.name for r in rows if r.name.startswith("test.ordered_")] == names
    bus.publish(session, "test.dropped", "test", 0, {})
    session.rollback()
    session.commit()
    assert session.scalar(select(func.count()).where(DomainEvent.name == "test.dropped")) == 0
