"""Deadlines (pure): time limit × area class on the case's time basis — the working calendar or natural time
(24×7) — with the yellow-warning point.

Which basis: a 小类 declares its own (`clock_basis` in the catalog); an urgent or 重特大 case always runs on
natural time, whatever its 小类 says (`basis_for`). On natural time an hour is an hour and a "day" of the limit is
24 hours.

Changing a case's urgency while its clock runs (`rebase_clock`): the time left stays the time left, counted on the
new basis — the working time still to run before the deadline (and before the warning, if not yet reached) is
measured on the old basis at the moment of the change and laid out from that moment on the new one. So a 火情
upgraded at Saturday 22:00 with one working hour left is due at 23:00; a case downgraded keeps the hours it had,
now counted in working time. A deadline already passed stays where it was (the case is overdue either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridgov.common.choices import ClockBasis, Urgency
from gridgov.common.workcalendar import TimeBasis


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    warn_at: datetime
    deadline_at: datetime


def basis_for(urgency: str, category_basis: str) -> ClockBasis:
    """The time basis of a case: natural for urgent and 重特大 cases, else the 小类's own."""
    if urgency != Urgency.NORMAL.value:
        return ClockBasis.NATURAL
    return ClockBasis(category_basis)


def limit_seconds(calendar: TimeBasis, limit: float, unit: str) -> float:
    if unit == "working_days":
        return limit * calendar.seconds_per_day
    if unit == "working_hours":
        return limit * 3600
    raise ValueError(f"unknown time-limit unit {unit!r}")


def start_clock(calendar: TimeBasis, start: datetime, limit_secs: float, warn_ratio: float) -> Clock:
    return Clock(
        started_at=start,
        warn_at=calendar.add_working_seconds(start, limit_secs * warn_ratio),
        deadline_at=calendar.add_working_seconds(start, limit_secs),
    )


def fixed_clock(calendar: TimeBasis, start: datetime, deadline: datetime, warn_ratio: float) -> Clock:
    """A clock that ends at a deadline the reporting channel set; the warning keeps its share of the time between."""
    total = calendar.working_seconds_between(start, deadline)
    return Clock(
        started_at=start, warn_at=calendar.add_working_seconds(start, total * warn_ratio), deadline_at=deadline
    )


def extend_clock(calendar: TimeBasis, clock: Clock, extra_secs: float, warn_ratio: float) -> Clock:
    """Shift the deadline by `extra_secs` of working time; the warning point keeps its share of the whole."""
    deadline = calendar.add_working_seconds(clock.deadline_at, extra_secs)
    total = calendar.working_seconds_between(clock.started_at, deadline)
    return Clock(clock.started_at, calendar.add_working_seconds(clock.started_at, total * warn_ratio), deadline)


def rebase_clock(old: TimeBasis, new: TimeBasis, clock: Clock, now: datetime) -> Clock:
    """The running clock moved from basis `old` to `new` at `now`: what is left, counted on the new basis."""
    deadline = clock.deadline_at
    if deadline > now:
        deadline = new.add_working_seconds(now, old.working_seconds_between(now, deadline))
    warn = clock.warn_at
    if warn > now:
        warn = min(new.add_working_seconds(now, old.working_seconds_between(now, warn)), deadline)
    return Clock(clock.started_at, warn, deadline)


def sla_state(now: datetime, warn_at: datetime | None, deadline_at: datetime | None) -> str:
    if deadline_at is not None and now >= deadline_at:
        return "red"
    if warn_at is not None and now >= warn_at:
        return "yellow"
    return "normal"
