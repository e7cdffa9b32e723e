"""Data scope of hazard sources, devices and alarms (rows carrying a division path and a grid)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

from gridgov.common import scope
from gridgov.common.principal import Principal, Role


def where(p: Principal, path_column: Any, grid_column: Any) -> ColumnElement[bool]:
    """What the caller may see, as one WHERE clause: the unlimited roles everything, a centre its subtree, a
    grid worker his grids."""
    if p.role in scope.UNLIMITED:
        return true()
    if p.role in scope.AREA_ROLES:
        return scope.subtree(path_column, p.division_path) if p.division_path else false()
    if p.role == Role.GRID_WORKER and p.grid_ids:
        clause: ColumnElement[bool] = grid_column.in_(sorted(p.grid_ids))
        return clause
    return false()


def may_act_on(p: Principal, path: str, grid_id: int | None) -> bool:
    """The Python twin of `where` for one row."""
    if p.role == Role.GRID_WORKER:
        return grid_id is not None and grid_id in p.grid_ids
    return scope.may_see(p, path)
