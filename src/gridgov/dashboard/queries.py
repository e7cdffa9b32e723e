"""Read side of the IOC (指挥大屏): counters, trends, breakdowns, rankings, warnings, hotspots and the map.

Every query is one or a few SQL aggregates (COUNT / SUM / GROUP BY) under the caller's data scope
(`event_scope`) AND the chosen division's subtree, with period-bounded predicates on an indexed timestamp
(reported_at, filed_at, dispatched_at, handled_at, closed_at; transitions by action and time), so the cost
follows the number of cases in the period, not the size of the table. Roll-ups to child divisions are done
in Python on GROUP BY division_path (at most one row per grid).

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

Indexes the queries are written for (bench/dashboard.py measures them at 1,000,000 cases): event
(reported_at, division_path, status), (filed_at, division_path), (dispatched_at, division_path),
(handled_at, division_path), (closed_at, division_path, status), (status, division_path, sla_state) and
event_transition (action, at, event_id). SQLite's planner has no STAT4 histograms, so after ANALYZE it takes
`status IN (...)` for unselective and `division_path` ranges for selective; `_path_key` and `_closed_now`
keep it on the indexes above whether or not statistics exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.levels import LEVEL_ORDER, Level
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import SHANGHAI, to_local, utcnow
from gridgov.dashboard.schemas import (
    BreakdownBy,
    BreakdownItem,
    BreakdownOut,
    DivisionRef,
    HotspotItem,
    HotspotsOut,
    MapEvent,
    MapOut,
    Period,
    RankingBy,
    RankingItem,
    RankingOut,
    SummaryOut,
    TrendOut,
    WarningItem,
    WarningsOut,
)
from gridgov.dispatch.models import Channel, Event, EventTask, EventTransition, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.rules import OPEN, Action, Status
from gridgov.dispatch.scope import event_scope, in_subtree
from gridgov.org import cache as org_cache
from gridgov.org.cache import DivisionInfo, OrgSnapshot
from gridgov.org.models import Department, Division

VIEWER_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.ADMIN})
OPEN_VALUES = tuple(sorted(s.value for s in OPEN))
CLOSED_VALUES = (Status.CLOSED.value, Status.RATED.value)
# not cases to handle: 不立案 and duplicates merged into another case
NOT_CASES = (Status.REJECTED.value, Status.MERGED.value)
LEVELS_DOWN = ("city", "district", "street", "community", "grid")
MAP_EVENT_LIMIT = 3000
CHANNEL_LABELS = {c.value: c.label for c in Channel}
UNLOCATED = "unlocated"  # cases not yet placed below the chosen division (address awaiting confirmation)

T = TypeVar("T")


# --- the small TTL caches -------------------------------------------------------------------------------


class TTLCache:
    """A tiny thread-safe TTL cache: wall screens poll every few seconds, one computation serves them all.

    `ttl <= 0` disables it (the bench measures the SQL that way)."""

    def __init__(self, ttl: float, max_entries: int = 512) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._lock = threading.Lock()
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                value: T = hit[1]
                return value
        value = compute()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._evict(now)
            self._data[key] = (time.monotonic() + self.ttl, value)
        return value

    def _evict(self, now: float) -> None:
        for k in [k for k, (exp, _v) in self._data.items() if exp <= now]:
            del self._data[k]
        while len(self._data) >= self.max_entries:  # still full: drop the oldest insertions
            del self._data[next(iter(self._data))]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


RESULTS = TTLCache(ttl=5.0)  # endpoint results, keyed by scope + parameters
REFERENCE = TTLCache(ttl=60.0, max_entries=64)  # categories, department names, division geometry


def clear_caches() -> None:
    RESULTS.clear()
    REFERENCE.clear()


# --- who looks at what, and when ------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The viewer and the division whose subtree the screen shows (inside the viewer's scope)."""

    principal: Principal
    division: DivisionInfo
    snap: OrgSnapshot

    def where(self) -> ColumnElement[bool]:
        """The viewer's data scope AND the chosen subtree: applied to every query on events."""
        clause = event_scope(self.principal)
        if self.division.parent_id is None:  # the whole tree
            return clause
        return and_(clause, in_subtree(self.division.path))

    @property
    def scope_key(self) -> tuple[Hashable, ...]:
        p = self.principal
        dept = p.department_id if p.role == Role.COMMUNITY_STAFF else None
        return (p.role.value, p.division_path, dept, self.division.id)

    def ref(self) -> DivisionRef:
        return DivisionRef(code=self.division.code, name=self.division.name, level=self.division.level)


