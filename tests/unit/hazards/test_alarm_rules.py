"""The alarm rules at their boundaries: each condition kind creates and clears where it should, severity only
rises while active, acknowledging is not clearing, and rules as data are refused with the field named."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.common.errors import IllegalTransition, InvalidInput
from gridgov.hazards.rules import (
    AlarmStatus,
    Change,
    Outcome,
    RuleState,
    Severity,
    check_change,
    evaluate,
    new_state,
    parse_rule,
    status_of,
    tick,
)


def rule(create: dict[str, Any], clear: dict[str, Any] | None = None) -> Any:
    spec: dict[str, Any] = {"alarm_type": "test", "create": create}
    if clear is not None:
        spec["clear"] = clear
    return parse_rule(spec)


def feed(r: Any, state: RuleState, samples: list[tuple[float, float]], key: str = "v") -> list[Outcome | None]:
    return [evaluate(r, state, ts, {key: v}) for ts, v in samples]


def changes(outcomes: list[Outcome | None]) -> list[str | None]:
    return [o.change.value if o else None for o in outcomes]


def test_simple_creates_above_threshold_only_and_clears() -> None:
    r = rule({"major": {"key": "v", "op": ">", "value": 5}}, {"key": "v", "op": "<=", "value": 3})
    st = new_state()
    out = feed(r, st, [(0, 5.0), (1, 5.0001), (2, 4.0), (3, 3.0001), (4, 3.0), (5, 2.0)])
    assert changes(out) == [None, "create", None, None, "clear", None]
    assert out[1] is not None and out[1].severity == Severity.MAJOR
    assert st["active"] is False and st["severity"] is None


def test_simple_ignores_samples_without_the_key() -> None:
    r = rule({"major": {"key": "v", "op": ">", "value": 5}}, {"key": "v", "op": "<", "value": 3})
    st = new_state()
    assert evaluate(r, st, 0, {"other": 100}) is None
    assert evaluate(r, st, 1, {"v": 6}) is not None
    assert evaluate(r, st, 2, {"other": 0}) is None  # no clear without the key either


def test_duration_needs_the_whole_span_at_its_boundary() -> None:
    r = rule(
        {"major": {"kind": "duration", "key": "v", "op": ">", "value": 5, "seconds": 600}},
        {"key": "v", "op": "<", "value": 5},
    )
    st = new_state()
    out = feed(r, st, [(0, 6), (300, 7), (599.999, 6)])
    assert changes(out) == [None, None, None]
    assert changes(feed(r, st, [(600, 6)])) == ["create"]  # first-true + 600 s, inclusive


def test_duration_restarts_when_the_predicate_breaks() -> None:
    r = rule(
        {"major": {"kind": "duration", "key": "v", "op": ">", "value": 5, "seconds": 600}},
        {"key": "v", "op": "<", "value": 2},
    )
    st = new_state()
    out = feed(r, st, [(0, 6), (500, 4), (550, 6), (1100, 6), (1150, 6)])
    assert changes(out) == [None, None, None, None, "create"]  # counted again from 550


def test_duration_clear_condition() -> None:
    r = rule(
        {"major": {"key": "v", "op": ">", "value": 5}},
        {"kind": "duration", "key": "v", "op": "<", "value": 3, "seconds": 60},
    )
    st = new_state()
    out = feed(r, st, [(0, 6), (10, 2), (69, 2), (70, 2)])
    assert changes(out) == ["create", None, None, "clear"]


def test_repeating_counts_inside_the_window_inclusive() -> None:
    r = rule(
        {"minor": {"kind": "repeating", "key": "v", "op": ">", "value": 5, "count": 3, "seconds": 3600}},
        {"kind": "duration", "key": "v", "op": "<=", "value": 5, "seconds": 7200},
    )
    st = new_state()
    assert changes(feed(r, st, [(0, 6), (100, 1), (1800, 6)])) == [None, None, None]
    assert changes(feed(r, st, [(3600, 6)])) == ["create"]  # hits at 0, 1800, 3600: 0 is still inside


def test_repeating_forgets_hits_older_than_the_window() -> None:
    r = rule(
        {"minor": {"kind": "repeating", "key": "v", "op": ">", "value": 5, "count": 3, "seconds": 3600}},
        {"key": "v", "op": "<", "value": 0},
    )
    st = new_state()
    assert changes(feed(r, st, [(0, 6), (1800, 6), (3600.001, 6)])) == [None, None, None]
    assert changes(feed(r, st, [(3700, 6)])) == ["create"]  # 1800, 3600.001, 3700


def test_no_data_at_its_boundary_and_cleared_by_data() -> None:
    r = rule({"major": {"kind": "no_data", "seconds": 900}})
    st = new_state()
    assert evaluate(r, st, 100, {"v": 1}) is None
    assert tick(r, st, 999.999, last_seen=100) is None
    first = tick(r, st, 1000, last_seen=100)
    assert first is not None and first.change == Change.CREATE and first.severity == Severity.MAJOR
    assert tick(r, st, 5000, last_seen=100) is None  # already active: no second alarm
    back = evaluate(r, st, 5001, {"other": 1})  # any message from the device
    assert back is not None and back.change == Change.CLEAR
    assert tick(r, st, 5002, last_seen=5001) is None


def test_no_data_keeps_no_memory_of_its_own() -> None:
    r = rule({"minor": {"kind": "no_data", "seconds": 60}})
    st = new_state()
    for ts in range(10):
        evaluate(r, st, ts, {"v": 1})
    assert st == new_state()


def test_severity_only_rises_while_active() -> None:
    r = rule(
        {
            "warning": {"key": "v", "op": ">", "value": 1},
            "major": {"key": "v", "op": ">", "value": 5},
            "critical": {"key": "v", "op": ">", "value": 9},
        },
        {"key": "v", "op": "<", "value": 0.5},
    )
    st = new_state()
    out = feed(r, st, [(0, 2), (1, 6), (2, 2), (3, 10), (4, 6), (5, 2), (6, 0.4), (7, 6)])
    assert changes(out) == ["create", "escalate", None, "escalate", None, None, "clear", "create"]
    sev = [o.severity for o in out if o]
    assert sev == [Severity.WARNING, Severity.MAJOR, Severity.CRITICAL, None, Severity.MAJOR]
    assert out[3] is not None and out[3].before == Severity.MAJOR


def test_the_highest_met_severity_creates() -> None:
    r = rule(
        {"warning": {"key": "v", "op": ">", "value": 1}, "critical": {"key": "v", "op": ">", "value": 9}},
        {"key": "v", "op": "<", "value": 1},
    )
    out = feed(r, new_state(), [(0, 10)])
    assert out[0] is not None and out[0].severity == Severity.CRITICAL


def test_ack_is_separate_from_clear() -> None:
    assert status_of(True, False) == AlarmStatus.ACTIVE_UNACK
    check_change(AlarmStatus.ACTIVE_UNACK, Change.ACK)
    check_change(AlarmStatus.ACTIVE_ACK, Change.CLEAR)  # acknowledged is still active: may be cleared
    check_change(AlarmStatus.CLEARED_UNACK, Change.ACK)  # cleared is not acknowledged
    with pytest.raises(IllegalTransition) as twice:
        check_change(AlarmStatus.ACTIVE_ACK, Change.ACK)
    assert twice.value.extra["allowed"] == ["clear"]
    with pytest.raises(IllegalTransition) as done:
        check_change(AlarmStatus.CLEARED_ACK, Change.CLEAR)
    assert done.value.extra["allowed"] == []


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"create": {"major": {"key": "v"}}, "clear": {"key": "v"}}, "rule.alarm_type"),
        ({"alarm_type": "x", "create": {}}, "rule.create"),
        ({"alarm_type": "x", "create": {"huge": {"key": "v"}}, "clear": {"key": "v"}}, "rule.create"),
        ({"alarm_type": "x", "create": {"major": {"kind": "soon", "key": "v"}}}, "rule.create.major.kind"),
        ({"alarm_type": "x", "create": {"major": {"op": ">"}}, "clear": {"key": "v"}}, "rule.create.major.key"),
        ({"alarm_type": "x", "create": {"major": {"key": "v", "op": "~"}}}, "rule.create.major.op"),
        ({"alarm_type": "x", "create": {"major": {"key": "v", "value": "5"}}}, "rule.create.major.value"),
        ({"alarm_type": "x", "create": {"major": {"kind": "duration", "key": "v"}}}, "rule.create.major.seconds"),
        (
            {"alarm_type": "x", "create": {"major": {"kind": "repeating", "key": "v", "seconds": 9, "count": 0}}},
            "rule.create.major.count",
        ),
        ({"alarm_type": "x", "create": {"major": {"key": "v"}}}, "rule.clear"),
        (
            {"alarm_type": "x", "create": {"major": {"key": "v"}}, "clear": {"kind": "no_data", "seconds": 5}},
            "rule.clear.kind",
        ),
        (
            {"alarm_type": "x", "create": {"major": {"kind": "no_data", "key": "v", "seconds": 5}}},
            "rule.create.major.key",
        ),
    ],
)
def test_a_bad_rule_names_its_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_rule(spec)
    assert err.value.field == field
