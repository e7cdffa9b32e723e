"""Group commit for one-at-a-time reports.

Under load, many callers report at once (patrols, residents' photos, the hotline desk). Each POST /api/events
hands its report to one writer thread; the writer takes every report waiting at that moment and writes them in
one transaction with :func:`gridgov.dispatch.bulk.intake_reports` — each still checked on its own (role,
scope, location, idempotency key) and recorded with its own history row and domain event — then answers each
caller. One commit serves many reports, the web server's event loop never waits on the database, and no
thread pool is involved on this path.

A report refused by the rules is answered with its own error and does not affect the others. If the
transaction itself fails (a database error), each report of the group is retried alone, so one caller's
failure is never another's.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.errors import AppError
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.bulk import BatchResult, intake_reports
from gridgov.dispatch.schemas import ReportIn

log = logging.getLogger(__name__)

T = TypeVar("T")

# Renders a caller's answer from the written case, inside the writer's session (after the commit).
Render = Callable[[Session, BatchResult], T]

MAX_GROUP = 256


@dataclass
class _Pending(Generic[T]):
    actor: Principal
    data: ReportIn
    render: Render[T]
    future: Future[T] = field(default_factory=Future)


class ReportWriter:
    """One writer thread per application, started on the first report and stopped with the application."""

    def __init__(self, factory: sessionmaker[Session], max_group: int = MAX_GROUP) -> None:
        self._factory = factory
        self._max_group = max_group
        self._queue: queue.SimpleQueue[_Pending[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0  # transactions written (for tests and diagnostics)
        self.reports = 0

    def submit(self, actor: Principal, data: ReportIn, render: Render[T]) -> Future[T]:
        """Queue a report; the future holds render's answer, or the AppError that refused the report."""
        item: _Pending[T] = _Pending(actor, data, render)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="report-writer", daemon=True)
                self._thread.start()
            self._queue.put(item)
        return item.future

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
            try:
                self._write(group)
            except BaseException as exc:  # never leave a caller waiting, whatever happened
                log.exception("report writer: group of %d failed", len(group))
                for item in group:
                    if not item.future.done():
                        item.future.set_exception(exc)

    def _write(self, group: list[_Pending[Any]]) -> None:
        with self._factory() as session:
            try:
                results = intake_reports(session, [(p.actor, p.data) for p in group], now=utcnow(), keep_rows=True)
            except Exception as exc:
                session.rollback()
                if len(group) == 1:
                    group[0].future.set_exception(exc)
                    return
                log.warning("report writer: group of %d failed (%s); writing each alone", len(group), exc)
                for item in group:
                    self._write([item])
                return
            self.groups += 1
            self.reports += len(group)
            for item, result in zip(group, results, strict=True):
                if isinstance(result, AppError):
                    item.future.set_exception(result)
                    continue
                try:
                    item.future.set_result(item.render(session, result))
                except Exception as exc:
                    session.rollback()
                    item.future.set_exception(exc)
