from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gridgov.dispatch.hotspot_rules import Item, hotspots, repeat_pairs
from gridgov.dispatch.repeat_rules import (
    RepeatPolicy,
    Report,
    best_repeat,
    bigrams,
    reopens,
    repeat_score,
    similarity,
)

P = RepeatPolicy(radius_m=100.0, window=timedelta(days=7))
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _r(
    text: str, address: int | None = 1, cat: int | None = 11, major: int | None = 1, lat: float | None = None
) -> Report:
    return Report(text, address, lat, None if lat is None else 114.05, cat, major)


def test_similarity_of_chinese_paraphrases() -> None:
    a, b = bigrams("楼下垃圾没人清"), bigrams("垃圾在楼下堆着没人清！")
    assert 0.4 < similarity(a, b) < 1 and similarity(a, a) == 1.0
    assert similarity(bigrams(""), a) == 0.0 and bigrams("1号楼") == bigrams("2号楼")


def test_a_repeat_needs_place_kind_and_text() -> None:
    old = _r("小区门口暴露垃圾好几天没人清理")
    assert repeat_score(_r("小区门口垃圾好几天了没人清理"), old, P) is not None
    assert repeat_score(_r("小区门口垃圾好几天了没人清理", address=2), old, P) is None  # elsewhere
    assert repeat_score(_r("小区门口垃圾好几天了没人清理", cat=31, major=3), old, P) is None  # other 大类
    assert repeat_score(_r("楼道里有人扔了一袋装修剩料"), old, P) is None  # same 小类, another problem
    # a related 小类 (same 大类) or no 小类 yet needs texts more alike
    related = _r("小区门口暴露垃圾好几天没人清理了", cat=12)
    assert repeat_score(related, old, P) is not None
    assert repeat_score(_r("门口垃圾没人清理", cat=None, major=None), old, P) is not None  # 0.48
    assert repeat_score(_r("门口有垃圾", cat=None, major=None), old, P) is None


def test_distance_and_the_best_candidate() -> None:
    here = _r("路口井盖缺失很危险", address=None, lat=22.5)
    near = _r("路口井盖不见了很危险", address=None, lat=22.5 + 50 / 111_320)
    far = _r("路口井盖不见了很危险", address=None, lat=22.5 + 500 / 111_320)
    assert best_repeat(here, [(1, far), (2, near)], P) == (2, repeat_score(here, near, P))
    assert best_repeat(here, [(1, far)], P) is None


def test_hotspots_group_rank_and_trend() -> None:
    texts = ["搅拌站噪音扰民严重", "附近搅拌站噪音扰民", "搅拌站噪音扰民，晚上睡不着"]
    items = [Item(i, _r(t), T0 + timedelta(days=i), f"u{i}", "丽发新城") for i, t in enumerate(texts)]
    items += [
        Item(9, _r("路灯不亮", address=2), T0, "u9", "别处"),
        Item(10, _r("路灯不亮了", address=2), T0, "u9", "别处"),
    ]
    items.append(Item(11, _r("搅拌站噪音扰民严重"), T0 + timedelta(days=30), "u1", "丽发新城"))  # past the window
    found = hotspots(items, P)
    assert [h.count for h in found] == [3, 2]
    top = found[0]
    assert top.keys == (0, 1, 2) and top.spread == 3 and top.places == ("丽发新城",)
    assert top.trend == (1, 1, 1) and top.first == T0 and top.last == T0 + timedelta(days=2)
    assert found[1].spread == 1 and len(top.texts) == 3


def test_positioned_reports_are_compared_across_cell_borders_only_when_near() -> None:
    step = 100 / 111_320
    base = 22.5 - (22.5 % step) + step * 0.999  # just below a cell border
    a = Item(1, _r("路口井盖缺失很危险", address=None, lat=base), T0, "u1", "")
    b = Item(2, _r("路口井盖缺失，很危险", address=None, lat=base + 20 / 111_320), T0, "u2", "")  # next cell
    c = Item(3, _r("路口井盖缺失很危险", address=None, lat=base + 400 / 111_320), T0, "u3", "")  # 400 m
    assert repeat_pairs([a, b, c], P) == [(0, 1)]


NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _reopens(**changes: Any) -> bool:
    base: dict[str, Any] = {
        "case_status": "closed",
        "closed_at": NOW - timedelta(days=2),
        "case_reporter_id": 7,
        "reporter_id": 7,
        "reporter_is_resident": True,
        "now": NOW,
        "within": timedelta(days=3),
    }
    return reopens(**(base | changes))


def test_a_resolved_case_is_reopened_only_by_its_own_resident_within_the_period() -> None:
    assert _reopens() and _reopens(case_status="rated")
    assert not _reopens(reporter_id=8)  # a neighbour: a new case, linked
    assert not _reopens(reporter_is_resident=False)
    assert not _reopens(closed_at=NOW - timedelta(days=4))  # too late
    assert not _reopens(within=timedelta(0))  # reopening off
    assert not _reopens(case_status="rejected")  # not closed as resolved
    assert not _reopens(closed_at=None)
