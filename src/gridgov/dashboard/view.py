"""Who looks at what, and when: the viewer and the division the screen shows (inside the viewer's scope), the
period on the Asia/Shanghai calendar, and the roll-up of case paths to the divisions one level down."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from gridgov.common import scope
from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import SHANGHAI, to_local, utcnow
from gridgov.dashboard.schemas import DivisionRef, Period
from gridgov.dispatch.scope import event_scope, in_subtree
from gridgov.org import cache as org_cache
from gridgov.org.cache import DivisionInfo, OrgSnapshot

VIEWER_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.ADMIN})
LEVELS_DOWN = ("city", "district", "street", "community", "grid")
UNLOCATED = "unlocated"  # cases not yet placed below the chosen division (address awaiting confirmation)


@dataclass(frozen=True)
class View:
    """The viewer and the division whose subtree the screen shows (inside the viewer's scope)."""

    principal: Principal
    division: DivisionInfo
    snap: OrgSnapshot

    def where(self) -> ColumnElement[bool]:
        """The viewer's data scope AND the chosen subtree: applied to every query on events."""
        clause = event_scope(self.principal)
        if self.division.parent_id is None:  # the whole tree
            return clause
        return and_(clause, in_subtree(self.division.path))

    @property
    def scope_key(self) -> tuple[Hashable, ...]:
        p = self.principal
        dept = p.department_id if p.role == Role.COMMUNITY_STAFF else None
        return (p.role.value, p.division_path, dept, self.division.id)

    def ref(self) -> DivisionRef:
        return DivisionRef(code=self.division.code, name=self.division.name, level=self.division.level)


def resolve_view(session: Session, principal: Principal, division_code: str | None) -> View:
    """Check the role, default the division to the viewer's own (admin: the city) and keep it in scope."""
    if principal.role not in VIEWER_ROLES:
        raise Forbidden("无权查看指挥大屏数据（仅限领导、分拨员、社区工作人员和系统管理员）")
    snap = org_cache.snapshot(session)
    root = next((d for d in snap.divisions.values() if d.parent_id is None), None)
    if principal.role == Role.ADMIN:
        own = snap.divisions.get(principal.division_id or -1) or root
    else:
        own = snap.divisions.get(principal.division_id or -1)
        if own is None or not principal.division_path:
            raise Forbidden("您的账号未绑定区划，无法查看指挥大屏")
    if own is None:
        raise NotFound("区划不存在或无权查看", field="division_code")
    if not division_code:
        return View(principal, own, snap)
    div_id = snap.by_code.get(division_code)
    division = snap.divisions.get(div_id) if div_id is not None else None
    if division is None or not scope.may_see(principal, division.path):
        raise NotFound("区划不存在或无权查看", field="division_code")
    return View(principal, division, snap)


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def period_window(period: Period, now: datetime | None = None) -> Window:
    """Today, this ISO week (Monday start) or this calendar month on the Asia/Shanghai calendar, in UTC."""
    today = to_local(now or utcnow()).date()
    if period == Period.TODAY:
        start, end = today, today + timedelta(days=1)
    elif period == Period.WEEK:
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=7)
    else:
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    return Window(period, local_midnight(start).astimezone(UTC), local_midnight(end).astimezone(UTC))


# --- roll-up of division paths ---------------------------------------------------------------------------


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


class Rollup:
    """Maps an event's division_path to the division at one level below the chosen one (memoised)."""

    def __init__(self, view: View, level: str) -> None:
        self.snap, self.level = view.snap, level
        self._memo: dict[str, int | None] = {}

    def of(self, path: str) -> int | None:
        if path in self._memo:
            return self._memo[path]
        found = None
        for i in path_ids(path):
            info = self.snap.divisions.get(i)
            if info is not None and info.level == self.level:
                found = i
                break
        self._memo[path] = found
        return found


def child_level(view: View) -> str | None:
    i = LEVELS_DOWN.index(view.division.level)
    return LEVELS_DOWN[i + 1] if i + 1 < len(LEVELS_DOWN) else None


def divisions_at(view: View, level: str) -> list[DivisionInfo]:
    """Divisions of `level` in the chosen subtree, by code."""
    prefix = view.division.path
    return sorted(
        (d for d in view.snap.divisions.values() if d.level == level and scope.in_subtree(d.path, prefix)),
        key=lambda d: d.code,
    )


def child_key(view: View, roll: Rollup | None, path: str) -> tuple[str, str]:
    """(code, name) of the child division a case path falls in; a grid (no children) keeps its own cases;
    a case not placed below the chosen division goes to UNLOCATED."""
    if roll is None:
        return view.division.code, view.division.name
    child = roll.of(path)
    if child is None:
        return UNLOCATED, "未定位到下级区划"
    info = view.snap.divisions[child]
    return info.code, info.name


def rollup_children(view: View, rows: Sequence[Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(count, closed) rows keyed by division_path → per child division (all children, zeros included)."""
    level = child_level(view)
    out: dict[tuple[str, str], tuple[int, int]] = {}
    children = divisions_at(view, level) if level else []
    for d in children:
        out[(d.code, d.name)] = (0, 0)
    roll = Rollup(view, level) if level else None
    for path, n, c in rows:
        key = child_key(view, roll, path)
        prev = out.get(key, (0, 0))
        out[key] = (prev[0] + int(n), prev[1] + int(c or 0))
    return out
