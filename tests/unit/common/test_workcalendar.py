"""Working-calendar arithmetic (pure): periods 09:00-12:00 and 14:00-18:00 in Asia/Shanghai."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.common.workcalendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600
DAY = 7 * HOUR

PLAIN = WorkCalendar()
# National Day 2026 as a holiday week (Thu 10-01 .. Wed 10-07) with two adjusted working days:
# Sunday 2026-09-20 and Saturday 2026-10-10.
NATIONAL_DAY = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]
ADJUSTED = [date(2026, 9, 20), date(2026, 10, 10)]
CAL = WorkCalendar.build(holidays=NATIONAL_DAY, workdays=ADJUSTED)


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def local(value: datetime) -> datetime:
    return value.astimezone(SH)


# --- day kinds ------------------------------------------------------------------------------------------


def test_day_kinds() -> None:
    assert PLAIN.is_working_day(date(2026, 9, 18))  # Friday
    assert not PLAIN.is_working_day(date(2026, 9, 19))  # Saturday
    assert not PLAIN.is_working_day(date(2026, 9, 20))  # Sunday
    assert not CAL.is_working_day(date(2026, 10, 1))  # Thursday, holiday
    assert not CAL.is_working_day(date(2026, 10, 7))  # Wednesday, holiday
    assert CAL.is_working_day(date(2026, 10, 8))
    assert CAL.is_working_day(date(2026, 9, 20))  # adjusted Sunday
    assert CAL.is_working_day(date(2026, 10, 10))  # adjusted Saturday
    assert not CAL.is_working_day(date(2026, 10, 11))


def test_workday_wins_over_holiday_listing() -> None:
    d = date(2026, 10, 10)
    cal = WorkCalendar.build(holidays=[d], workdays=[d])
    assert cal.is_working_day(d)


def test_seconds_per_day() -> None:
    assert PLAIN.seconds_per_day == 7 * HOUR
    custom = WorkCalendar.build(periods=[(time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))])
    assert custom.seconds_per_day == int(7.5 * HOUR)


# --- adding working time --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Weekend skipped: Friday 17:00 + 2h -> Monday 10:00.
        (sh(2026, 9, 18, 17), 2, sh(2026, 9, 21, 10)),
        # Lunch break skipped.
        (sh(2026, 9, 15, 11, 30), 1, sh(2026, 9, 15, 14, 30)),
        # Starting inside the lunch break.
        (sh(2026, 9, 15, 12, 30), 1, sh(2026, 9, 15, 15)),
        # Before working hours: counting starts at 09:00.
        (sh(2026, 9, 15, 7, 0), 1, sh(2026, 9, 15, 10)),
        (sh(2026, 9, 15, 0, 0), 7, sh(2026, 9, 15, 18)),
        # After working hours: the next morning.
        (sh(2026, 9, 15, 19, 0), 1, sh(2026, 9, 16, 10)),
        (sh(2026, 9, 15, 18, 0), 0.5, sh(2026, 9, 16, 9, 30)),
        # Starting on a Saturday.
        (sh(2026, 9, 19, 10, 0), 3, sh(2026, 9, 21, 12)),
        # Exactly using up the morning ends at 12:00 (not 14:00).
        (sh(2026, 9, 15, 10), 2, sh(2026, 9, 15, 12)),
        # Starting at 12:00 sharp.
        (sh(2026, 9, 15, 12), 1, sh(2026, 9, 15, 15)),
        # Friday 17:30 + one full day -> Monday 17:30.
        (sh(2026, 9, 18, 17, 30), 7, sh(2026, 9, 21, 17, 30)),
        # Seconds precision.
        (sh(2026, 9, 15, 11, 59, 59), 2 / HOUR, sh(2026, 9, 15, 14, 0, 1)),
    ],
)
def test_add_working_hours_plain(start: datetime, hours: float, expected: datetime) -> None:
    got = PLAIN.add_working_hours(start, hours)
    assert got == expected
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Holiday week skipped: Wednesday 09-30 17:00 + 2h -> Thursday 10-08 10:00.
        (sh(2026, 9, 30, 17), 2, sh(2026, 10, 8, 10)),
        # Starting inside the holiday.
        (sh(2026, 10, 3, 10), 1, sh(2026, 10, 8, 10)),
        # Adjusted Sunday counted: Friday 09-18 17:00 + 2h -> Sunday 09-20 10:00.
        (sh(2026, 9, 18, 17), 2, sh(2026, 9, 20, 10)),
        # Adjusted Saturday counted: Friday 10-09 17:00 + 2h -> Saturday 10-10 10:00.
        (sh(2026, 10, 9, 17), 2, sh(2026, 10, 10, 10)),
        # ...and the Sunday after it is not: Saturday 10-10 17:00 + 2h -> Monday 10-12 10:00.
        (sh(2026, 10, 10, 17), 2, sh(2026, 10, 12, 10)),
    ],
)
def test_add_working_hours_with_holidays(start: datetime, hours: float, expected: datetime) -> None:
    assert CAL.add_working_hours(start, hours) == expected


def test_plain_calendar_does_not_know_the_holidays() -> None:
    assert PLAIN.add_working_hours(sh(2026, 9, 30, 17), 2) == sh(2026, 10, 1, 10)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, sh(2026, 9, 30, 18)),
        (2, sh(2026, 10, 8, 18)),
        (3, sh(2026, 10, 9, 18)),
        (4, sh(2026, 10, 10, 18)),  # the adjusted Saturday
        (5, sh(2026, 10, 12, 18)),
        (0.5, sh(2026, 9, 30, 14, 30)),  # 3.5h: the morning and half an hour after lunch
    ],
)
def test_add_working_days_across_national_day(days: float, expected: datetime) -> None:
    assert CAL.add_working_days(sh(2026, 9, 30, 9), days) == expected


@pytest.mark.parametrize("days", [0.5, 1, 2, 3, 5, 10])
@pytest.mark.parametrize("start", [sh(2026, 9, 14, 9), sh(2026, 9, 18, 16, 15), sh(2026, 9, 30, 11)])
def test_add_working_days_is_n_times_seven_hours(start: datetime, days: float) -> None:
    assert CAL.add_working_days(start, days) == CAL.add_working_seconds(start, days * DAY)
    assert CAL.working_seconds_between(start, CAL.add_working_days(start, days)) == days * DAY


def test_five_working_days_from_monday_morning_is_friday_evening() -> None:
    assert PLAIN.add_working_days(sh(2026, 9, 14, 9), 5) == sh(2026, 9, 18, 18)


def test_zero_seconds_returns_start() -> None:
    start = sh(2026, 9, 15, 10, 20)
    assert PLAIN.add_working_seconds(start, 0) == start
    # Even outside working time the start itself comes back (no snapping forward).
    saturday_night = sh(2026, 9, 19, 23, 0)
    got = PLAIN.add_working_seconds(saturday_night, 0)
    assert got == saturday_night
    assert got.utcoffset() == timedelta(0)


def test_negative_seconds_rejected() -> None:
    with pytest.raises(ValueError):
        PLAIN.add_working_seconds(sh(2026, 9, 15, 10), -1)


# --- timezones ------------------------------------------------------------------------------------------


def test_utc_in_utc_out() -> None:
    start = datetime(2026, 9, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    got = PLAIN.add_working_hours(start, 4)  # 09-12 and 14-15 Shanghai
    assert got == datetime(2026, 9, 15, 7, 0, tzinfo=UTC)
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got.tzinfo == UTC


def test_naive_input_is_taken_as_utc() -> None:
    got = PLAIN.add_working_hours(datetime(2026, 9, 15, 1, 0), 1)
    assert got == datetime(2026, 9, 15, 2, 0, tzinfo=UTC)
    assert got.tzinfo == UTC


def test_working_hours_are_reckoned_in_shanghai_not_in_the_input_zone() -> None:
    # 20:00 in New York on Monday 09-14 is 08:00 Tuesday in Shanghai.
    start = datetime(2026, 9, 14, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    got = PLAIN.add_working_hours(start, 1)
    assert local(got) == sh(2026, 9, 15, 10)
    assert got.tzinfo == UTC


def test_late_utc_evening_is_next_shanghai_day() -> None:
    # Friday 2026-09-18 23:30 UTC is Saturday 07:30 in Shanghai: nothing until Monday.
    got = PLAIN.add_working_hours(datetime(2026, 9, 18, 23, 30, tzinfo=UTC), 1)
    assert got == datetime(2026, 9, 21, 2, 0, tzinfo=UTC)


def test_calendar_timezone_is_configurable() -> None:
    utc_cal = WorkCalendar.build(tz=ZoneInfo("UTC"))
    got = utc_cal.add_working_hours(datetime(2026, 9, 15, 1, 0, tzinfo=UTC), 1)
    assert got == datetime(2026, 9, 15, 10, 0, tzinfo=UTC)


# --- periods --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "periods",
    [
        [],
        [(time(9), time(9))],  # empty
        [(time(12), time(9))],  # reversed
        [(time(9), time(12)), (time(11), time(18))],  # overlapping
        [(time(14), time(18)), (time(9), time(12))],  # unordered
    ],
    ids=["none", "empty", "reversed", "overlapping", "unordered"],
)
def test_invalid_periods_rejected(periods: list[tuple[time, time]]) -> None:
    with pytest.raises(ValueError):
        WorkCalendar.build(periods=periods)
    with pytest.raises(ValueError):
        WorkCalendar(periods=tuple(periods))


def test_adjacent_periods_accepted() -> None:
    cal = WorkCalendar.build(periods=[(time(9), time(12)), (time(12), time(13))])
    assert cal.seconds_per_day == 4 * HOUR
    assert cal.add_working_hours(sh(2026, 9, 15, 11), 2) == sh(2026, 9, 15, 13)


def test_custom_periods_used() -> None:
    cal = WorkCalendar.build(periods=[(time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))])
    assert cal.add_working_hours(sh(2026, 9, 15, 11), 2) == sh(2026, 9, 15, 14, 30)
    assert cal.add_working_days(sh(2026, 9, 15, 8, 30), 1) == sh(2026, 9, 15, 17, 30)


# --- working_seconds_between ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(2026, 9, 15, 9), sh(2026, 9, 15, 18), 7 * HOUR),
        (sh(2026, 9, 15, 11), sh(2026, 9, 15, 15), 2 * HOUR),
        (sh(2026, 9, 15, 12, 10), sh(2026, 9, 15, 13, 50), 0),
        (sh(2026, 9, 18, 17), sh(2026, 9, 21, 10), 2 * HOUR),
        (sh(2026, 9, 19, 0), sh(2026, 9, 20, 23, 59), 0),
        (sh(2026, 9, 15, 18), sh(2026, 9, 15, 9), 0),  # end before start
        (sh(2026, 9, 15, 10), sh(2026, 9, 15, 10), 0),
        (sh(2026, 9, 14, 0), sh(2026, 9, 21, 0), 5 * DAY),
    ],
)
def test_working_seconds_between_plain(start: datetime, end: datetime, expected: float) -> None:
    assert PLAIN.working_seconds_between(start, end) == expected


def test_working_seconds_between_national_day() -> None:
    # Mon 09-28 .. Sun 10-11 inclusive: 09-28, 09-29, 09-30, 10-08, 10-09, 10-10.
    assert CAL.working_seconds_between(sh(2026, 9, 28), sh(2026, 10, 12)) == 6 * DAY
    # The adjusted Sunday 09-20 makes that week six days long.
    assert CAL.working_seconds_between(sh(2026, 9, 14), sh(2026, 9, 21)) == 6 * DAY
    assert PLAIN.working_seconds_between(sh(2026, 9, 14), sh(2026, 9, 21)) == 5 * DAY
    assert CAL.working_seconds_between(sh(2026, 9, 19), sh(2026, 9, 21)) == DAY


def _minute_oracle(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Working seconds between two whole-minute instants, counted minute by minute (independent check)."""
    total = 0
    t = start.astimezone(SH)
    stop = end.astimezone(SH)
    while t < stop:
        in_period = any(s <= t.time() < e for s, e in cal.periods)
        if in_period and cal.is_working_day(t.date()):
            total += 60
        t += timedelta(minutes=1)
    return total


