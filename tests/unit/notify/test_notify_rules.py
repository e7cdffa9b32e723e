"""The pure rules of notifications: quiet hours (across midnight, urgent ones pass, the bell is never held),
the channels a person gets, the idempotency key and the routes of the case events."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from gridgov.notify import templates
from gridgov.notify.rules import (
    DEFAULT_CHANNELS,
    ROUTES,
    Audience,
    ChannelName,
    Kind,
    QuietHours,
    chosen_channels,
    delivery_key,
    parse_hhmm,
    release_at,
)

SH = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(22, 0), time(7, 0))
ALL = frozenset(ChannelName)


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SH).astimezone(UTC)


def test_quiet_hours_across_midnight() -> None:
    assert NIGHT.contains(time(23, 30)) and NIGHT.contains(time(0, 0)) and NIGHT.contains(time(6, 59))
    assert not NIGHT.contains(time(7, 0)) and not NIGHT.contains(time(21, 59))
    day = QuietHours(time(12, 0), time(14, 0))
    assert day.contains(time(12, 0)) and not day.contains(time(14, 0))
    assert not QuietHours(time(8, 0), time(8, 0)).contains(time(8, 0))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(6, 23, 10), sh(7, 7)),  # late evening: held until the next morning
        (sh(7, 2, 0), sh(7, 7)),  # after midnight: held until this morning
        (sh(7, 9, 0), sh(7, 9, 0)),  # daytime: now
    ],
)
def test_a_text_in_quiet_hours_waits_for_their_end(at: datetime, expected: datetime) -> None:
    assert release_at(at, NIGHT, False, ChannelName.SMS, SH) == expected


def test_urgent_ones_and_the_bell_are_never_held() -> None:
    at = sh(6, 23, 10)
    assert release_at(at, NIGHT, True, ChannelName.SMS, SH) == at
    assert release_at(at, NIGHT, False, ChannelName.IN_APP, SH) == at
    assert release_at(at, None, False, ChannelName.EMAIL, SH) == at


def test_channels_follow_the_choice_limited_to_those_he_can_be_reached_on() -> None:
    in_app = frozenset({ChannelName.IN_APP})
    assert chosen_channels(Kind.RED, None, ALL) == list(DEFAULT_CHANNELS[Kind.RED])
    assert chosen_channels(Kind.RED, None, in_app) == [ChannelName.IN_APP]
    assert chosen_channels(Kind.NEW_TASK, {"new_task": ["sms"]}, ALL) == [ChannelName.SMS]
    assert chosen_channels(Kind.NEW_TASK, {"new_task": []}, ALL) == []  # he chose none
    assert chosen_channels(Kind.RECEIPT, {"new_task": ["sms"]}, ALL) == list(DEFAULT_CHANNELS[Kind.RECEIPT])


def test_keys_routes_and_templates() -> None:
    assert delivery_key(12, Kind.RECEIPT, "user:3", ChannelName.SMS) == "12:receipt:user:3:sms"
    assert parse_hhmm(" 7:05 ", "x") == time(7, 5)
    with pytest.raises(ValueError, match="quiet_end"):
        parse_hhmm("7点", "quiet_end")
    kinds = {r.kind for routes in ROUTES.values() for r in routes}
    assert {Kind.RECEIPT, Kind.DISPATCHED, Kind.RESULT, Kind.NEW_TASK, Kind.RETURNED, Kind.YELLOW, Kind.RED} <= kinds
    assert all(r.urgent for r in ROUTES["event.warn_red"]) and ROUTES["event.warn_red"][0].audience is Audience.LEADERS
    assert set(templates.defaults()) == set(Kind) == set(DEFAULT_CHANNELS)
    for title, body in templates.defaults().values():  # every shipped template renders with the documented variables
        templates.check(title, "title")
        templates.check(body, "body")