def resolve_view(session: Session, principal: Principal, division_code: str | None) -> View:
    """Check the role, default the division to the viewer's own (admin: the city) and keep it in scope."""
    if principal.role not in VIEWER_ROLES:
        raise Forbidden("无权查看指挥大屏数据（仅限领导、分拨员、社区工作人员和系统管理员）")
    snap = org_cache.snapshot(session)
    root = next((d for d in snap.divisions.values() if d.parent_id is None), None)
    if principal.role == Role.ADMIN:
        own = snap.divisions.get(principal.division_id or -1) or root
        scope_path = ""
    else:
        own = snap.divisions.get(principal.division_id or -1)
        scope_path = principal.division_path or ""
        if own is None or not scope_path:
            raise Forbidden("您的账号未绑定区划，无法查看指挥大屏")
    if own is None:
        raise NotFound("区划不存在或无权查看", field="division_code")
    if not division_code:
        return View(principal, own, snap)
    div_id = snap.by_code.get(division_code)
    division = snap.divisions.get(div_id) if div_id is not None else None
    if division is None or not division.path.startswith(scope_path):
        raise NotFound("区划不存在或无权查看", field="division_code")
    return View(principal, division, snap)


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def period_window(period: Period, now: datetime | None = None) -> Window:
    """Today, this ISO week (Monday start) or this calendar month on the Asia/Shanghai calendar, in UTC."""
    today = to_local(now or utcnow()).date()
    if period == Period.TODAY:
        start, end = today, today + timedelta(days=1)
    elif period == Period.WEEK:
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=7)
    else:
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    return Window(period, _local_midnight(start).astimezone(UTC), _local_midnight(end).astimezone(UTC))