def _samples() -> list[tuple[datetime, int]]:
    """~30 fixed (start, working seconds) pairs: a seeded generator, so the list is the same every run."""
    rng = random.Random(20260918)
    base = sh(2026, 9, 12)  # a Saturday, two and a half weeks before National Day
    out = []
    for _ in range(30):
        start = base + timedelta(minutes=rng.randrange(0, 24 * 60 * 26))
        secs = rng.choice([60, 1800, HOUR, 3 * HOUR, DAY, 2 * DAY]) + 60 * rng.randrange(0, 600)
        out.append((start, secs))
    return out


SAMPLES = _samples()


@pytest.mark.parametrize(("start", "secs"), SAMPLES, ids=[f"{s:%m%d-%H%M}+{n}" for s, n in SAMPLES])
def test_between_is_inverse_of_add(start: datetime, secs: int) -> None:
    end = CAL.add_working_seconds(start, secs)
    assert end > start
    assert end.tzinfo == UTC
    assert CAL.working_seconds_between(start, end) == secs
    assert _minute_oracle(CAL, start, end) == secs
    # The end is the earliest such instant: one minute less is not enough.
    assert CAL.working_seconds_between(start, end - timedelta(minutes=1)) == secs - 60


@pytest.mark.parametrize(("start", "secs"), SAMPLES[:10], ids=[f"{s:%m%d-%H%M}+{n}" for s, n in SAMPLES[:10]])
def test_add_is_inverse_of_between(start: datetime, secs: int) -> None:
    # Any end instant, possibly outside working time: adding the elapsed working time comes back at or
    # before it, with no working time in between.
    end = start + timedelta(seconds=secs * 2)
    elapsed = CAL.working_seconds_between(start, end)
    assert elapsed == _minute_oracle(CAL, start, end)
    if elapsed == 0:
        return
    back = CAL.add_working_seconds(start, elapsed)
    assert back <= end
    assert CAL.working_seconds_between(back, end) == 0


def test_add_is_additive() -> None:
    start = sh(2026, 9, 29, 16, 40)
    for a, b in [(HOUR, 2 * HOUR), (DAY, 1800), (3 * DAY, 5 * HOUR)]:
        assert CAL.add_working_seconds(CAL.add_working_seconds(start, a), b) == CAL.add_working_seconds(start, a + b)
