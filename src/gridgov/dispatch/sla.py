"""Deadlines (pure): time limit × area class on the working calendar, with the yellow-warning point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridgov.common.workcalendar import WorkCalendar


@dataclass(frozen=True)
class Clock:
    started_at: datetime
    warn_at: datetime
    deadline_at: datetime


def limit_seconds(calendar: WorkCalendar, limit: float, unit: str) -> float:
    if unit == "working_days":
        return limit * calendar.seconds_per_day
    if unit == "working_hours":
        return limit * 3600
    raise ValueError(f"unknown time-limit unit {unit!r}")


def start_clock(calendar: WorkCalendar, start: datetime, limit_secs: float, warn_ratio: float) -> Clock:
    return Clock(
        started_at=start,
        warn_at=calendar.add_working_seconds(start, limit_secs * warn_ratio),
        deadline_at=calendar.add_working_seconds(start, limit_secs),
    )


def extend_clock(calendar: WorkCalendar, clock: Clock, extra_secs: float, warn_ratio: float) -> Clock:
    """Shift the deadline by `extra_secs` of working time; the warning point keeps its share of the whole."""
    deadline = calendar.add_working_seconds(clock.deadline_at, extra_secs)
    total = calendar.working_seconds_between(clock.started_at, deadline)
    return Clock(clock.started_at, calendar.add_working_seconds(clock.started_at, total * warn_ratio), deadline)


def sla_state(now: datetime, warn_at: datetime | None, deadline_at: datetime | None) -> str:
    if deadline_at is not None and now >= deadline_at:
        return "red"
    if warn_at is not None and now >= warn_at:
        return "yellow"
    return "normal"
