"""Data scope on the org tree, written once: "this principal may see this subtree".

Divisions carry a materialized path ("/1/3/17/"): a division's subtree is every path that starts with its own.
Each predicate comes twice — as SQL over any path column (index-friendly ranges, applied inside the query) and
as plain Python over a path already loaded (for a check on one row) — and both say the same thing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func

from gridgov.common.principal import Principal, Role

# Roles whose scope is a division's subtree (a dispatcher's centre, a leader's area, a community workstation).
AREA_ROLES = frozenset({Role.DISPATCHER, Role.LEADER, Role.COMMUNITY_STAFF})
UNLIMITED = frozenset({Role.ADMIN, Role.SYSTEM})


def subtree(column: Any, path: str) -> ColumnElement[bool]:
    """Rows whose path lies in the subtree rooted at `path`, as a range on the column so that indexes apply:
    "/1/3/" <= p < "/1/30" ("0" is the character after "/" and paths hold only digits and slashes)."""
    inside: ColumnElement[bool] = (column >= path) & (column < path[:-1] + "0")
    return inside


def ancestors_of(column: Any, path: str) -> ColumnElement[bool]:
    """Rows whose path is `path` or one of its ancestors (a row raised above a division: a report not yet
    placed on a grid sits at its reporter's division, visible to every centre below)."""
    result: ColumnElement[bool] = func.substr(path, 1, func.length(column)) == column
    return result


def in_subtree(path: str, root: str | None) -> bool:
    """`path` lies in the subtree rooted at `root` (the Python twin of `subtree`)."""
    return bool(root) and path.startswith(root or "")


def is_ancestor(path: str, of: str) -> bool:
    """`path` is `of` or above it (the Python twin of `ancestors_of`)."""
    return of.startswith(path)


def may_see(principal: Principal, path: str) -> bool:
    """May an area principal act on a row at `path`: inside their subtree. Unlimited roles see everything;
    every other role has no area scope."""
    if principal.role in UNLIMITED:
        return True
    if principal.role not in AREA_ROLES or not principal.division_path:
        return False
    return in_subtree(path, principal.division_path)
