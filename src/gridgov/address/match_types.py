"""The matcher's vocabulary (pure data): address levels and their ranks, the kinds of mention and their quality,
the result types (:class:`MatchResult`, :class:`Candidate`) and the working records of one query (mentions of
library names in the text, chains of nodes that explain them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "ALIAS",
    "BUILDING_RANK",
    "CONTEXT_LEVELS",
    "DIVISION_LEVELS",
    "DOOR_RANK",
    "EXACT",
    "FUZZY",
    "MAX_FUZZY_SPAN",
    "MIN_FUZZY_KEY",
    "NAMED_LEVELS",
    "RANK",
    "ROAD_RANK",
    "SHORT",
    "SUB_LEVELS",
    "UNKNOWN_RANK",
    "Candidate",
    "Chain",
    "Entry",
    "MatchResult",
    "Mention",
]

DIVISION_LEVELS: tuple[str, ...] = ("city", "district", "street", "community")
RANK: dict[str, int] = {
    "city": 0,
    "district": 1,
    "street": 2,
    "community": 3,
    "road": 4,
    "door": 5,
    "compound": 6,
    "building": 7,
    "unit": 8,
    "floor": 9,
    "room": 10,
}
ROAD_RANK: Final = RANK["road"]
BUILDING_RANK: Final = RANK["building"]
DOOR_RANK: Final = RANK["door"]
UNKNOWN_RANK: Final = 11

# Levels found by name in free text; door numbers and numbered buildings are found by regex after a parent.
NAMED_LEVELS = frozenset({"road", "compound", "building"})
CONTEXT_LEVELS = frozenset({"district", "street", "community"})
SUB_LEVELS = frozenset({"unit", "floor", "room"})

# Mention kinds and their quality.
EXACT: Final = 0
ALIAS: Final = 1
SHORT: Final = 2
FUZZY: Final = 3

MIN_FUZZY_KEY: Final = 3
MAX_FUZZY_SPAN: Final = 10

Entry = tuple[int, int, float]  # (node, kind, quality)


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    level: str
    full_name: str
    score: float  # the best candidate's score is the result's confidence; others are scaled by evidence


@dataclass(slots=True)
class MatchResult:
    text: str
    normalized: str
    best: Candidate | None
    candidates: list[Candidate]  # top 5, best first
    confidence: float  # in [0, 1]
    level: str | None
    explanation: list[str]
    needs_review: bool
    remainder: str | None = None  # unit/floor/room text below the library's deepest level, e.g. "2单元501"


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    key: str
    entries: Sequence[Entry]
    exact: bool = False  # carries a full (non-alias, non-short) name: the span is certainly a name
    context: bool = False  # only full names of districts/streets/communities: disagreeing with it is a conflict
    fuzzy_from: str = ""  # the span as written, for fuzzy mentions
    index: dict[int, Entry] | None = None  # node -> entry, built on first use for mentions with many entries


@dataclass(slots=True)
class Chain:
    node: int
    pos: int  # text position after the last consumed element
    weight: float = 0.0
    quality: float = 1.0
    steps: list[tuple[str, int]] = field(default_factory=list)  # numbers consumed: ("door", node), ...
    misses: list[tuple[str, str, int]] = field(default_factory=list)  # (level, number, parent) not found
    hits: list[tuple[Mention, Entry]] = field(default_factory=list)  # mentions the chain explains
    conflicts: list[str] = field(default_factory=list)  # division names that disagree
    unresolved: bool = False
    gap: bool = False  # a consumed number is preceded by text no mention explains
    corroboration: float = 0.0
    path: list[int] = field(default_factory=list)  # the final node and its ancestors, leaf → root
