"""Routing choice (pure): category × location → lead assignee and co-departments at the lowest able level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gridgov.common.errors import Conflict
from gridgov.common.levels import LEVEL_ORDER, Place

FALLBACK_DEPT_TYPE = "zongzhi"  # the street's 综治中心 takes what no department owns


@dataclass(frozen=True)
class Route:
    level: str
    owner_division_id: int
    lead_department_id: int | None
    lead_grid_id: int | None
    co_department_ids: tuple[int, ...]


def choose_route(
    ancestry: Sequence[Place],
    lead_type: str | None,
    co_types: Sequence[str],
    start_level: str,
    departments: Mapping[tuple[int, str], int],
) -> Route:
    """Walk up from `start_level`; the first tier that has the lead department type (or, at grid level,
    the grid's own workers) takes the case. Co-departments are found at that tier or above."""
    floor = LEVEL_ORDER[start_level]
    candidates = [p for p in ancestry if floor <= LEVEL_ORDER[p.level] <= LEVEL_ORDER["district"]]
    for lead in ([lead_type] if lead_type else []) + [FALLBACK_DEPT_TYPE]:
        for place in candidates:
            if place.level == "grid":
                if lead == lead_type:
                    return Route("grid", place.id, None, place.id, _co(candidates, place, co_types, departments))
                continue
            dept = departments.get((place.id, lead))
            if dept is not None:
                co = _co(candidates, place, co_types, departments)
                return Route(place.level, place.id, dept, None, tuple(c for c in co if c != dept))
    raise Conflict(f"找不到可承办的部门（类型 {lead_type}），请先配置部门或分拨规则", field="category")


def _co(
    candidates: Sequence[Place],
    at: Place,
    co_types: Sequence[str],
    departments: Mapping[tuple[int, str], int],
) -> tuple[int, ...]:
    found: list[int] = []
    above = [p for p in candidates if LEVEL_ORDER[p.level] >= LEVEL_ORDER[at.level]]
    for co_type in co_types:
        for place in above:
            dept = departments.get((place.id, co_type))
            if dept is not None:
                if dept not in found:
                    found.append(dept)
                break
    return tuple(found)


# --- learning from the dispatchers' corrections ------------------------------------------------------------

GRID_LEAD = 0  # a correction's choice of "the grid itself" (a grid worker named directly), as a vote key
LEARN_AFTER = 1  # votes a department needs before it outweighs the catalog (GRIDGOV_ROUTING_LEARN_AFTER)
LEARN_WINDOW = 10  # the newest corrections of a 小类 × area that vote


@dataclass(frozen=True)
class Correction:
    """One override as the rule sees it: the lead chosen (a department id, or GRID_LEAD) and whether the chosen
    lead sent the case back as mis-dispatched (退回) — then it does not count."""

    chosen: int
    returned: bool = False


def learned_lead(
    newest_first: Sequence[Correction], after: int = LEARN_AFTER, window: int = LEARN_WINDOW
) -> tuple[int, int] | None:
    """The lead the suggestions should name for one 小类 × area, learned from its corrections, with its votes.

    Rule: the newest `window` corrections that were not returned vote, one vote each, for the lead they chose.
    The lead with the most votes (a tie goes to the one chosen most recently) replaces the catalog's (or the
    routing rule's) suggestion once it has at least `after` votes; below that the catalog stands (None). A
    dispatcher who overrides the learned suggestion back votes for the other lead, so the suggestion follows
    the centre's consistent practice, never one stray click against a settled majority."""
    if after < 1:
        raise ValueError("after must be at least 1")
    votes: dict[int, int] = {}
    recency: dict[int, int] = {}
    for i, c in enumerate(c for c in newest_first if not c.returned):
        if i >= window:
            break
        votes[c.chosen] = votes.get(c.chosen, 0) + 1
        recency.setdefault(c.chosen, i)
    if not votes:
        return None
    best = min(votes, key=lambda lead: (-votes[lead], recency[lead]))
    return (best, votes[best]) if votes[best] >= after else None
