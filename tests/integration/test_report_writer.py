"""Group commit of one-at-a-time reports: several callers' reports in one transaction, each checked and
answered on its own."""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridgov.common.errors import AppError, Forbidden, InvalidInput
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.db import session_factory
from gridgov.dispatch import report_writer as rw
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import IntakeResult, submit_many
from gridgov.dispatch.models import Channel, Event, EventTransition
from gridgov.dispatch.report_writer import ReportWriter
from gridgov.org.models import Division


def _grids(session: Session, street_index: int) -> list[Division]:
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.code)).all()
    path = streets[street_index].path
    return list(
        session.scalars(
            select(Division).where(Division.level == "grid", Division.path.startswith(path)).order_by(Division.code)
        )
    )


def _report(grid: Division, tag: str, i: int, key: str | None = None) -> IntakeCommand:
    return IntakeCommand(
        title=f"{tag} 上报{i}",
        channel=Channel.GRID_PATROL,
        category_code="01002",
        grid_code=grid.code,
        idempotency_key=key or f"{tag}-{i}",
    )


def _answer(_session: Session, result: IntakeResult) -> IntakeResult:
    return result


def test_several_callers_in_one_transaction(session: Session, people: Any) -> None:
    grids = _grids(session, 2)
    worker: Principal = people.grid_worker(0)
    resident: Principal = people.user("resident1")
    worker_grid = session.get(Division, next(iter(worker.grid_ids)))
    assert worker_grid is not None
    tag = uuid.uuid4().hex[:8]
    items = [
        (worker, _report(worker_grid, tag, 0)),
        (resident, _report(grids[1], tag, 1)),
        (worker, _report(grids[1], tag, 2)),  # outside the worker's grid: refused, the others are written
        (resident, _report(grids[2], tag, 3, key=f"{tag}-0")),  # same key as the worker's, another caller
        (resident, _report(grids[1], tag, 1)),  # a retry inside the group: the same case
    ]
    results = one_action(submit_many, session, items, keep_rows=True)
    assert isinstance(results[2], Forbidden) and results[2].field == "grid_code"
    ok = [r for r in results if isinstance(r, IntakeResult)]
    assert [r.created for r in ok] == [True, True, True, True]
    assert ok[1].event_id == ok[3].event_id  # the retry answered with the first
    assert len({r.event_id for r in ok}) == 3  # the key is scoped per caller: two cases for "-0"
    for r, actor in zip(ok[:3], (worker, resident, resident), strict=True):
        event = session.get(Event, r.event_id)
        assert event is not None and event.reporter_id == actor.user_id and event.number
        steps = session.scalars(select(EventTransition).where(EventTransition.event_id == r.event_id)).all()
        assert [(s.action, s.actor_id) for s in steps] == [("report", actor.user_id)]
        outbox = select(func.count()).where(DomainEvent.aggregate == "event", DomainEvent.aggregate_id == r.event_id)
        assert session.scalar(outbox) == 1
        assert r.new is not None and r.new.event.id == r.event_id and r.new.history[0].id == steps[0].id
    assert session.scalar(select(func.count()).where(Event.title.startswith(tag))) == 3


def test_refused_report_names_its_field_without_index(session: Session, people: Any) -> None:
    resident: Principal = people.user("resident1")
    grids = _grids(session, 2)
    bad = replace(_report(grids[0], uuid.uuid4().hex[:8], 0), grid_code="999999999999999")
    [result] = one_action(submit_many, session, [(resident, bad)])
    assert isinstance(result, InvalidInput) and result.field == "grid_code" and "第" not in result.message


def _gate() -> tuple[threading.Event, threading.Event, Any]:
    """An answer that signals `started` and waits for `release`: reports submitted meanwhile queue up."""
    started, release = threading.Event(), threading.Event()

    def slow(_s: Session, result: IntakeResult) -> IntakeResult:
        started.set()
        assert release.wait(10)
        return result

    return started, release, slow


def test_writer_groups_waiting_reports(engine: Engine, session: Session, people: Any) -> None:
    writer = ReportWriter(session_factory(engine))
    started, release, slow = _gate()
    resident: Principal = people.user("resident1")
    worker: Principal = people.grid_worker(0)
    grids = _grids(session, 2)
    tag = uuid.uuid4().hex[:8]

    try:
        first = writer.submit(resident, _report(grids[0], tag, 0), slow)
        assert started.wait(10)
        rest = [writer.submit(resident, _report(grids[1], tag, i), _answer) for i in range(1, 5)]
        refused = writer.submit(worker, _report(grids[3], tag, 9), _answer)  # not the worker's grid
        release.set()
        answers = [f.result(10) for f in (first, *rest)]
        with pytest.raises(Forbidden):
            refused.result(10)
    finally:
        writer.close()
    assert all(a.created for a in answers) and len({a.event_id for a in answers}) == 5
    assert (writer.groups, writer.reports) == (2, 6)  # one transaction for the first, one for the other five


def test_writer_isolates_a_failing_transaction(
    engine: Engine, session: Session, people: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident: Principal = people.user("resident1")
    grids = _grids(session, 2)
    tag = uuid.uuid4().hex[:8]
    real = submit_many
    poison = f"{tag} 上报2"

    def flaky(s: Session, items: list[tuple[Principal, IntakeCommand]], **kw: Any) -> list[IntakeResult | AppError]:
        if any(d.title == poison for _, d in items):
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(s, items, **kw)

    monkeypatch.setattr(rw, "submit_many", flaky)
    writer = ReportWriter(session_factory(engine))
    started, release, slow = _gate()

    try:
        first = writer.submit(resident, _report(grids[0], tag, 0), slow)
        assert started.wait(10)
        others = [writer.submit(resident, _report(grids[1], tag, i), _answer) for i in (1, 2, 3)]
        release.set()
        assert first.result(10).created
        assert others[0].result(10).created and others[2].result(10).created
        with pytest.raises(OperationalError):
            others[1].result(10)
    finally:
        writer.close()
    assert session.scalar(select(func.count()).where(Event.title.startswith(tag))) == 3


def test_inline_writer_groups_concurrent_callers_on_their_loop(engine: Engine, session: Session, people: Any) -> None:
    """Embedded SQLite: the group is written on the callers' event loop, once the short window has let the
    concurrent reports join; each caller gets its own answer or error."""
    resident: Principal = people.user("resident1")
    worker: Principal = people.grid_worker(0)
    grids = _grids(session, 2)
    tag = uuid.uuid4().hex[:8]
    writer = ReportWriter(session_factory(engine), inline=True)

    async def main() -> list[IntakeResult | BaseException]:
        calls = [writer.report(resident, _report(grids[1], tag, i), _answer) for i in range(5)]
        calls.append(writer.report(worker, _report(grids[3], tag, 9), _answer))  # not the worker's grid
        return await asyncio.gather(*calls, return_exceptions=True)

    # On a loop of its own thread: the session may already have a loop running on this one (Playwright's).
    with ThreadPoolExecutor(1) as pool:
        *answers, refused = pool.submit(asyncio.run, main()).result(30)
    assert isinstance(refused, Forbidden)
    assert all(isinstance(a, IntakeResult) and a.created for a in answers)
    assert (writer.groups, writer.reports) == (1, 6)
    assert session.scalar(select(func.count()).where(Event.title.startswith(tag))) == 5
    assert ReportWriter(session_factory(engine)).inline == (engine.dialect.name == "sqlite")
