"""Repeats at intake (重复诉求): the case a new report repeats, and what attaching it does to that case.

`find_repeat` reads the candidates (not merged away; open, or closed within the window; at the same standard
address or inside the radius's box) and lets `repeat_rules.best_repeat` choose. It is the system's check, not a
caller's search: it is not limited to what the reporter may see (a resident's report must join the case of the
neighbour who reported it first), and it answers only the case's id, number and status. `attached` counts the
report on its case and publishes `event.duplicate_merged` there; `linked` does so for a report that repeats a
closed case (filed anew, with the link in its history, since the problem came back). A resident repeating their
own case closed as resolved within `repeat_reopen_days` reopens it instead (`repeat_rules.reopens`; the intake port
runs the reopen service as that resident and attaches the report). Within one batch, a later report may repeat an
earlier one (`Batch`): the port writes it after the earlier one, merged into it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.catalog import cache as catalog_cache
from gridgov.common.events import bus
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.timeutil import as_utc
from gridgov.db import settings_of
from gridgov.dispatch.models import Event
from gridgov.dispatch.repeat_rules import M_PER_DEG, RepeatPolicy, Report, best_repeat, near, reopens
from gridgov.dispatch.rules import OPEN, Status

CANDIDATES = 200
CLOSED_LINKABLE = (Status.CLOSED.value, Status.RATED.value)


@dataclass(frozen=True, slots=True)
class Repeat:
    event_id: int
    number: str
    status: str
    similarity: float
    batch_index: int | None = None  # a report earlier in the same batch (not written yet: event_id is 0)
    reopen: bool = False  # the resident's own closed case, reopened by this report (repeat_rules.reopens)

    @property
    def open(self) -> bool:
        return Status(self.status) in OPEN


def policy_of(session: Session) -> RepeatPolicy:
    s = settings_of(session)
    return RepeatPolicy(radius_m=s.repeat_radius_m, window=timedelta(days=s.repeat_window_days))


class Batch:
    """The reports of one intake batch planned so far that a later one may repeat (not themselves repeats)."""

    def __init__(self) -> None:
        self.reports: list[tuple[int, Report]] = []  # (-1 - index in the batch, report)

    def add(self, index: int, report: Report) -> None:
        self.reports.append((-1 - index, report))


def find_repeat(
    session: Session,
    *,
    text: str,
    address_code: str | None,
    lat: float | None,
    lon: float | None,
    category_id: int | None,
    now: datetime,
    grid_id: int | None = None,
    batch: tuple[Batch, int] | None = None,
    reporter: tuple[int | None, bool] = (None, False),
) -> Repeat | None:
    """The case the report repeats, or None. Candidates come through indexes: the standard address
    (ix_event_address) or, for a position, the report's grid (ix_event_grid_status) and the radius's box — a case
    just across the grid's border is not found by position (it is by address). With `batch` (the batch and this
    report's index in it), the earlier reports of the same batch are candidates too; this one joins them unless
    it repeats an open case. `reporter` (user id, is a resident) decides whether a closed case is reopened
    (`repeat_rules.reopens`) or a new case linked to it."""
    if not settings_of(session).repeat_attach:
        return None
    policy = policy_of(session)
    address_id = session.scalar(select(Address.id).where(Address.code == address_code)) if address_code else None
    places = []
    if address_id is not None:
        places.append(Event.address_id == address_id)
    if lat is not None and lon is not None and policy.radius_m > 0:
        dlat = policy.radius_m / M_PER_DEG
        dlon = policy.radius_m / (M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
        box = Event.lat.between(lat - dlat, lat + dlat) & Event.lon.between(lon - dlon, lon + dlon)
        places.append((Event.grid_id == grid_id) & box if grid_id is not None else box)
    if not places:
        return None
    since = now - policy.window
    alive = Event.status.in_([s.value for s in OPEN]) | (Event.status.in_(CLOSED_LINKABLE) & (Event.closed_at >= since))
    stmt = (
        select(Event.id, Event.number, Event.status, Event.title, Event.description, Event.address_id, Event.lat)
        .add_columns(Event.lon, Event.category_id, Event.reporter_id, Event.closed_at)
        .where(Event.merged_into_id.is_(None), Event.reported_at >= since, alive, or_(*places))
        .order_by(Event.id.desc())
        .limit(CANDIDATES)
    )
    cats = catalog_cache.snapshot(session).by_id
    major = cats[category_id].parent_id if category_id in cats else None
    new = Report(text, address_id, lat, lon, category_id, major)
    rows = {r.id: r for r in session.execute(stmt)}
    candidates = [
        (
            r.id,
            Report(
                f"{r.title}。{r.description}" if r.description else r.title,
                r.address_id,
                r.lat,
                r.lon,
                r.category_id,
                cats[r.category_id].parent_id if r.category_id in cats else None,
            ),
        )
        for r in rows.values()
    ]
    earlier = [(k, r) for k, r in batch[0].reports if near(new, r, policy)] if batch else []  # cheap test first
    found = best_repeat(new, candidates + earlier, policy)
    repeat: Repeat | None = None
    if found is not None and found[0] < 0:
        repeat = Repeat(0, "", Status.REPORTED.value, round(found[1], 3), batch_index=-1 - found[0])
    elif found is not None:
        row = rows[found[0]]
        closed = as_utc(row.closed_at) if row.closed_at is not None else None
        again = Status(row.status) not in OPEN and reopens(
            case_status=str(row.status),
            closed_at=closed,
            case_reporter_id=row.reporter_id,
            reporter_id=reporter[0],
            reporter_is_resident=reporter[1],
            now=now,
            within=timedelta(days=settings_of(session).repeat_reopen_days),
        )
        repeat = Repeat(row.id, str(row.number), str(row.status), round(found[1], 3), None, again)
    if batch is not None and (repeat is None or not (repeat.open or repeat.reopen)):
        batch[0].add(batch[1], new)
    return repeat


def attached(session: Session, main_id: int, report_id: int, number: str, now: datetime, auto: bool = True) -> None:
    """One more report on case `main_id` (attached by the system at intake, or merged by a dispatcher)."""
    session.execute(update(Event).where(Event.id == main_id).values(repeat_count=Event.repeat_count + 1))
    payload = {"duplicate": report_id, "number": number, "auto": auto}
    bus.publish(session, "event.duplicate_merged", "event", main_id, payload, actor=SYSTEM_PRINCIPAL, at=now)


def detached(session: Session, main_id: int) -> None:
    session.execute(
        update(Event).where(Event.id == main_id, Event.repeat_count > 0).values(repeat_count=Event.repeat_count - 1)
    )


def linked(session: Session, closed_id: int, report_id: int, number: str, now: datetime) -> None:
    """A report repeating a closed case: counted on it, `event.repeat_after_close` published there."""
    session.execute(update(Event).where(Event.id == closed_id).values(repeat_count=Event.repeat_count + 1))
    payload = {"report": report_id, "number": number}
    bus.publish(session, "event.repeat_after_close", "event", closed_id, payload, actor=SYSTEM_PRINCIPAL, at=now)
