"""Working calendar arithmetic (pure): working hours, weekends, public holidays, adjusted working days.

A day is a working day when it is listed as an adjusted working day (调休上班), or when it is a weekday
that is not a listed holiday. Working time runs only inside the configured daily periods, reckoned in the
calendar's timezone (Asia/Shanghai by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from gridgov.common.timeutil import SHANGHAI, as_utc

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0)))
MAX_SCAN_DAYS = 3660


class TimeBasis(Protocol):
    """What a clock counts on: the working calendar, or natural time (`NATURAL`: every second counts)."""

    @property
    def seconds_per_day(self) -> int: ...

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime: ...

    def working_seconds_between(self, start: datetime, end: datetime) -> float: ...


@dataclass(frozen=True)
class NaturalTime:
    """Natural time (24×7): nights, weekends and holidays count like any other hour; a day is 24 hours."""

    @property
    def seconds_per_day(self) -> int:
        return 86400

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return as_utc(start) + timedelta(seconds=seconds)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        return max(0.0, (as_utc(end) - as_utc(start)).total_seconds())


NATURAL = NaturalTime()


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("a working calendar needs at least one working period")
        prev_end = time(0, 0)
        for start, end in self.periods:
            if not (prev_end <= start < end):
                raise ValueError(f"working periods must be ordered and non-overlapping: {self.periods}")
            prev_end = end

    @classmethod
    def build(
        cls,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        periods: Iterable[tuple[time, time]] = DEFAULT_PERIODS,
        tz: ZoneInfo = SHANGHAI,
    ) -> WorkCalendar:
        return cls(frozenset(holidays), frozenset(workdays), tuple(periods), tz)

    @property
    def seconds_per_day(self) -> int:
        return sum(_secs(end) - _secs(start) for start, end in self.periods)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(day, s, self.tz), datetime.combine(day, e, self.tz)) for s, e in self.periods]

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of working time have elapsed after `start` (returned in UTC)."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return as_utc(start)
        local = as_utc(start).astimezone(self.tz)
        remaining = float(seconds)
        day = local.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    begin = max(p_start, local)
                    if begin >= p_end:
                        continue
                    available = (p_end - begin).total_seconds()
                    if remaining <= available:
                        return as_utc(begin + timedelta(seconds=remaining))
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within ten years; check the calendar")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_seconds(start, hours * 3600)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """N working days = N full working days of working time from `start`."""
        return self.add_working_seconds(start, days * self.seconds_per_day)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working time elapsed from `start` to `end` (0 when end <= start)."""
        a = as_utc(start).astimezone(self.tz)
        b = as_utc(end).astimezone(self.tz)
        if b <= a:
            return 0.0
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                for p_start, p_end in self._periods_on(day):
                    lo, hi = max(p_start, a), min(p_end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