def _between(col: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(col >= start, col < end)


def _path_key() -> ColumnElement[str]:
    """division_path as a GROUP BY key that no index can order: otherwise SQLite (with ANALYZE statistics but
    no STAT4, so it cannot know that open statuses are rare) prefers walking the whole (division_path,
    status) index for its order over seeking the few rows the other predicates select."""
    return Event.division_path.concat("").label("path")


def _closed_now() -> ColumnElement[bool]:
    """status closed or rated, written so that no index on status serves it: next to a closed_at range the
    planner must take the (closed_at, division_path, status) index, not every closed case of the subtree
    through (status, division_path, ...) — SQLite without STAT4 takes status equality for selective."""
    return Event.status.concat("").in_(CLOSED_VALUES)


def _ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


_OFFSET_HOURS = int((SHANGHAI.utcoffset(datetime(2000, 1, 1)) or timedelta()).total_seconds() // 3600)


def local_day(session: Session, col: Any) -> ColumnElement[Any]:
    """The Asia/Shanghai calendar day ('YYYY-MM-DD') of a UTC timestamp column, in SQL.

    China has kept UTC+8 without daylight saving since 1991, so SQLite may add a fixed offset."""
    if session.get_bind().dialect.name == "sqlite":
        day: ColumnElement[Any] = func.date(col, f"+{_OFFSET_HOURS} hours")
        return day
    return func.to_char(func.timezone("Asia/Shanghai", col), "YYYY-MM-DD")


# --- reference data (cached a minute) -------------------------------------------------------------------


@dataclass(frozen=True)
class Categories:
    names: dict[int, str]  # any category id → name
    major_of: dict[int, int]  # 小类 id → 大类 id (a 大类 maps to itself)
    codes: dict[int, str]


def categories(session: Session) -> Categories:
    def load() -> Categories:
        rows = session.execute(
            select(EventCategory.id, EventCategory.code, EventCategory.name, EventCategory.parent_id)
        ).all()
        return Categories(
            names={r[0]: r[2] for r in rows},
            major_of={r[0]: (r[3] if r[3] is not None else r[0]) for r in rows},
            codes={r[0]: r[1] for r in rows},
        )

    return REFERENCE.get_or_compute("categories", load)


def department_names(session: Session) -> dict[int, tuple[str, str]]:
    """department id → (code, name)."""

    def load() -> dict[int, tuple[str, str]]:
        rows = session.execute(select(Department.id, Department.code, Department.name)).all()
        return {r[0]: (r[1], r[2]) for r in rows}

    return REFERENCE.get_or_compute("departments", load)


@dataclass(frozen=True)
class Shape:
    geometry: dict[str, Any] | None
    lon: float | None
    lat: float | None


def shapes(session: Session, ids: Iterable[int]) -> dict[int, Shape]:
    """Geometry and representative point of divisions, loaded once per id and kept a minute."""
    store: dict[int, Shape] = REFERENCE.get_or_compute("shapes", dict)
    wanted = sorted(set(ids))
    missing = [i for i in wanted if i not in store]
    for chunk in _chunks(missing, 900):
        rows = session.execute(
            select(Division.id, Division.geometry, Division.center_lon, Division.center_lat).where(
                Division.id.in_(chunk)
            )
        ).all()
        for r in rows:
            store[r[0]] = Shape(r[1], r[2], r[3])
    return {i: store[i] for i in wanted if i in store}


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- roll-up of division paths ---------------------------------------------------------------------------


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


class Rollup:
    """Maps an event's division_path to the division at one level below the chosen one (memoised)."""

    def __init__(self, view: View, level: str) -> None:
        self.snap, self.level = view.snap, level
        self._memo: dict[str, int | None] = {}

    def of(self, path: str) -> int | None:
        if path in self._memo:
            return self._memo[path]
        found = None
        for i in _path_ids(path):
            info = self.snap.divisions.get(i)
            if info is not None and info.level == self.level:
                found = i
                break
        self._memo[path] = found
        return found


def child_level(view: View) -> str | None:
    i = LEVELS_DOWN.index(view.division.level)
    return LEVELS_DOWN[i + 1] if i + 1 < len(LEVELS_DOWN) else None


def divisions_at(view: View, level: str) -> list[DivisionInfo]:
    """Divisions of `level` in the chosen subtree, by code."""
    prefix = view.division.path
    return sorted(
        (d for d in view.snap.divisions.values() if d.level == level and d.path.startswith(prefix)),
        key=lambda d: d.code,
    )


# --- summary --------------------------------------------------------------------------------------------


def _count_in(session: Session, where: ColumnElement[bool], col: Any, win: Window) -> int:
    stmt = select(func.count()).select_from(Event).where(where, _between(col, win.start, win.end))
    return int(session.scalar(stmt) or 0)


def _on_time(c: Any = Event) -> ColumnElement[bool]:
    """Handled (or closed) by the first deadline; `c`: the event table's columns (Event or a subquery's .c)."""
    return or_(
        c.first_deadline_at.is_(None),
        func.coalesce(c.handled_at, c.closed_at) <= c.first_deadline_at,
    )


def _ranking_measures(c: Any = Event) -> tuple[ColumnElement[Any], ...]:
    """Per unit: cases, closed, closed on time, not cases (不立案), returns, returned cases, reopened cases,
    ever overdue — in the order `_Acc.add` reads them."""
    closed = c.status.in_(CLOSED_VALUES)
    return (
        func.count(),
        func.count().filter(closed),
        func.count().filter(closed, _on_time(c)),
        func.count().filter(c.status.in_(NOT_CASES)),
        func.sum(c.return_count),
        func.count().filter(c.return_count > 0),
        func.count().filter(c.reopen_count > 0),
        func.count().filter(c.ever_overdue.is_(True)),
    )


def summary(session: Session, view: View, win: Window) -> SummaryOut:
    where = view.where()
    is_closed = Event.status.in_(CLOSED_VALUES)
    rep = session.execute(
        select(
            func.count(),
            func.count().filter(is_closed),
            func.count().filter(Event.status.in_(NOT_CASES)),
        ).where(where, _between(Event.reported_at, win.start, win.end))
    ).one()
    closed = session.execute(
        select(func.count(), func.count().filter(_on_time())).where(
            where, _between(Event.closed_at, win.start, win.end), _closed_now()
        )
    ).one()
    now_open = session.execute(
        select(
            func.count(),
            func.count().filter(Event.sla_state == SlaState.RED.value),
            func.count().filter(Event.sla_state == SlaState.YELLOW.value),
        ).where(where, Event.status.in_(OPEN_VALUES))
    ).one()
    in_period = _between(EventTransition.at, win.start, win.end)
    escalated = session.scalar(
        select(func.count())
        .select_from(EventTransition)
        .join(Event, Event.id == EventTransition.event_id)
        .where(EventTransition.action == Action.ESCALATE.value, in_period, where)
    )
    satisfaction = session.scalar(
        select(func.avg(Event.rating))
        .select_from(EventTransition)
        .join(Event, Event.id == EventTransition.event_id)
        .where(EventTransition.action == Action.RATE.value, in_period, where)
    )
    reported, closed_of_reported, rejected = int(rep[0]), int(rep[1] or 0), int(rep[2] or 0)
    return SummaryOut(
        period=win.period,
        from_=win.start,
        to=win.end,
        division=view.ref(),
        reported=reported,
        filed=_count_in(session, where, Event.filed_at, win),
        dispatched=_count_in(session, where, Event.dispatched_at, win),
        handled=_count_in(session, where, Event.handled_at, win),
        closed=int(closed[0]),
        closure_rate=_ratio(closed_of_reported, reported - rejected),
        on_time_rate=_ratio(int(closed[1] or 0), int(closed[0])),
        overdue=int(now_open[1] or 0),
        warning=int(now_open[2] or 0),
        escalated=int(escalated or 0),
        satisfaction=round(float(satisfaction), 2) if satisfaction is not None else None,
        open=int(now_open[0]),
    )


# --- trend ----------------------------------------------------------------------------------------------


def trend(session: Session, view: View, days: int, now: datetime | None = None) -> TrendOut:
    """Per Asia/Shanghai day, the last `days` days up to today: cases reported, closed (closed or rated now)
    and marked overdue (红灯, warn_red transitions) that day."""
    today = to_local(now or utcnow()).date()
    first = today - timedelta(days=days - 1)
    start, end = _local_midnight(first).astimezone(UTC), _local_midnight(today + timedelta(days=1)).astimezone(UTC)
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    where = view.where()

    def per_day(day_col: Any, *clauses: ColumnElement[bool], transitions: bool = False) -> list[int]:
        day = local_day(session, day_col).label("day")
        stmt = select(day, func.count()).where(where, _between(day_col, start, end), *clauses)
        if transitions:
            stmt = stmt.select_from(EventTransition).join(Event, Event.id == EventTransition.event_id)
        counts = {str(r[0]): int(r[1]) for r in session.execute(stmt.group_by(day))}
        return [counts.get(d, 0) for d in labels]

    return TrendOut(
        days=labels,
        reported=per_day(Event.reported_at),
        closed=per_day(Event.closed_at, _closed_now()),
        overdue=per_day(EventTransition.at, EventTransition.action == Action.WARN_RED.value, transitions=True),
    )


# --- breakdowns and rankings over the cases reported in the period -------------------------------------


def _lead_department() -> ColumnElement[Any]:
    """The current lead of a case as a scalar subquery: its department id, 0 when the grid itself leads,
    NULL when the case has no lead yet (not dispatched, or rejected)."""
    return (
        select(func.coalesce(EventTask.department_id, 0))
        .where(
            EventTask.event_id == Event.id,
            EventTask.role == TaskRole.LEAD.value,
            EventTask.status != TaskStatus.CANCELLED.value,
        )
        .order_by(EventTask.id.desc())
        .limit(1)
        .correlate(Event)
        .scalar_subquery()
    )


GRID_LEAD_KEY, GRID_LEAD_LABEL = "grid", "网格自办"
NO_LEAD_KEY, NO_LEAD_LABEL = "unassigned", "未派遣"


def _department_key(session: Session, dept_id: int | None) -> tuple[str, str]:
    if dept_id is None:
        return NO_LEAD_KEY, NO_LEAD_LABEL
    if dept_id == 0:
        return GRID_LEAD_KEY, GRID_LEAD_LABEL
    code, name = department_names(session).get(dept_id, (str(dept_id), f"部门{dept_id}"))
    return code, name


def breakdown(session: Session, view: View, win: Window, by: BreakdownBy) -> BreakdownOut:
    """Cases reported in the period, by 大类, channel, child division or lead department: how many and how
    many of them are closed (or rated) now. The counts of each breakdown add up to the period's reported."""
    where = and_(view.where(), _between(Event.reported_at, win.start, win.end))
    is_closed = func.count().filter(Event.status.in_(CLOSED_VALUES))
    items: list[BreakdownItem] = []
    if by == BreakdownBy.MAJOR:
        cats = categories(session)
        acc: dict[int | None, list[int]] = {}
        for cat_id, n, c in session.execute(
            select(Event.category_id, func.count(), is_closed).where(where).group_by(Event.category_id)
        ):
            major = cats.major_of.get(cat_id) if cat_id is not None else None
            slot = acc.setdefault(major, [0, 0])
            slot[0], slot[1] = slot[0] + int(n), slot[1] + int(c or 0)
        for major, (n, c) in acc.items():
            if major is None:
                items.append(BreakdownItem(key="uncategorized", label="未分类", count=n, closed=c))
            else:
                items.append(BreakdownItem(key=cats.codes[major], label=cats.names[major], count=n, closed=c))
    elif by == BreakdownBy.CHANNEL:
        for channel, n, c in session.execute(
            select(Event.channel, func.count(), is_closed).where(where).group_by(Event.channel)
        ):
            label = CHANNEL_LABELS.get(channel, channel)
            items.append(BreakdownItem(key=channel, label=label, count=int(n), closed=int(c or 0)))
    elif by == BreakdownBy.CHILD:
        path = _path_key()
        rows = session.execute(select(path, func.count(), is_closed).where(where).group_by(path)).all()
        for (code, label), (n, c) in _rollup_children(view, rows).items():
            items.append(BreakdownItem(key=code, label=label, count=n, closed=c))
    else:
        lead = _lead_department().label("lead")
        inner = select(lead, Event.status).where(where).subquery()
        for dept, n, c in session.execute(
            select(inner.c.lead, func.count(), func.count().filter(inner.c.status.in_(CLOSED_VALUES))).group_by(
                inner.c.lead
            )
        ):
            key, label = _department_key(session, dept)
            items.append(BreakdownItem(key=key, label=label, count=int(n), closed=int(c or 0)))
    items.sort(key=lambda i: (-i.count, i.key))
    return BreakdownOut(by=by, items=items)


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


def _child_key(view: View, roll: Rollup | None, path: str) -> tuple[str, str]:
    """(code, name) of the child division a case path falls in; a grid (no children) keeps its own cases;
    a case not placed below the chosen division goes to UNLOCATED."""
    if roll is None:
        return view.division.code, view.division.name
    child = roll.of(path)
    if child is None:
        return UNLOCATED, "未定位到下级区划"
    info = view.snap.divisions[child]
    return info.code, info.name


def _rollup_children(view: View, rows: Sequence[Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(count, closed) rows keyed by division_path → per child division (all children, zeros included)."""
    level = child_level(view)
    out: dict[tuple[str, str], tuple[int, int]] = {}
    children = divisions_at(view, level) if level else []
    for d in children:
        out[(d.code, d.name)] = (0, 0)
    roll = Rollup(view, level) if level else None
    for path, n, c in rows:
        key = _child_key(view, roll, path)
        prev = out.get(key, (0, 0))
        out[key] = (prev[0] + int(n), prev[1] + int(c or 0))
    return out


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
    where = and_(view.where(), _between(Event.reported_at, win.start, win.end))
    accs: dict[tuple[str, str], _Acc] = {}
    if by == RankingBy.CHILD:
        level = child_level(view)
        for d in divisions_at(view, level) if level else []:
            accs[(d.code, d.name)] = _Acc()
        roll = Rollup(view, level) if level else None
        path = _path_key()
        for row in session.execute(select(path, *_ranking_measures()).where(where).group_by(path)):
            accs.setdefault(_child_key(view, roll, row[0]), _Acc()).add(row[1:])
    else:
        lead = _lead_department().label("lead")
        inner = select(
            lead,
            Event.status,
            Event.first_deadline_at,
            Event.handled_at,
            Event.closed_at,
            Event.return_count,
            Event.reopen_count,
            Event.ever_overdue,
        ).where(where)
        sub = inner.subquery()
        stmt = select(sub.c.lead, *_ranking_measures(sub.c)).group_by(sub.c.lead)
        for row in session.execute(stmt):
            if row[0] is None:  # not dispatched yet: no department to rank
                continue
            accs.setdefault(_department_key(session, int(row[0])), _Acc()).add(row[1:])
    items = [_ranking_item(key, label, a) for (key, label), a in accs.items()]
    items.sort(key=lambda i: (i.score is None, -(i.score or 0.0), -i.total, i.key))
    return RankingOut(by=by, items=items)


def _ranking_item(key: str, label: str, a: _Acc) -> RankingItem:
    cases = a.total - a.rejected
    closure = _ratio(a.closed, cases)
    on_time = _ratio(a.on_time, a.closed)
    reopen = _ratio(a.reopened, cases)
    return_share = _ratio(a.returned_cases, cases)
    score = None
    if cases > 0:
        w = RANK_WEIGHTS
        score = round(
            100
            * (
                w["on_time"] * (on_time or 0.0)
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
        on_time_rate=on_time,
        returns=a.returns,
        reopen_rate=reopen,
        overdue=a.overdue,
        score=score,
    )


# --- warnings, hotspots, map ----------------------------------------------------------------------------


def warnings(session: Session, view: View, limit: int) -> WarningsOut:
    """Open cases with a yellow or red light: red first, then the nearest deadline."""
    red_first = case((Event.sla_state == SlaState.RED.value, 0), else_=1)
    rows = session.execute(
        select(
            Event.id,
            Event.number,
            Event.title,
            Event.sla_state,
            Event.deadline_at,
            Event.level,
            Event.grid_id,
            Event.category_id,
            Event.lon,
            Event.lat,
            Event.escalation_count,
        )
        .where(
            view.where(),
            Event.status.in_(OPEN_VALUES),
            Event.sla_state.in_((SlaState.RED.value, SlaState.YELLOW.value)),
        )
        .order_by(red_first, Event.deadline_at.is_(None), Event.deadline_at, Event.id)
        .limit(limit)
    ).all()
    cats = categories(session)
    items = [
        WarningItem(
            id=r[0],
            number=r[1],
            title=r[2],
            sla_state=r[3],
            deadline_at=r[4],
            level=r[5],
            grid_code=view.snap.divisions[r[6]].code if r[6] in view.snap.divisions else None,
            category_name=cats.names.get(r[7]) if r[7] is not None else None,
            lon=r[8],
            lat=r[9],
            escalation_count=r[10],
        )
        for r in rows
    ]
    return WarningsOut(items=items)


def hotspots(session: Session, view: View, win: Window, limit: int) -> HotspotsOut:
    """Grids with the most cases reported in the period (and how many of those are still open).

    Grouped by division_path (a located case carries its grid's path), so the (reported_at, division_path,
    status) index answers it alone; at most one row per grid comes back and is ranked here."""
    key = _path_key()
    rows = session.execute(
        select(key, func.count(), func.count().filter(Event.status.in_(OPEN_VALUES)))
        .where(view.where(), _between(Event.reported_at, win.start, win.end))
        .group_by(key)
    ).all()
    counted: list[tuple[int, int, DivisionInfo]] = []
    for path, count, still_open in rows:
        ids = _path_ids(path)
        info = view.snap.divisions.get(ids[-1]) if ids else None
        if info is not None and info.level == Level.GRID.value:  # not placed yet: no grid to show
            counted.append((int(count), int(still_open or 0), info))
    counted.sort(key=lambda c: (-c[0], c[2].code))
    top = counted[:limit]
    pts = shapes(session, [c[2].id for c in top])
    items = []
    for count, still_open, info in top:
        shape = pts.get(info.id)
        items.append(
            HotspotItem(
                grid_code=info.code,
                grid_name=info.name,
                count=count,
                open=still_open,
                lon=shape.lon if shape else None,
                lat=shape.lat if shape else None,
            )
        )
    return HotspotsOut(items=items)


def map_level(view: View, level: str | None) -> str:
    """The level of the map's polygons: `level` if given (below the chosen division), else its children
    (a grid shows itself)."""
    if level is None:
        return child_level(view) or view.division.level
    if level not in LEVEL_ORDER or level == Level.CITY.value:
        raise InvalidInput("level 应为 district、street、community 或 grid", field="level")
    if LEVEL_ORDER[level] > LEVEL_ORDER[view.division.level]:
        raise InvalidInput("level 须低于所选区划的层级", field="level")
    if LEVEL_ORDER[level] == LEVEL_ORDER[view.division.level] and level != Level.GRID.value:
        raise InvalidInput("level 须低于所选区划的层级", field="level")
    return level


def map_data(session: Session, view: View, level: str, now: datetime | None = None) -> MapOut:
    """Polygons of the divisions at `level` with their open and red counts, and the points of open cases
    plus the cases closed today (newest first, at most MAP_EVENT_LIMIT)."""
    where = view.where()
    targets = divisions_at(view, level) if level != view.division.level else [view.division]
    counts: dict[int, list[int]] = {d.id: [0, 0] for d in targets}
    roll = Rollup(view, level)
    key = _path_key()
    for path, n, red in session.execute(
        select(key, func.count(), func.count().filter(Event.sla_state == SlaState.RED.value))
        .where(where, Event.status.in_(OPEN_VALUES))
        .group_by(key)
    ):
        target = roll.of(path)
        if target in counts:
            counts[target][0] += int(n)
            counts[target][1] += int(red or 0)
    geo = shapes(session, counts)
    features = [
        {
            "type": "Feature",
            "id": d.code,
            "geometry": geo[d.id].geometry if d.id in geo else None,
            "properties": {
                "code": d.code,
                "name": d.name,
                "level": d.level,
                "open": counts[d.id][0],
                "red": counts[d.id][1],
            },
        }
        for d in targets
    ]
    today = period_window(Period.TODAY, now)
    cols = (Event.id, Event.lon, Event.lat, Event.status, Event.sla_state, Event.category_id, Event.title)
    has_point = and_(Event.lon.is_not(None), Event.lat.is_not(None))
    # `id + 0`: an order no index gives, or SQLite walks the whole table backwards by rowid to skip a sort
    # of the few open cases (see _path_key).
    open_rows = session.execute(
        select(*cols)
        .where(where, Event.status.in_(OPEN_VALUES), has_point)
        .order_by((Event.id + 0).desc())
        .limit(MAP_EVENT_LIMIT)
    ).all()
    closed_rows = session.execute(
        select(*cols)
        .where(where, _between(Event.closed_at, today.start, today.end), _closed_now(), has_point)
        .order_by(Event.id.desc())
        .limit(MAP_EVENT_LIMIT)
    ).all()
    rows = sorted([*open_rows, *closed_rows], key=lambda r: -r[0])[:MAP_EVENT_LIMIT]
    cats = categories(session)
    events = [  # built without validation: thousands of rows straight from typed columns
        MapEvent.model_construct(
            id=r[0],
            lon=r[1],
            lat=r[2],
            status=r[3],
            sla_state=r[4],
            category_name=cats.names.get(r[5]) if r[5] is not None else None,
            title=r[6],
        )
        for r in rows
        if r[1] is not None and r[2] is not None
    ]
    return MapOut(divisions={"type": "FeatureCollection", "features": features}, events=events)


# --- change detection for the live stream ---------------------------------------------------------------


def outbox_position(session: Session) -> int:
    """The newest domain_event id (a primary-key lookup): it moves whenever any case changes."""
    return int(session.scalar(select(func.max(DomainEvent.id))) or 0)


def cached(kind: str, view: View, params: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    return RESULTS.get_or_compute((kind, view.scope_key, params), compute)
