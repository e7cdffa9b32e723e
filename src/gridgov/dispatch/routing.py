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
