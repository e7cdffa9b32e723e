"""Inspection rules: due dates, the tiers an overdue inspection reaches at their boundaries, rectification
deadlines by risk level, and a filled-in checklist refused with the field named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov.common.errors import InvalidInput
from gridgov.hazards.inspection_rules import (
    ItemResult,
    check_results,
    findings,
    first_due,
    next_due,
    rectify_deadline,
    tier_reached,
)

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
CHECKLIST = ["消防通道畅通", "灭火器在有效期内", "应急照明完好"]


def test_next_due_follows_the_plan_and_never_the_same_day() -> None:
    assert next_due(T0, 30) == T0 + timedelta(days=30)
    assert next_due(T0, 0) == T0 + timedelta(days=1)
    assert first_due(T0, 30) == T0 + timedelta(days=3)  # a new source is looked at soon
    assert first_due(T0, 2) == T0 + timedelta(days=2)


@pytest.mark.parametrize(
    ("late", "tier"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(days=3) - timedelta(seconds=1), 1),
        (timedelta(days=3), 2),
        (timedelta(days=7) - timedelta(seconds=1), 2),
        (timedelta(days=7), 3),
        (timedelta(days=70), 3),
        (-timedelta(days=1), 0),
    ],
)
def test_an_overdue_inspection_climbs_one_tier_at_each_boundary(late: timedelta, tier: int) -> None:
    assert tier_reached(T0, T0 + late) == tier


def test_rectification_deadline_follows_the_risk_level() -> None:
    assert rectify_deadline(T0, "major") == T0 + timedelta(days=1)
    assert rectify_deadline(T0, "high") == T0 + timedelta(days=3)
    assert rectify_deadline(T0, "low") == T0 + timedelta(days=15)
    assert rectify_deadline(T0, "unknown") == T0 + timedelta(days=7)


def test_results_come_back_in_checklist_order_with_the_findings() -> None:
    results = [
        {"item": "应急照明完好", "ok": True},
        {"item": "消防通道畅通", "ok": False, "note": " 堆放杂物堵塞通道 "},
        {"item": "灭火器在有效期内", "ok": True, "note": ""},
    ]
    checked = check_results(CHECKLIST, results)
    assert [r.item for r in checked] == CHECKLIST
    assert findings(checked) == [ItemResult("消防通道畅通", False, "堆放杂物堵塞通道")]


@pytest.mark.parametrize(
    ("results", "field"),
    [
        ([], "results"),
        ("ok", "results"),
        ([1], "results[0]"),
        ([{"item": "不存在的项", "ok": True}], "results[0].item"),
        ([{"item": "消防通道畅通", "ok": True}, {"item": "消防通道畅通", "ok": True}], "results[1].item"),
        ([{"item": "消防通道畅通", "ok": "yes"}], "results[0].ok"),
        ([{"item": "消防通道畅通", "ok": False, "note": "  "}], "results[0].note"),
        ([{"item": "消防通道畅通", "ok": False, "note": "x" * 501}], "results[0].note"),
        ([{"item": "消防通道畅通", "ok": True}], "results"),  # two items left unanswered
    ],
)
def test_a_bad_checklist_is_refused_naming_the_field(results: object, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_results(CHECKLIST, results)
    assert err.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
