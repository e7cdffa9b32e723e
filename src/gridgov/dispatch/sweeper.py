"""The SLA sweeper: yellow warnings, red overdue marks and automatic escalation up the tiers, and the 重特大 alerts
nobody acknowledged (sent again, escalated: `fasttrack.sweep_alerts`).

Nights and holidays need nothing special here: each case's deadline was laid out on its own time basis (working
calendar or natural time, `sla.basis_for`), so a natural-time case falls due at night and is escalated by the
next sweep like any other.

Deadlines are precomputed on each case, so finding the cases due a warning is an indexed range query; the
yellow warnings are then written in bulk, the overdue cases escalated one by one (each needs routing). The
sweep is a worker job: it is its own unit of work, one transaction per chunk of cases.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from gridgov.common.errors import Conflict
from gridgov.common.events import bus
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.fasttrack import sweep_alerts
from gridgov.dispatch.history import apply_transition, transition_rows
from gridgov.dispatch.lifecycle import escalate
from gridgov.dispatch.models import Event, EventTransition, SlaState
from gridgov.dispatch.rules import CLOCK_RUNNING, Action

log = logging.getLogger(__name__)
CHUNK = 5000
RUNNING = sorted(s.value for s in CLOCK_RUNNING)


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    alerts_repeated: int = 0
    alerts_escalated: int = 0


def sweep(
    session: Session, now: datetime | None = None, progress: Callable[[str, int], None] | None = None
) -> SweepResult:
    now = now or utcnow()
    result = SweepResult()
    result.yellow = _yellow(session, now, progress)
    red, escalated = _red(session, now, progress)
    result.red, result.escalated = red, escalated
    alerts = sweep_alerts(session, now)  # 重特大 alerts nobody acknowledged: sent again, escalated
    session.commit()
    result.alerts_repeated, result.alerts_escalated = alerts.repeated, alerts.escalated
    if result.yellow or result.red or alerts.repeated:
        log.info(
            "sla sweep: %d yellow, %d red, %d escalated; 重特大 alerts: %d repeated, %d escalated",
            *(result.yellow, result.red, result.escalated, alerts.repeated, alerts.escalated),
        )
    return result


def _yellow(session: Session, now: datetime, progress: Callable[[str, int], None] | None) -> int:
    done = 0
    while True:
        rows = session.execute(
            select(Event.id, Event.status)
            .where(
                Event.status.in_(RUNNING),
                Event.sla_state == SlaState.NORMAL.value,
                Event.warn_at <= now,
                Event.deadline_at > now,
            )
            .limit(CHUNK)
        ).all()
        if not rows:
            return done
        ids = [r[0] for r in rows]
        session.execute(
            update(Event)
            .where(Event.id.in_(ids))
            .values(sla_state=SlaState.YELLOW.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        steps, outbox = zip(
            *(
                transition_rows(i, Action.WARN_YELLOW, s, s, None, "system", now, note="已用时限达到预警比例")
                for i, s in rows
            ),
            strict=True,
        )
        session.execute(insert(EventTransition), list(steps))
        bus.publish_rows(session, outbox)
        session.commit()
        done += len(rows)
        if progress:
            progress("yellow", done)


def _red(session: Session, now: datetime, progress: Callable[[str, int], None] | None) -> tuple[int, int]:
    red = escalated = 0
    while True:
        events = session.scalars(
            select(Event)
            .where(Event.status.in_(RUNNING), Event.sla_state != SlaState.RED.value, Event.deadline_at <= now)
            .options(selectinload(Event.tasks))
            .order_by(Event.id)
            .limit(500)
        ).all()
        if not events:
            return red, escalated
        with session.no_autoflush:  # one flush per batch, not one per case
            escalated += _red_batch(session, events, now)
        session.commit()
        red += len(events)
        if progress:
            progress("red", red)


def _red_batch(session: Session, events: Sequence[Event], now: datetime) -> int:
    """Mark each case overdue and move it one tier up; returns how many moved."""
    moved_count = 0
    for event in events:
        apply_transition(
            session,
            SYSTEM_PRINCIPAL,
            event,
            Action.WARN_RED,
            now,
            note="超过处置时限",
            data={"deadline_at": event.deadline_at.isoformat() if event.deadline_at else None},
        )
        event.ever_overdue = True
        try:
            moved = escalate(session, SYSTEM_PRINCIPAL, event, now, "超时自动上报上一级")
        except Conflict:  # no department above to take it: it stays red where it is
            moved = False
        if moved:
            moved_count += 1
        else:
            event.sla_state = SlaState.RED.value
    return moved_count


class Sweeper:
    """Runs `sweep` every `interval` seconds in a daemon thread (one per process; PostgreSQL deployments
    run it in a single worker)."""

    def __init__(self, factory: sessionmaker[Session], interval: float) -> None:
        self.factory, self.interval = factory, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.interval <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="sla-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.factory() as session:
                    sweep(session)
            except Exception:  # keep sweeping; the next round retries
                log.exception("sla sweep failed")
