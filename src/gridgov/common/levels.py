"""Levels of the org tree and the tiers a case is handled at (pure): shared by org, catalog, dispatch and the IOC."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.common.choices import ChoiceSet, published


@published("level")
class Level(ChoiceSet):
    CITY = ("city", "市", "#1f3b73")
    DISTRICT = ("district", "区", "#2e5aac")
    STREET = ("street", "街道", "#3f7fd6")
    COMMUNITY = ("community", "社区", "#5ba3e6")
    GRID = ("grid", "网格", "#86c5f0")


LEVEL_ORDER: dict[str, int] = {"grid": 0, "community": 1, "street": 2, "district": 3, "city": 4}
# The tiers a case can be handled at, lowest first ("小事不出网格、大事不出社区、难事不出街道").
TIERS: tuple[str, ...] = ("grid", "community", "street", "district")


def next_tier(level: str) -> str | None:
    i = TIERS.index(level)
    return TIERS[i + 1] if i + 1 < len(TIERS) else None


@dataclass(frozen=True)
class Place:
    """One division on the way up from an event's grid (grid first)."""

    id: int
    level: str
