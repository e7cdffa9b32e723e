"""A realistic stream of cases moving through the whole loop, with plausible delays, so that queues and
dashboards have history. Every step goes through the real service functions (with a simulated clock), so the
history, audit rows, warnings and escalations are exactly what the live system would have written."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.errors import AppError
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import SHANGHAI, utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.assign import ACTIVE_TASK
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.dispatch.models import Channel, Event, EventTask, TaskRole
from gridgov.dispatch.schemas import CategoryIn, NoteIn, RateIn, ResultIn, VerifyIn
from gridgov.dispatch.sweeper import sweep
from gridgov.org import cache
from gridgov.org.models import Division, GridAssignment, User

CHANNELS: list[tuple[Channel, float]] = [
    (Channel.GRID_PATROL, 0.55),
    (Channel.PHOTO, 0.2),
    (Channel.HOTLINE, 0.17),
    (Channel.DISPUTE, 0.05),
    (Channel.IOT, 0.03),
]


@dataclass
class SimStats:
    reported: int = 0
    self_handled: int = 0
    rejected: int = 0
    closed: int = 0
    rated: int = 0
    returned: int = 0
    reopened: int = 0
    refused: int = 0
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    steps: int = 0


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    event_id: int = field(compare=False)
    action: str = field(compare=False)


class _People:
    """Principals for each kind of actor, built once from the users table."""

    def __init__(self, session: Session) -> None:
        snap = cache.snapshot(session)
        self.snap = snap
        users = session.scalars(select(User).where(User.active.is_(True))).all()
        grids: dict[int, list[int]] = {}
        for a in session.scalars(select(GridAssignment)):
            grids.setdefault(a.user_id, []).append(a.grid_id)
        self.by_dept: dict[int, Principal] = {}
        self.by_grid: dict[int, Principal] = {}
        self.dispatcher_by_div: dict[int, Principal] = {}
        self.staff_by_div: dict[int, Principal] = {}
        self.leaders: dict[int, Principal] = {}
        self.residents: list[Principal] = []
        self.centers: dict[int, tuple[float, float]] = {
            r[0]: (r[1], r[2])
            for r in session.execute(
                select(Division.id, Division.center_lon, Division.center_lat).where(Division.level == "grid")
            )
            if r[1] is not None and r[2] is not None
        }
        for u in users:
            path = snap.divisions[u.division_id].path if u.division_id in snap.divisions else None
            p = Principal(
                u.id,
                u.username,
                Role(u.role),
                u.division_id,
                path,
                u.department_id,
                frozenset(grids.get(u.id, [])),
            )
            if u.role == Role.HANDLER and u.department_id:
                self.by_dept.setdefault(u.department_id, p)
            elif u.role == Role.GRID_WORKER:
                for g in p.grid_ids:
                    self.by_grid.setdefault(g, p)
            elif u.role == Role.DISPATCHER and u.division_id:
                self.dispatcher_by_div.setdefault(u.division_id, p)
            elif u.role == Role.COMMUNITY_STAFF and u.division_id:
                self.staff_by_div.setdefault(u.division_id, p)
                if u.department_id:
                    self.by_dept.setdefault(u.department_id, p)
            elif u.role == Role.RESIDENT:
                self.residents.append(p)
            elif u.role == Role.LEADER and u.division_id:
                self.leaders.setdefault(u.division_id, p)

    def dispatcher_for(self, grid_id: int) -> Principal:
        for place in self.snap.ancestry(grid_id):
            if place.level in ("street", "district") and place.id in self.dispatcher_by_div:
                return self.dispatcher_by_div[place.id]
        raise LookupError("no dispatcher above this grid")

    def verifier_for(self, grid_id: int, handled_by: int | None) -> Principal:
        worker = self.by_grid.get(grid_id)
        if worker is not None and worker.user_id != handled_by:
            return worker
        community = self.snap.ancestor_at(grid_id, "community")
        return self.staff_by_div[community or 0]


def simulate(
    session: Session,
    days: int,
    per_day: int = 200,
    seed: int = 7,
    end: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimStats:
    rng = random.Random(seed)
    end = end or utcnow()
    start = end - timedelta(days=days)
    people = _People(session)
    cats = list(
        session.scalars(
            select(EventCategory).where(EventCategory.parent_id.is_not(None), EventCategory.active.is_(True))
        )
    )
    if not cats or not people.by_grid:
        raise RuntimeError("load the demo (gridgov demo load) before simulating")
    grid_ids = sorted(people.by_grid)
    stats = SimStats()
    queue: list[_Step] = []
    seq = 0

    def push(at: datetime, event_id: int, action: str) -> None:
        nonlocal seq
        seq += 1
        if at < end:
            heapq.heappush(queue, _Step(at, seq, event_id, action))

    arrivals = sorted(_arrival_times(rng, start, days, per_day))
    total = len(arrivals)
    next_sweep = start + timedelta(hours=1)
    ai = 0
    while ai < total or queue:
        t_arrival = arrivals[ai] if ai < total else None
        t_step = queue[0].at if queue else None
        now = min(x for x in (t_arrival, t_step) if x is not None)
        while next_sweep <= now:
            r = sweep(session, now=next_sweep)
            stats.yellow, stats.red, stats.escalated = (
                stats.yellow + r.yellow,
                stats.red + r.red,
                stats.escalated + r.escalated,
            )
            next_sweep += timedelta(hours=1)
        if t_arrival is not None and now == t_arrival:
            ai += 1
            with UnitOfWork(session):
                _arrive(session, rng, people, cats, grid_ids, now, stats, push)
            if progress and ai % 50 == 0:
                progress(ai, total)
            continue
        step = heapq.heappop(queue)
        try:
            with UnitOfWork(session):  # each step of the simulated loop is one action
                _advance(session, rng, people, step, stats, push)
        except AppError:
            stats.refused += 1
        stats.steps += 1
    if progress:
        progress(total, total)
    r = sweep(session, now=end)
    stats.yellow, stats.red, stats.escalated = (
        stats.yellow + r.yellow,
        stats.red + r.red,
        stats.escalated + r.escalated,
    )
    return stats


def _arrival_times(rng: random.Random, start: datetime, days: int, per_day: int) -> list[datetime]:
    out = []
    local_start = start.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    for d in range(days + 1):
        day = local_start + timedelta(days=d)
        n = max(1, int(rng.gauss(per_day * (0.75 if day.weekday() >= 5 else 1.0), per_day * 0.1)))
        for _ in range(n):
            hour = rng.choices(
                range(24),
                weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 8, 10, 13, 13, 12, 10, 8, 6, 5, 4, 2, 1],
            )[0]
            at = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
            if start <= at < start + timedelta(days=days):
                out.append(at.astimezone(start.tzinfo))
    return out


def _arrive(
    session: Session,
    rng: random.Random,
    people: _People,
    cats: list[EventCategory],
    grid_ids: list[int],
    now: datetime,
    stats: SimStats,
    push: Callable[[datetime, int, str], None],
) -> None:
    channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
    grid_id = rng.choice(grid_ids)
    cat = rng.choice(cats)
    grid_code = people.snap.divisions[grid_id].code
    lon, lat = people.centers.get(grid_id, (None, None))
    if lon is not None and lat is not None:  # a point near the grid's representative point
        lon, lat = round(lon + rng.uniform(-3e-4, 3e-4), 6), round(lat + rng.uniform(-3e-4, 3e-4), 6)
    title = f"{cat.name}（{people.snap.divisions[grid_id].name}）"
    base = IntakeCommand(title=title, channel=channel, grid_code=grid_code, lon=lon, lat=lat)
    if channel == Channel.GRID_PATROL:
        actor = people.by_grid[grid_id]
        if cat.self_handle and rng.random() < 0.6:
            command = replace(base, category_code=cat.code, self_handle=True, result_note="网格员现场处置完毕")
            handled = submit(session, actor, command, now=now)
            stats.self_handled += 1
            push(now + timedelta(minutes=rng.uniform(20, 240)), handled.event_id, "verify")
            return
        body = replace(base, category_code=cat.code)
    elif channel == Channel.PHOTO and people.residents:
        actor = rng.choice(people.residents)
        body = replace(base, category_code=cat.code if rng.random() < 0.5 else None)
    else:
        actor = people.dispatcher_for(grid_id)
        body = replace(base, category_code=cat.code)
    reported = submit(session, actor, body, now=now)
    stats.reported += 1
    push(now + timedelta(minutes=rng.uniform(5, 90)), reported.event_id, "file")


def _advance(
    session: Session,
    rng: random.Random,
    people: _People,
    step: _Step,
    stats: SimStats,
    push: Callable[[datetime, int, str], None],
) -> None:
    event = session.get(Event, step.event_id)
    assert event is not None and event.grid_id is not None
    now, grid = step.at, event.grid_id
    dispatcher = people.dispatcher_for(grid)
    if step.action == "file":
        if rng.random() < 0.04:
            lc.reject_event(session, dispatcher, event.id, NoteIn(note="重复上报或不属于受理范围"), now=now)
            stats.rejected += 1
            return
        cat_code = None
        if event.category_id is None:
            cat_code = rng.choice(
                session.scalars(select(EventCategory.code).where(EventCategory.parent_id.is_not(None))).all()
            )
        lc.file_event(session, dispatcher, event.id, CategoryIn(category_code=cat_code), now=now)
        push(now + timedelta(minutes=rng.uniform(5, 60)), event.id, "dispatch")
    elif step.action == "dispatch":
        lc.dispatch_event(session, dispatcher, event.id, CategoryIn(), now=now)
        push(now + timedelta(minutes=rng.uniform(10, 180)), event.id, "accept")
    elif step.action == "accept":
        lead = _lead_actor(session, people, event)
        if rng.random() < 0.03:
            lc.return_event(session, lead, event.id, NoteIn(note="非本单位职责，申请改派"), now=now)
            stats.returned += 1
            push(now + timedelta(minutes=rng.uniform(10, 90)), event.id, "dispatch")
            return
        lc.accept_event(session, lead, event.id, NoteIn(), now=now)
        for task in event.tasks:
            if task.role == TaskRole.CO.value and task.status in ACTIVE_TASK:
                push(now + timedelta(hours=rng.uniform(1, 30)), event.id, f"co:{task.department_id}")
        span = (event.deadline_at - now) if event.deadline_at else timedelta(hours=8)
        factor = rng.uniform(1.05, 2.5) if rng.random() < 0.08 else rng.uniform(0.1, 0.95)
        push(now + span * factor, event.id, "handle")
    elif step.action.startswith("co:"):
        dept = int(step.action[3:])
        still_open = any(
            t.role == TaskRole.CO.value and t.department_id == dept and t.status in ACTIVE_TASK for t in event.tasks
        )
        if not still_open or event.status not in ("dispatched", "accepted"):
            return  # withdrawn by an escalation or already reported under a new task
        lc.co_report(session, people.by_dept[dept], event.id, ResultIn(note="协办部门已到场配合处置"), now=now)
    elif step.action == "handle":
        if event.status == "dispatched":  # escalated meanwhile: the new lead must accept first
            push(now + timedelta(minutes=rng.uniform(10, 120)), event.id, "accept")
            return
        if event.status != "accepted":
            return
        if any(t.role == TaskRole.CO.value and t.status in ACTIVE_TASK for t in event.tasks):
            push(now + timedelta(hours=2), event.id, "handle")
            return
        lc.handle_event(
            session,
            _lead_actor(session, people, event),
            event.id,
            ResultIn(note="已按要求处置完毕，现场已恢复"),
            now=now,
        )
        push(now + timedelta(minutes=rng.uniform(30, 300)), event.id, "verify")
    elif step.action == "verify":
        verifier = people.verifier_for(grid, event.handled_by_id)
        passed = rng.random() > 0.05 or event.self_handled
        lc.verify_event(
            session,
            verifier,
            event.id,
            VerifyIn(passed=passed, note=None if passed else "现场仍未整改到位"),
            now=now,
        )
        if not passed:
            push(now + timedelta(hours=rng.uniform(2, 24)), event.id, "handle")
            return
        stats.closed += 1
        if event.reporter_id is not None and rng.random() < 0.6:
            push(now + timedelta(hours=rng.uniform(1, 48)), event.id, "rate")
    elif step.action == "rate":
        reporter = next((p for p in people.residents if p.user_id == event.reporter_id), None)
        if reporter is None:
            reporter = next((p for p in people.by_grid.values() if p.user_id == event.reporter_id), None)
        if reporter is None:
            return
        if reporter.role == Role.RESIDENT and rng.random() < 0.03:
            lc.reopen_event(session, reporter, event.id, NoteIn(note="问题反弹，仍未解决"), now=now)
            stats.reopened += 1
            push(now + timedelta(minutes=rng.uniform(10, 120)), event.id, "dispatch")
            return
        rating = rng.choices([5, 4, 3, 2, 1], weights=[70, 20, 6, 3, 1])[0]
        lc.rate_event(session, reporter, event.id, RateIn(rating=rating), now=now)
        stats.rated += 1


def _lead_actor(session: Session, people: _People, event: Event) -> Principal:
    lead = session.scalar(
        select(EventTask)
        .where(
            EventTask.event_id == event.id,
            EventTask.role == TaskRole.LEAD.value,
            EventTask.status.in_((*ACTIVE_TASK, "reported")),
        )
        .order_by(EventTask.id.desc())
    )
    if lead is None:
        raise LookupError("no lead task")
    if lead.department_id is not None:
        return people.by_dept[lead.department_id]
    return people.by_grid[lead.grid_id or 0]
