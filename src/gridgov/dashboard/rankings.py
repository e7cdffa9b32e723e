"""考评排名: child divisions or lead departments scored over the cases reported in a period; 吹哨报到 response
time per summoned department."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gridgov.common.timeutil import as_utc, utcnow
from gridgov.dashboard.breakdowns import department_key
from gridgov.dashboard.measures import (
    CLOSED_VALUES,
    NOT_CASES,
    SelectT,
    in_period,
    lead_department,
    on_time,
    ratio,
    through,
)
from gridgov.dashboard.schemas import (
    RankingBy,
    RankingItem,
    RankingOut,
    SummonsResponseItem,
    SummonsResponseOut,
)
from gridgov.dashboard.view import Rollup, View, Window, child_key, child_level, divisions_at
from gridgov.dispatch.models import Event, EventSummons
from gridgov.dispatch.rules import SummonsStatus


def ranking_measures(c: Any = Event) -> tuple[ColumnElement[Any], ...]:
    """Per unit: cases, closed, closed on time, not cases (不立案), returns, returned cases, reopened cases,
    ever overdue — in the order `_Acc.add` reads them."""
    closed = c.status.in_(CLOSED_VALUES)
    return (
        func.count(),
        func.count().filter(closed),
        func.count().filter(closed, on_time(c)),
        func.count().filter(c.status.in_(NOT_CASES)),
        func.sum(c.return_count),
        func.count().filter(c.return_count > 0),
        func.count().filter(c.reopen_count > 0),
        func.count().filter(c.ever_overdue.is_(True)),
    )


class _Acc:
    __slots__ = ("closed", "on_time", "overdue", "rejected", "reopened", "returned_cases", "returns", "total")

    def __init__(self) -> None:
        self.total = self.closed = self.on_time = self.rejected = 0
        self.returns = self.returned_cases = self.reopened = self.overdue = 0

    def add(self, row: Sequence[Any]) -> None:
        self.total += int(row[0])
        self.closed += int(row[1] or 0)
        self.on_time += int(row[2] or 0)
        self.rejected += int(row[3] or 0)
        self.returns += int(row[4] or 0)
        self.returned_cases += int(row[5] or 0)
        self.reopened += int(row[6] or 0)
        self.overdue += int(row[7] or 0)


RANK_WEIGHTS = {"on_time": 0.4, "closure": 0.3, "no_reopen": 0.2, "no_return": 0.1}


def rankings(session: Session, view: View, win: Window, by: RankingBy) -> RankingOut:
    """考评排名 of child divisions (or lead departments) over the cases reported in the period.

    Per unit, over its cases reported in the period (不立案 excluded from the rates' denominators):

    * closure_rate = closed or rated now / cases
    * on_time_rate = closed on time (see `summary`) / closed
    * reopen_rate = cases reopened at least once / cases
    * return share = cases returned (退回) at least once / cases; `returns` is the number of returns
    * overdue = cases that were ever overdue (红灯)

    score = 100 × (0.4 × on_time_rate + 0.3 × closure_rate + 0.2 × (1 − reopen_rate) + 0.1 × (1 − return
    share)), one decimal; a rate without a denominator counts as 0 (nothing closed earns no on-time points);
    a unit without cases has no score (null) and is listed last. Ties go to the unit with more cases.
    """

    def reported(stmt: SelectT) -> SelectT:
        return in_period(stmt.where(view.where()), Event.reported_at, win.start, win.end)

    accs: dict[tuple[str, str], _Acc] = {}
    if by == RankingBy.CHILD:
        level = child_level(view)
        for d in divisions_at(view, level) if level else []:
            accs[(d.code, d.name)] = _Acc()
        roll = Rollup(view, level) if level else None
        path = Event.division_path
        for row in session.execute(reported(select(path, *ranking_measures())).group_by(path)):
            accs.setdefault(child_key(view, roll, row[0]), _Acc()).add(row[1:])
    else:
        lead = lead_department().label("lead")
        sub = reported(
            select(
                lead,
                Event.status,
                Event.first_deadline_at,
                Event.handled_at,
                Event.closed_at,
                Event.return_count,
                Event.reopen_count,
                Event.ever_overdue,
            )
        ).subquery()
        stmt = select(sub.c.lead, *ranking_measures(sub.c)).group_by(sub.c.lead)
        for row in session.execute(stmt):
            if row[0] is None:  # not dispatched yet: no department to rank
                continue
            accs.setdefault(department_key(session, int(row[0])), _Acc()).add(row[1:])
    items = [_ranking_item(key, label, a) for (key, label), a in accs.items()]
    items.sort(key=lambda i: (i.score is None, -(i.score or 0.0), -i.total, i.key))
    return RankingOut(by=by, items=items)


def _ranking_item(key: str, label: str, a: _Acc) -> RankingItem:
    cases = a.total - a.rejected
    closure = ratio(a.closed, cases)
    timely = ratio(a.on_time, a.closed)
    reopen = ratio(a.reopened, cases)
    return_share = ratio(a.returned_cases, cases)
    score = None
    if cases > 0:
        w = RANK_WEIGHTS
        score = round(
            100
            * (
                w["on_time"] * (timely or 0.0)
                + w["closure"] * (closure or 0.0)
                + w["no_reopen"] * (1 - (reopen or 0.0))
                + w["no_return"] * (1 - (return_share or 0.0))
            ),
            1,
        )
    return RankingItem(
        key=key,
        label=label,
        total=a.total,
        closed=a.closed,
        closure_rate=closure,
        on_time_rate=timely,
        returns=a.returns,
        reopen_rate=reopen,
        overdue=a.overdue,
        score=score,
    )


SUMMONS_INDEX = "ix_summons_period"  # (summoned_at, event_id, department_id, respond_by, reported_in_at, status)


def summons_response(session: Session, view: View, win: Window) -> SummonsResponseOut:
    """吹哨报到响应: per summoned department, over the summons blown in the period on cases inside the view.

    * summoned: summons; reported_in: those reported in (报到) so far; done: those whose result is reported
    * on_time_rate = reported in by the summons' deadline / decided ones (reported in, or still waiting past the
      deadline: late already); one still waiting inside its deadline is not counted yet
    * median_minutes / mean_minutes: natural minutes from the whistle to the report-in, over those reported in

    Withdrawn summons (撤回吹哨) are not counted. Fastest median first; departments nobody reported in for are
    listed last, most summons first."""
    stmt = (
        select(
            EventSummons.department_id,
            EventSummons.summoned_at,
            EventSummons.respond_by,
            EventSummons.reported_in_at,
            EventSummons.status,
        )
        .select_from(EventSummons)
        .join(Event, Event.id == EventSummons.event_id)
        .where(view.where(), EventSummons.summoned_at >= win.start, EventSummons.summoned_at < win.end)
        .where(EventSummons.status != SummonsStatus.WITHDRAWN.value)
    )
    stmt = through(through(stmt, SUMMONS_INDEX, EventSummons), None)
    per: dict[int, list[tuple[datetime, datetime, datetime | None, str]]] = {}
    for dept, at, by, reported, status in session.execute(stmt):
        per.setdefault(int(dept), []).append((as_utc(at), as_utc(by), as_utc(reported) if reported else None, status))
    now = utcnow()
    items = []
    for dept, rows in per.items():
        minutes = [(r[2] - r[0]).total_seconds() / 60 for r in rows if r[2] is not None]
        on_time = sum(1 for r in rows if r[2] is not None and r[2] <= r[1])
        overdue = sum(1 for r in rows if r[2] is None and r[1] < now)
        key, label = department_key(session, dept)
        items.append(
            SummonsResponseItem(
                key=key,
                label=label,
                summoned=len(rows),
                reported_in=len(minutes),
                waiting_overdue=overdue,
                done=sum(1 for r in rows if r[3] == SummonsStatus.DONE.value),
                on_time_rate=ratio(on_time, len(minutes) + overdue),
                median_minutes=round(statistics.median(minutes), 1) if minutes else None,
                mean_minutes=round(statistics.fmean(minutes), 1) if minutes else None,
            )
        )
    items.sort(key=lambda i: (i.median_minutes is None, i.median_minutes or 0.0, -i.summoned, i.key))
    return SummonsResponseOut(items=items)
