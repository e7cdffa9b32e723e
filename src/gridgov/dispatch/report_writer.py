"""Group commit for one-at-a-time reports.

Under load, many callers report at once (patrols, residents' photos, the hotline desk). Each POST /api/events
queues its report; the writer takes every report waiting at that moment and writes them in one transaction
through the intake port (:func:`gridgov.dispatch.intake.submit_many`) — each still checked on its own (role,
scope, location, idempotency key) and recorded with its own history row and domain event — then answers each
caller. One commit serves many reports, and no thread pool is involved on this path.

Where the group is written depends on the database:

* a server database (PostgreSQL): on the writer thread, so that the event loop never waits on network round
  trips;
* embedded SQLite: on the event loop itself, after a short window (GROUP_WINDOW) that lets the reports of
  concurrent callers join. SQLite work is CPU work in this process; two threads taking turns on the GIL for
  it cost more than they overlap. A group is capped (INLINE_GROUP) so that the loop is never held for long.

A report refused by the rules is answered with its own error and does not affect the others. If the
transaction itself fails (a database error), each report of the group is retried alone, so one caller's
failure is never another's; a report alone that loses a race on its idempotency key (another request with the
same key committed first) is written once more and answered with the case the other request created.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.errors import AppError
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import IntakeResult, submit_many

log = logging.getLogger(__name__)

T = TypeVar("T")

# Renders a caller's answer from the written case, inside the writer's session (after the commit).
Render = Callable[[Session, IntakeResult], T]

MAX_GROUP = 256  # reports per transaction on the writer thread
INLINE_GROUP = 32  # … and on the event loop, which serves nothing else meanwhile
GROUP_WINDOW = 0.0005  # seconds the first waiting report on the loop waits for others to join


@dataclass
class _Pending(Generic[T]):
    actor: Principal
    data: IntakeCommand
    render: Render[T]
    # A caller on an event loop waits on an asyncio future (answered through its loop, a whole group at a
    # time); a plain thread waits on a concurrent future.
    future: Future[T] | asyncio.Future[T]
    loop: asyncio.AbstractEventLoop | None = None


class ReportWriter:
    """One per application. Inline (SQLite): groups are written on the callers' event loop. Otherwise: by a
    writer thread, started on the first report and stopped with the application; `submit` (plain threads:
    the CLI, tests) always goes through that thread."""

    def __init__(self, factory: sessionmaker[Session], max_group: int = MAX_GROUP, inline: bool | None = None) -> None:
        """`inline`: write groups on the caller's event loop; by default, for SQLite."""
        self._factory = factory
        self._max_group = max_group
        if inline is None:
            bind = factory.kw.get("bind")
            inline = bind is not None and bind.dialect.name == "sqlite"
        self.inline = inline
        self._waiting: dict[asyncio.AbstractEventLoop, list[_Pending[Any]]] = {}  # inline: per event loop
        self._queue: queue.SimpleQueue[_Pending[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0  # transactions written (for tests and diagnostics)
        self.reports = 0

    async def report(self, actor: Principal, data: IntakeCommand, render: Render[T]) -> T:
        """Queue a report and wait for render's answer (or the AppError that refused the report)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        item = _Pending(actor, data, render, future, loop)
        if self.inline:
            waiting = self._waiting.setdefault(loop, [])
            waiting.append(item)
            if len(waiting) == 1:
                loop.call_later(GROUP_WINDOW, self._flush, loop)
        else:
            self._put(item)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """Inline mode, on `loop`: write up to INLINE_GROUP waiting reports; the rest go next."""
        waiting = self._waiting.pop(loop, [])
        group, rest = waiting[:INLINE_GROUP], waiting[INLINE_GROUP:]
        if rest:
            self._waiting[loop] = rest
            loop.call_soon(self._flush, loop)
        _settle_all(self._write_safely(group))

    def submit(self, actor: Principal, data: IntakeCommand, render: Render[T]) -> Future[T]:
        """The same from a plain thread: the future holds render's answer or the error."""
        future: Future[T] = Future()
        self._put(_Pending(actor, data, render, future))
        return future

    def _put(self, item: _Pending[Any]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="report-writer", daemon=True)
                self._thread.start()
            self._queue.put(item)

    def close(self, timeout: float = 10.0) -> None:
        """Answer what is queued, then stop the thread (a later report starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout)
            log.info("report writer: %d reports in %d transactions", self.reports, self.groups)

    # -- the writer thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            group: list[_Pending[Any]] = [first]
            while len(group) < self._max_group:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                group.append(nxt)
            _deliver(self._write_safely(group))

    def _write_safely(self, group: list[_Pending[Any]]) -> list[tuple[_Pending[Any], bool, Any]]:
        """(item, ok, answer or error) for each report of the group: never leaves a caller waiting."""
        answers: list[tuple[_Pending[Any], bool, Any]] = []
        try:
            self._write(group, answers)
        except Exception as exc:
            log.exception("report writer: group of %d failed", len(group))
            answered = {id(a[0]) for a in answers}
            answers += [(item, False, exc) for item in group if id(item) not in answered]
        return answers

    def _write(
        self, group: list[_Pending[Any]], answers: list[tuple[_Pending[Any], bool, Any]], race_retry: bool = True
    ) -> None:
        """Write the group in one transaction; append (item, ok, answer or error) for each to `answers`."""
        with self._factory() as session:
            try:
                results = submit_many(session, [(p.actor, p.data) for p in group], now=utcnow(), keep_rows=True)
                session.commit()
            except Exception as exc:
                session.rollback()
                if len(group) > 1:
                    log.warning("report writer: group of %d failed (%s); writing each alone", len(group), exc)
                    for item in group:
                        self._write([item], answers)
                elif isinstance(exc, IntegrityError) and race_retry and group[0].data.idempotency_key:
                    self._write(group, answers, race_retry=False)  # finds the case the other request wrote
                else:
                    answers.append((group[0], False, exc))
                return
            self.groups += 1
            self.reports += len(group)
            for item, result in zip(group, results, strict=True):
                if isinstance(result, AppError):
                    answers.append((item, False, result))
                    continue
                try:
                    answers.append((item, True, item.render(session, result)))
                except Exception as exc:
                    session.rollback()
                    answers.append((item, False, exc))


def _deliver(answers: list[tuple[_Pending[Any], bool, Any]]) -> None:
    """Answer plain callers at once and each event loop's callers with one wake-up of that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending[Any], bool, Any]]] = {}
    for answer in answers:
        item = answer[0]
        if item.loop is None:
            _settle(answer)
        else:
            by_loop.setdefault(item.loop, []).append(answer)
    for loop, batch in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_settle_all, batch)


def _settle_all(batch: list[tuple[_Pending[Any], bool, Any]]) -> None:
    for answer in batch:
        _settle(answer)


def _settle(answer: tuple[_Pending[Any], bool, Any]) -> None:
    item, ok, value = answer
    if item.future.done():  # a caller that went away (cancelled request)
        return
    if ok:
        item.future.set_result(value)
    else:
        item.future.set_exception(value)
