"""When a new report repeats an earlier case (重复诉求), as pure rules: no I/O.

A report repeats a case when it is close in space (the same standard address, or within `radius_m`), in time
(reported within `window` of it) and in meaning: the same 小类 and texts at least `min_similarity` alike, or a
related 小类 (the same 大类) or a report not classified yet with texts at least `related_similarity` alike.
A different 大类 is never a repeat, however close. Text likeness is the Dice coefficient of the two texts'
character bigram sets (normalised: NFKC, lower case, digits folded) — Chinese has no spaces to split words on,
and bigrams are what makes "楼下垃圾没人清" and "垃圾在楼下堆着没人清" alike."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

M_PER_DEG = 111_320.0
_DROP = frozenset("，。！？、；：,.!?;:()（）“”\"' \n\t")


@dataclass(frozen=True, slots=True)
class RepeatPolicy:
    radius_m: float = 100.0
    window: timedelta = timedelta(days=7)
    min_similarity: float = 0.25  # same 小类
    related_similarity: float = 0.45  # same 大类, or either side not classified


@dataclass(frozen=True, slots=True)
class Report:
    """What the rule needs of a report or a case."""

    text: str
    address_id: int | None
    lat: float | None
    lon: float | None
    category_id: int | None
    major_id: int | None  # the 小类's 大类


def bigrams(text: str) -> frozenset[str]:
    chars = [c for c in unicodedata.normalize("NFKC", text).lower() if c not in _DROP]
    folded = "".join("0" if c.isdigit() else c for c in chars)
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two bigram sets (0..1)."""
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat1 - lat2) * M_PER_DEG
    dx = (lon1 - lon2) * M_PER_DEG * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def near(new: Report, old: Report, policy: RepeatPolicy) -> bool:
    if new.address_id is not None and new.address_id == old.address_id:
        return True
    if new.lat is None or new.lon is None or old.lat is None or old.lon is None:
        return False
    return distance_m(new.lat, new.lon, old.lat, old.lon) <= policy.radius_m


def repeat_score(new: Report, old: Report, policy: RepeatPolicy, sim: float | None = None) -> float | None:
    """How surely `new` repeats `old` (its text likeness, 0..1), or None when it does not."""
    if not near(new, old, policy):
        return None
    if new.major_id is not None and old.major_id is not None and new.major_id != old.major_id:
        return None  # a different kind of problem at the same place is a new case
    sim = similarity(bigrams(new.text), bigrams(old.text)) if sim is None else sim
    same = new.category_id is not None and new.category_id == old.category_id
    return sim if sim >= (policy.min_similarity if same else policy.related_similarity) else None


def best_repeat(
    new: Report, candidates: Iterable[tuple[int, Report]], policy: RepeatPolicy
) -> tuple[int, float] | None:
    """The candidate (id, score) `new` repeats most surely, or None."""
    best: tuple[int, float] | None = None
    mine = bigrams(new.text)
    for key, old in candidates:
        score = repeat_score(new, old, policy, similarity(mine, bigrams(old.text)))
        if score is not None and (best is None or score > best[1]):
            best = (key, score)
    return best


RESOLVED = frozenset({"closed", "rated"})  # closed by a passed 复核: the handler said it was resolved


def reopens(
    *,
    case_status: str,
    closed_at: datetime | None,
    case_reporter_id: int | None,
    reporter_id: int | None,
    reporter_is_resident: bool,
    now: datetime,
    within: timedelta,
) -> bool:
    """A repeat of a closed case reopens it (instead of linking a new case to it) when the resident who reported
    it reports the same thing again within `within` of its closing and it was closed as resolved: the new report
    is the resident saying it is not. Anyone else, or later, or `within` zero: a new case, linked."""
    if within <= timedelta(0) or not reporter_is_resident or reporter_id is None or closed_at is None:
        return False
    if case_status not in RESOLVED or case_reporter_id != reporter_id:
        return False
    return timedelta(0) <= now - closed_at <= within
