"""Data scope of cases as a WHERE clause: what each role may see, applied inside every query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from gridgov.common import scope
from gridgov.common.errors import NotFound
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.models import Event, EventSummons, EventTask


def in_subtree(path: str) -> ColumnElement[bool]:
    """Cases under the division whose materialized path is `path`."""
    return scope.subtree(Event.division_path, path)


def unplaced_above(path: str) -> ColumnElement[bool]:
    """Cases not yet placed on a grid, raised at this division or above it (a resident's report that no
    address matched sits at the city): every centre below may pick them up and place them."""
    return Event.grid_id.is_(None) & scope.ancestors_of(Event.division_path, path)


def event_scope(p: Principal) -> ColumnElement[bool]:
    """What the caller may see, as one WHERE clause."""
    parts = event_scope_parts(p)
    return parts[0] if len(parts) == 1 else or_(*parts)


def event_scope_parts(p: Principal) -> list[ColumnElement[bool]]:
    """The same as alternatives whose union is the scope. A centre's scope is its subtree *or* the unplaced
    cases above it; an OR across those keeps the database from using the (status, division_path) indexes,
    so paged lists query each part on its own and merge them (see queues._page)."""
    if p.role in scope.AREA_ROLES and p.public_event_id is None:
        if not p.division_path:
            return [false()]
        own: ColumnElement[bool] = in_subtree(p.division_path)
        if p.role == Role.COMMUNITY_STAFF and p.department_id is not None:
            own = own | Event.id.in_(select(EventTask.event_id).where(EventTask.department_id == p.department_id))
            own = own | Event.id.in_(summoned(p.department_id))
        return [own, unplaced_above(p.division_path)]
    return [_scope(p)]


def _scope(p: Principal) -> ColumnElement[bool]:
    if p.public_event_id is not None:
        return Event.id == p.public_event_id
    if p.role in scope.UNLIMITED:
        return true()
    if p.role == Role.HANDLER:
        if p.department_id is None:
            return false()
        tasks = select(EventTask.event_id).where(EventTask.department_id == p.department_id)
        return Event.id.in_(tasks) | Event.id.in_(summoned(p.department_id))
    if p.role == Role.GRID_WORKER:
        named = Event.id.in_(select(EventTask.event_id).where(EventTask.assignee_id == p.user_id))
        if not p.grid_ids:
            return named if p.user_id is not None else false()
        return Event.grid_id.in_(sorted(p.grid_ids)) | named
    if p.role == Role.RESIDENT:
        return Event.reporter_id == p.user_id if p.user_id is not None else false()
    return false()


def summoned(department_id: int) -> Select[int]:
    """The cases a department was summoned onto (吹哨报到): it sees them to report in."""
    return select(EventSummons.event_id).where(EventSummons.department_id == department_id)


def load_visible(session: Session, actor: Principal, event_id: int, for_update: bool = False) -> Event:
    """The event if the actor may see it; otherwise 404 (existence is not revealed)."""
    stmt = select(Event).where(Event.id == event_id, event_scope(actor))
    if for_update:
        stmt = stmt.with_for_update()
    event = session.scalar(stmt)
    if event is None:
        raise NotFound("事件不存在或无权查看", field="event_id")
    return event
