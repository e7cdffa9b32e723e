"""Hotspots (热点) as pure rules: reports grouped by place and topic over a window, ranked.

Two reports are linked when `repeat_rules.repeat_score` says one repeats the other (same place, related 小类,
alike text) and they lie within `window` of each other; a hotspot is a connected group of linked reports (union
find). Each is ranked by its count, then its spread (distinct reporters) and its growth (reports in the later
half of its window against the earlier half), and carries its time range, places, representative texts (those
most alike to the rest of the group) and a daily trend for the sparkline."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridgov.dispatch.repeat_rules import M_PER_DEG, RepeatPolicy, Report, bigrams, repeat_score, similarity


@dataclass(frozen=True, slots=True)
class Item:
    key: int
    report: Report
    at: datetime
    reporter: str
    place: str


@dataclass(frozen=True, slots=True)
class Hotspot:
    keys: tuple[int, ...]
    count: int
    spread: int  # distinct reporters
    growth: float  # later half / earlier half of its own time range (the earlier half counted at least once)
    first: datetime
    last: datetime
    places: tuple[str, ...]
    texts: tuple[str, ...]  # representative, most typical first
    trend: tuple[int, ...]  # reports a day, first to last day


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def repeat_pairs(items: Sequence[Item], policy: RepeatPolicy) -> list[tuple[int, int]]:
    """Index pairs (i < j) of items that repeat each other. Only items at the same standard address, or in
    neighbouring cells of a grid as wide as the radius, are compared, so that the cost follows the reports per
    place and not all pairs."""
    grams = [bigrams(it.report.text) for it in items]
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    step = policy.radius_m / M_PER_DEG if policy.radius_m > 0 else 0.0
    for i, it in enumerate(items):
        r = it.report
        if r.address_id is not None:
            groups[("address", r.address_id)].append(i)
        if step and r.lat is not None and r.lon is not None:
            # a degree of longitude is shorter than one of latitude: cells twice as wide hold the radius to ±60°
            groups[("cell", math.floor(r.lat / step), math.floor(r.lon / (2 * step)))].append(i)
    found: set[tuple[int, int]] = set()

    def compare(first: list[int], second: list[int], same: bool) -> None:
        for x, i in enumerate(first):
            for j in first[x + 1 :] if same else second:
                if abs(items[j].at - items[i].at) > policy.window:
                    continue
                a, b = (i, j) if items[i].at <= items[j].at else (j, i)
                if (min(a, b), max(a, b)) in found:
                    continue
                if repeat_score(items[b].report, items[a].report, policy, similarity(grams[a], grams[b])) is not None:
                    found.add((min(a, b), max(a, b)))

    for key, members in groups.items():
        compare(members, members, True)
        if key[0] == "cell":  # the neighbouring cells after this one (each pair of cells once)
            _, cy, cx = key
            for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
                other = groups.get(("cell", cy + dy, cx + dx))
                if other:
                    compare(members, other, False)
    return sorted(found)


def hotspots(items: Sequence[Item], policy: RepeatPolicy, *, min_size: int = 2, texts: int = 3) -> list[Hotspot]:
    union = _Union(len(items))
    for i, j in repeat_pairs(items, policy):
        union.join(i, j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[union.find(i)].append(i)
    out = [_hotspot(items, members, texts) for members in groups.values() if len(members) >= min_size]
    out.sort(key=lambda h: (-h.count, -h.spread, -h.growth, h.first))
    return out


def _hotspot(items: Sequence[Item], members: list[int], n_texts: int) -> Hotspot:
    members.sort(key=lambda i: items[i].at)
    first, last = items[members[0]].at, items[members[-1]].at
    mid = first + (last - first) / 2
    later = sum(1 for i in members if items[i].at > mid)
    grams = {i: bigrams(items[i].report.text) for i in members}
    typical = sorted(members, key=lambda i: -sum(similarity(grams[i], grams[j]) for j in members if j != i))
    texts: list[str] = []
    for i in typical:
        if items[i].report.text not in texts:
            texts.append(items[i].report.text)
        if len(texts) == n_texts:
            break
    days = (last.date() - first.date()).days + 1
    trend = [0] * days
    for i in members:
        trend[(items[i].at.date() - first.date()).days] += 1
    places = tuple(dict.fromkeys(items[i].place for i in members if items[i].place))
    return Hotspot(
        keys=tuple(items[i].key for i in members),
        count=len(members),
        spread=len({items[i].reporter for i in members}),
        growth=round(later / max(1, len(members) - later), 2),
        first=first,
        last=last,
        places=places,
        texts=tuple(texts),
        trend=tuple(trend),
    )
