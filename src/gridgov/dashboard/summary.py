"""The summary counters of a period, their daily trend, and the outbox position the live stream watches.

Definitions (all counts are of cases in scope):

* reported / filed / dispatched / handled: cases whose reported_at / filed_at / dispatched_at / handled_at lies
  in the period (the timestamps hold the latest such step: a re-dispatch moves dispatched_at, a failed
  verification clears handled_at).
* closed: closed_at in the period and the case is closed or rated now (不立案 also sets closed_at; not counted).
* closure_rate: of the cases reported in the period, not counting 不立案, the share closed or rated now.
* on_time_rate: of the cases closed in the period, the share whose handled_at (closed_at when there is none)
  is at or before first_deadline_at; cases never put on the clock (网格员自行处置) count as on time.
* overdue / warning / open: cases open now (any status of rules.OPEN) that are red / yellow / any.
* escalated: escalate transitions (manual or by the sweeper) in the period.
* satisfaction: the average rating (1–5) of the cases rated in the period (rate transitions), 2 decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridgov.common.events import DomainEvent
from gridgov.common.timeutil import to_local, utcnow
from gridgov.dashboard.measures import (
    CLOSED_VALUES,
    NOT_CASES,
    RATED_INDEX,
    AnySelect,
    in_period,
    local_day,
    on_time,
    open_now,
    ratio,
    transitions_of,
)
from gridgov.dashboard.schemas import SummaryOut, TrendOut
from gridgov.dashboard.view import View, Window, local_midnight
from gridgov.dispatch.models import Event, EventTransition, SlaState
from gridgov.dispatch.rules import Action


def _count_in(session: Session, view: View, col: InstrumentedAttribute[Any], win: Window) -> int:
    stmt = in_period(select(func.count()).select_from(Event).where(view.where()), col, win.start, win.end)
    return int(session.scalar(stmt) or 0)


def summary(session: Session, view: View, win: Window) -> SummaryOut:
    where = view.where()
    is_closed = Event.status.in_(CLOSED_VALUES)
    rep = session.execute(
        in_period(
            select(
                func.count(),
                func.count().filter(is_closed),
                func.count().filter(Event.status.in_(NOT_CASES)),
            ).where(where),
            Event.reported_at,
            win.start,
            win.end,
        )
    ).one()
    closed = session.execute(
        in_period(
            select(func.count(), func.count().filter(on_time())).where(where, is_closed),
            Event.closed_at,
            win.start,
            win.end,
        )
    ).one()
    now_open = session.execute(
        open_now(
            select(
                func.count(),
                func.count().filter(Event.sla_state == SlaState.RED.value),
                func.count().filter(Event.sla_state == SlaState.YELLOW.value),
            ).where(where)
        )
    ).one()
    escalated = session.scalar(transitions_of(select(func.count()).where(where), Action.ESCALATE, win.start, win.end))
    # the average ignores cases without a rating anyway; saying so lets the rated cases' index answer
    satisfaction = session.scalar(
        transitions_of(
            select(func.avg(Event.rating)).where(where, Event.rating.is_not(None)),
            Action.RATE,
            win.start,
            win.end,
            RATED_INDEX,
        )
    )
    # first-time-right: of the cases dispatched in the period, those never returned as mis-dispatched
    routed = session.execute(
        in_period(
            select(func.count(), func.count().filter(Event.return_count == 0), func.sum(Event.return_count)).where(
                where
            ),
            Event.dispatched_at,
            win.start,
            win.end,
        )
    ).one()
    n_routed = int(routed[0])
    reported, closed_of_reported, rejected = int(rep[0]), int(rep[1] or 0), int(rep[2] or 0)
    return SummaryOut(
        period=win.period,
        from_=win.start,
        to=win.end,
        division=view.ref(),
        reported=reported,
        filed=_count_in(session, view, Event.filed_at, win),
        dispatched=_count_in(session, view, Event.dispatched_at, win),
        handled=_count_in(session, view, Event.handled_at, win),
        closed=int(closed[0]),
        closure_rate=ratio(closed_of_reported, reported - rejected),
        on_time_rate=ratio(int(closed[1] or 0), int(closed[0])),
        overdue=int(now_open[1] or 0),
        warning=int(now_open[2] or 0),
        escalated=int(escalated or 0),
        satisfaction=round(float(satisfaction), 2) if satisfaction is not None else None,
        open=int(now_open[0]),
        first_time_right=ratio(int(routed[1] or 0), n_routed),
        mean_transfers=round(int(routed[2] or 0) / n_routed, 3) if n_routed else None,
    )


# --- trend ----------------------------------------------------------------------------------------------


def trend(session: Session, view: View, days: int, now: datetime | None = None) -> TrendOut:
    """Per Asia/Shanghai day, the last `days` days up to today: cases reported, closed (closed or rated now)
    and marked overdue (红灯, warn_red transitions) that day."""
    today = to_local(now or utcnow()).date()
    first = today - timedelta(days=days - 1)
    start, end = local_midnight(first).astimezone(UTC), local_midnight(today + timedelta(days=1)).astimezone(UTC)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    where = view.where()

    def per_day(day: ColumnElement[Any], period: Callable[[AnySelect], AnySelect]) -> list[int]:
        counts = {str(r[0]): int(r[1]) for r in session.execute(period(select(day, func.count())).group_by(day))}
        return [counts.get(d, 0) for d in labels]

    def cases(col: InstrumentedAttribute[Any], *clauses: ColumnElement[bool]) -> list[int]:
        return per_day(
            local_day(session, col).label("day"), lambda s: in_period(s.where(where, *clauses), col, start, end)
        )

    return TrendOut(
        days=labels,
        reported=cases(Event.reported_at),
        closed=cases(Event.closed_at, Event.status.in_(CLOSED_VALUES)),
        overdue=per_day(
            local_day(session, EventTransition.at).label("day"),
            lambda s: transitions_of(s.where(where), Action.WARN_RED, start, end),
        ),
    )


# --- change detection for the live stream ---------------------------------------------------------------


def outbox_position(session: Session) -> int:
    """The newest domain_event id (a primary-key lookup): it moves whenever any case changes."""
    return int(session.scalar(select(func.max(DomainEvent.id))) or 0)
