"""Deadlines on the working calendar and the routing choice (pure, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.common.errors import Conflict
from gridgov.common.levels import LEVEL_ORDER, TIERS, Place, next_tier
from gridgov.common.workcalendar import WorkCalendar
from gridgov.dispatch.routing import FALLBACK_DEPT_TYPE, Route, choose_route
from gridgov.dispatch.sla import Clock, extend_clock, limit_seconds, sla_state, start_clock

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600
CAL = WorkCalendar()
RATIO = 0.8


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# --- limits and clocks ----------------------------------------------------------------------------------


def test_limit_seconds() -> None:
    assert limit_seconds(CAL, 2, "working_days") == 14 * HOUR
    assert limit_seconds(CAL, 0.5, "working_days") == 3.5 * HOUR
    assert limit_seconds(CAL, 5, "working_hours") == 5 * HOUR
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        limit_seconds(CAL, 1, "calendar_days")


def test_start_clock_positions() -> None:
    start = sh(2026, 9, 14, 9)  # Monday morning
    clock = start_clock(CAL, start, 10 * HOUR, RATIO)
    assert clock.started_at == start
    assert clock.warn_at == sh(2026, 9, 15, 10)  # 8h: all Monday (7h) + 1h Tuesday
    assert clock.deadline_at == sh(2026, 9, 15, 12)  # 10h
    assert CAL.working_seconds_between(start, clock.warn_at) == 8 * HOUR
    assert clock.warn_at.utcoffset() == timedelta(0)
    assert clock.deadline_at.utcoffset() == timedelta(0)


def test_start_clock_over_a_weekend() -> None:
    start = sh(2026, 9, 18, 14)  # Friday afternoon
    clock = start_clock(CAL, start, limit_seconds(CAL, 1, "working_days"), RATIO)
    # 7h in total: 4h on Friday; warning at 5.6h (Monday 10:36), deadline Monday 12:00.
    assert clock.warn_at == sh(2026, 9, 21, 10, 36)
    assert clock.deadline_at == sh(2026, 9, 21, 12)


@pytest.mark.parametrize("ratio", [0.5, 0.8, 0.9])
def test_warning_share(ratio: float) -> None:
    start = sh(2026, 9, 16, 10, 15)
    limit = limit_seconds(CAL, 3, "working_days")
    clock = start_clock(CAL, start, limit, ratio)
    assert start < clock.warn_at < clock.deadline_at
    assert CAL.working_seconds_between(start, clock.warn_at) == pytest.approx(limit * ratio)
    assert CAL.working_seconds_between(start, clock.deadline_at) == pytest.approx(limit)


def test_extend_clock_shifts_deadline_by_working_time_and_keeps_warn_share() -> None:
    start = sh(2026, 9, 14, 9)
    clock = start_clock(CAL, start, 10 * HOUR, RATIO)  # deadline Tue 12:00
    longer = extend_clock(CAL, clock, 3 * HOUR, RATIO)
    assert longer.started_at == start
    assert longer.deadline_at == sh(2026, 9, 15, 17)  # lunch skipped: 14:00 + 3h
    # 13h in total; warning at 10.4h = Monday 7h + Tuesday 09:00-12:00 + 24 min.
    assert longer.warn_at == sh(2026, 9, 15, 14, 24)
    assert CAL.working_seconds_between(start, longer.warn_at) == pytest.approx(RATIO * 13 * HOUR)


def test_extend_clock_across_weekend() -> None:
    start = sh(2026, 9, 17, 9)  # Thursday
    clock = start_clock(CAL, start, 13 * HOUR, RATIO)
    assert clock.deadline_at == sh(2026, 9, 18, 17)
    longer = extend_clock(CAL, clock, limit_seconds(CAL, 1, "working_days"), RATIO)
    assert longer.deadline_at == sh(2026, 9, 21, 17)
    total = CAL.working_seconds_between(start, longer.deadline_at)
    assert total == 20 * HOUR
    assert CAL.working_seconds_between(start, longer.warn_at) == pytest.approx(RATIO * total)
    assert longer.warn_at > clock.warn_at


def test_extend_clock_by_zero_keeps_the_clock() -> None:
    clock = start_clock(CAL, sh(2026, 9, 14, 9), 10 * HOUR, RATIO)
    same = extend_clock(CAL, clock, 0, RATIO)
    assert same == Clock(clock.started_at, clock.warn_at, clock.deadline_at)


# --- sla_state ------------------------------------------------------------------------------------------

WARN = sh(2026, 9, 15, 10)
DEADLINE = sh(2026, 9, 15, 12)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "warn_at", "deadline_at", "expected"),
    [
        (WARN - SECOND, WARN, DEADLINE, "normal"),
        (WARN, WARN, DEADLINE, "yellow"),
        (WARN + SECOND, WARN, DEADLINE, "yellow"),
        (DEADLINE - SECOND, WARN, DEADLINE, "yellow"),
        (DEADLINE, WARN, DEADLINE, "red"),
        (DEADLINE + timedelta(days=30), WARN, DEADLINE, "red"),
        (DEADLINE + SECOND, None, DEADLINE, "red"),
        (DEADLINE - SECOND, None, DEADLINE, "normal"),
        (WARN + SECOND, WARN, None, "yellow"),
        (DEADLINE + timedelta(days=30), None, None, "normal"),
    ],
)
def test_sla_state(now: datetime, warn_at: datetime | None, deadline_at: datetime | None, expected: str) -> None:
    assert sla_state(now, warn_at, deadline_at) == expected


def test_sla_state_compares_instants_not_wall_clocks() -> None:
    utc_now = DEADLINE.astimezone(ZoneInfo("UTC")) - SECOND  # 03:59:59 UTC, before the 12:00 Shanghai deadline
    assert sla_state(utc_now, WARN, DEADLINE) == "yellow"


# --- routing --------------------------------------------------------------------------------------------

GRID, COMMUNITY, STREET, DISTRICT, CITY = 11, 21, 31, 41, 51
ANCESTRY = [
    Place(GRID, "grid"),
    Place(COMMUNITY, "community"),
    Place(STREET, "street"),
    Place(DISTRICT, "district"),
    Place(CITY, "city"),
]
DEPTS: dict[tuple[int, str], int] = {
    (COMMUNITY, "property"): 201,
    (STREET, FALLBACK_DEPT_TYPE): 300,
    (STREET, "sanitation"): 301,
    (STREET, "urban_mgmt"): 302,
    (DISTRICT, "sanitation"): 401,
    (DISTRICT, "ecology"): 402,
    (DISTRICT, "urban_mgmt"): 403,
    (DISTRICT, "police"): 404,
    (CITY, "aviation"): 501,
}


def test_grid_level_category_goes_to_the_grid_itself() -> None:
    route = choose_route(ANCESTRY, "grid_patrol", [], "grid", DEPTS)
    assert route == Route("grid", GRID, None, GRID, ())


def test_grid_level_with_co_departments_above() -> None:
    route = choose_route(ANCESTRY, "grid_patrol", ["property", "police"], "grid", DEPTS)
    assert (route.level, route.lead_grid_id, route.lead_department_id) == ("grid", GRID, None)
    assert route.co_department_ids == (201, 404)


def test_type_only_at_district_goes_to_district() -> None:
    route = choose_route(ANCESTRY, "ecology", [], "community", DEPTS)
    assert route == Route("district", DISTRICT, 402, None, ())


def test_street_level_type_found_at_street() -> None:
    route = choose_route(ANCESTRY, "sanitation", [], "street", DEPTS)
    assert route == Route("street", STREET, 301, None, ())
    # From the community tier the walk also stops at the street (the community has no sanitation office).
    assert choose_route(ANCESTRY, "sanitation", [], "community", DEPTS) == route


def test_district_start_skips_the_street() -> None:
    route = choose_route(ANCESTRY, "sanitation", [], "district", DEPTS)
    assert route == Route("district", DISTRICT, 401, None, ())


def test_community_department_takes_community_case() -> None:
    assert choose_route(ANCESTRY, "property", [], "community", DEPTS) == Route("community", COMMUNITY, 201, None, ())


def test_start_above_grid_skips_the_grid() -> None:
    route = choose_route(ANCESTRY, "property", [], "community", DEPTS)
    assert route.lead_grid_id is None
    assert route.level == "community"
    # A grid-level type started higher up is not handed to the grid: it falls back to the street.
    route = choose_route(ANCESTRY, "grid_patrol", [], "community", DEPTS)
    assert route == Route("street", STREET, 300, None, ())


def test_co_departments_at_same_tier_or_above_never_the_lead() -> None:
    route = choose_route(
        ANCESTRY,
        "sanitation",
        ["sanitation", "property", "police", "urban_mgmt"],
        "street",
        DEPTS,
    )
    assert route.lead_department_id == 301
    # sanitation: the lead itself (dropped); property: only at the community, below the lead (not found);
    # police: district; urban_mgmt: the street's own office, nearer than the district's.
    assert route.co_department_ids == (404, 302)
    assert 301 not in route.co_department_ids


def test_co_departments_below_the_lead_tier_are_ignored() -> None:
    # Walking up from the community, the lead is found at the district; the community's property office
    # and the street's urban-management office sit below it and are not asked to help.
    route = choose_route(ANCESTRY, "ecology", ["property", "urban_mgmt"], "community", DEPTS)
    assert route.lead_department_id == 402
    assert route.co_department_ids == (403,)


def test_co_departments_deduplicated() -> None:
    depts = {**DEPTS, (DISTRICT, "traffic"): 404}  # one office serving two types
    route = choose_route(ANCESTRY, "ecology", ["police", "traffic"], "district", depts)
    assert route.co_department_ids == (404,)


def test_co_department_never_duplicates_lead_when_sharing_an_office() -> None:
    depts = {**DEPTS, (STREET, "greening"): 301}  # the sanitation office also does greening
    route = choose_route(ANCESTRY, "sanitation", ["greening", "police"], "street", depts)
    assert route.lead_department_id == 301
    assert route.co_department_ids == (404,)


def test_unknown_type_falls_back_to_street_zongzhi() -> None:
    route = choose_route(ANCESTRY, "no_such_type", ["police"], "community", DEPTS)
    assert route == Route("street", STREET, 300, None, (404,))


def test_no_lead_type_falls_back_to_street_zongzhi_even_from_grid() -> None:
    route = choose_route(ANCESTRY, None, [], "grid", DEPTS)
    assert route == Route("street", STREET, 300, None, ())


def test_fallback_lead_not_repeated_as_co_department() -> None:
    route = choose_route(ANCESTRY, "no_such_type", [FALLBACK_DEPT_TYPE, "ecology"], "community", DEPTS)
    assert route.lead_department_id == 300
    assert route.co_department_ids == (402,)


def test_city_departments_are_not_used() -> None:
    route = choose_route(ANCESTRY, "aviation", ["aviation"], "community", DEPTS)
    assert route == Route("street", STREET, 300, None, ())


def test_no_department_at_all_is_a_conflict() -> None:
    with pytest.raises(Conflict) as info:
        choose_route(ANCESTRY, "no_such_type", [], "community", {})
    exc = info.value
    assert exc.status == 409
    assert exc.field == "category"
    assert exc.to_dict()["field"] == "category"
    assert "no_such_type" in exc.message


def test_no_zongzhi_and_no_match_is_a_conflict() -> None:
    depts = {k: v for k, v in DEPTS.items() if k[1] != FALLBACK_DEPT_TYPE}
    with pytest.raises(Conflict):
        choose_route(ANCESTRY, "no_such_type", [], "street", depts)


# --- levels ---------------------------------------------------------------------------------------------


def test_next_tier_chain() -> None:
    assert next_tier("grid") == "community"
    assert next_tier("community") == "street"
    assert next_tier("street") == "district"
    assert next_tier("district") is None
    chain: list[str] = []
    level: str | None = "grid"
    while level is not None:
        chain.append(level)
        level = next_tier(level)
    assert tuple(chain) == TIERS


def test_city_is_not_a_tier() -> None:
    with pytest.raises(ValueError):
        next_tier("city")


def test_level_order_is_bottom_up() -> None:
    assert sorted(LEVEL_ORDER, key=LEVEL_ORDER.__getitem__) == ["grid", "community", "street", "district", "city"]
