"""Read side: event lists with filters and keyset paging, case detail, and each role's "my queue"."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.catalog.verifiers import Verifier
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.models import Event, EventSummons, EventTask, EventTransition, TaskRole
from gridgov.dispatch.rules import OPEN, PENDING_SUMMONS, Status
from gridgov.dispatch.scope import event_scope, event_scope_parts, in_subtree


@dataclass
class EventFilter:
    status: list[str] = field(default_factory=list)
    category_id: int | None = None
    channel: str | None = None
    grid_id: int | None = None
    division_path: str | None = None
    sla_state: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    q: str | None = None
    near: tuple[float, float, float] | None = None  # (lon, lat, metres): cases within that box around the point

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.near is not None:
            lon, lat, metres = self.near
            dlat = metres / 111_320.0
            dlon = dlat / max(0.01, math.cos(math.radians(lat)))
            out += [Event.lon.between(lon - dlon, lon + dlon), Event.lat.between(lat - dlat, lat + dlat)]
        if self.status:
            out.append(Event.status.in_(self.status))
        if self.category_id is not None:
            out.append(Event.category_id == self.category_id)
        if self.channel:
            out.append(Event.channel == self.channel)
        if self.grid_id is not None:
            out.append(Event.grid_id == self.grid_id)
        if self.division_path:
            out.append(in_subtree(self.division_path))
        if self.sla_state:
            out.append(Event.sla_state == self.sla_state)
        if self.reported_from is not None:
            out.append(Event.reported_at >= self.reported_from)
        if self.reported_to is not None:
            out.append(Event.reported_at < self.reported_to)
        if self.q:
            q = self.q.strip()
            by_title = Event.title.contains(q, autoescape=True)
            out.append(by_title | (Event.number == q) if q.isdigit() else by_title)
        return out


@dataclass
class Page:
    items: list[Event]
    next_cursor: int | None
    total: int | None = None


def _page(
    session: Session, scope: list[ColumnElement[bool]], where: list[ColumnElement[bool]], limit: int, cursor: int | None
) -> Page:
    """Newest first, keyset-paged. A scope of several parts (a centre: its subtree, and the unplaced cases above
    it) is queried part by part and merged by id, so that each part uses its index."""
    if cursor is not None:
        where = [*where, Event.id < cursor]
    if len(scope) == 1:
        stmt = select(Event).where(scope[0], *where)
    else:
        ids = union(*(select(Event.id).where(part, *where) for part in scope)).subquery()
        newest = select(ids.c.id).order_by(ids.c.id.desc()).limit(limit + 1)
        stmt = select(Event).where(Event.id.in_(newest))
    rows = list(session.scalars(stmt.order_by(Event.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def list_events(
    session: Session,
    actor: Principal,
    flt: EventFilter,
    limit: int = 50,
    cursor: int | None = None,
    with_total: bool = False,
) -> Page:
    page = _page(session, event_scope_parts(actor), flt.clauses(), limit, cursor)
    if with_total:
        where = and_(event_scope(actor), *flt.clauses())
        page.total = session.scalar(select(func.count()).select_from(Event).where(where))
    return page


def history(session: Session, event_id: int) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition).where(EventTransition.event_id == event_id).order_by(EventTransition.id)
        )
    )


def address_labels(session: Session, address_ids: set[int]) -> dict[int, tuple[str, str]]:
    """{address id: (code, full name)} of the standard addresses cases point to."""
    if not address_ids:
        return {}
    rows = session.execute(select(Address.id, Address.code, Address.full_name).where(Address.id.in_(address_ids)))
    return {r[0]: (r[1], r[2]) for r in rows}


def merged_duplicates(session: Session, actor: Principal, event_id: int) -> list[dict[str, Any]]:
    """The reports merged into a case as duplicates, those the caller may see."""
    rows = session.execute(
        select(Event.id, Event.number, Event.title)
        .where(Event.merged_into_id == event_id, event_scope(actor))
        .order_by(Event.id)
    )
    return [{"id": r[0], "number": r[1], "title": r[2]} for r in rows]


def _task_queue(
    session: Session,
    task_clause: ColumnElement[bool],
    statuses: list[str],
    limit: int,
) -> Page:
    """Work assigned to the caller, most urgent first (earliest deadline). The task clause names the caller's
    own department or grids, which is their scope already."""
    sub = select(EventTask.event_id).where(task_clause, EventTask.status.in_(["pending", "accepted"]))
    stmt = select(Event).where(Event.id.in_(sub), Event.status.in_(statuses))
    rows = list(session.scalars(stmt.order_by(Event.deadline_at.is_(None), Event.deadline_at, Event.id).limit(limit)))
    return Page(rows, None)


def held_here(actor: Principal) -> ColumnElement[bool]:
    """A case not yet placed is in one queue only: that of the centre holding it (intake.unplaced_owner)."""
    if actor.role in (Role.DISPATCHER, Role.COMMUNITY_STAFF) and actor.division_id is not None:
        return Event.grid_id.is_not(None) | (Event.owner_division_id == actor.division_id)
    return Event.grid_id.is_not(None)


def _verifier_in(kinds: list[str]) -> ColumnElement[bool]:
    """Cases whose rule names one of `kinds`; a case handled before the rule existed (no verifier) counts."""
    return Event.verifier.is_(None) | Event.verifier.in_(kinds)


def _not_handled_by(actor: Principal) -> ColumnElement[bool]:
    return Event.handled_by_id.is_(None) | (Event.handled_by_id != actor.user_id)


def _by_deadline(
    session: Session, scope: list[ColumnElement[bool]], where: list[ColumnElement[bool]], limit: int
) -> Page:
    """Cases on a clock, nearest deadline first (已派遣/办理中)."""
    clause = scope[0] if len(scope) == 1 else or_(*scope)
    stmt = select(Event).where(clause, *where).order_by(Event.deadline_at.is_(None), Event.deadline_at, Event.id)
    return Page(list(session.scalars(stmt.limit(limit))), None)


def _summons_queue(session: Session, department_id: int, limit: int) -> Page:
    """吹哨报到: the live cases this department was summoned onto and has not yet reported its result on, the
    earliest report-in deadline first."""
    open_summons = select(EventSummons.event_id, func.min(EventSummons.respond_by).label("by")).where(
        EventSummons.department_id == department_id, EventSummons.status.in_(sorted(PENDING_SUMMONS))
    )
    sub = open_summons.group_by(EventSummons.event_id).subquery()
    stmt = select(Event).join(sub, sub.c.event_id == Event.id).where(Event.status.in_(sorted(s.value for s in OPEN)))
    return Page(list(session.scalars(stmt.order_by(sub.c.by, Event.id).limit(limit))), None)


def my_queue(session: Session, actor: Principal, limit: int = 20) -> dict[str, Page]:
    """Named work queues for the caller's role, newest first; each page holds `limit` cases."""
    scope = event_scope_parts(actor)

    def q(*where: ColumnElement[bool]) -> Page:
        return _page(session, scope, list(where), limit, None)

    S = Status
    V = Verifier
    queues: dict[str, Page] = {}
    if actor.role in (Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.ADMIN, Role.LEADER):
        held = held_here(actor)
        queues["to_file"] = q(Event.status == S.REPORTED.value, held)
        queues["to_dispatch"] = q(Event.status == S.FILED.value, held)
        queues["returned"] = q(Event.status == S.RETURNED.value)
        queues["overdue"] = q(Event.status.in_([S.DISPATCHED.value, S.ACCEPTED.value]), Event.sla_state == "red")
        queues["warning"] = q(Event.status.in_([S.DISPATCHED.value, S.ACCEPTED.value]), Event.sla_state == "yellow")
        queues["extension_requests"] = q(Event.status == S.ACCEPTED.value, Event.extension_requested.is_not(None))
        if actor.role == Role.COMMUNITY_STAFF:  # the community verifies its own and its grid workers' cases
            kinds = [V.GRID.value, V.GRID_PEER.value, V.COMMUNITY.value]
            queues["to_verify"] = q(Event.status == S.HANDLED.value, _verifier_in(kinds), _not_handled_by(actor))
        else:  # a centre sees every case waiting for verification (督办), and verifies those its rule gives it
            queues["to_verify"] = q(Event.status == S.HANDLED.value)
        queues["on_hold"] = q(Event.status == S.ON_HOLD.value)
        if actor.role in (Role.DISPATCHER, Role.ADMIN, Role.LEADER):
            queues["handling"] = _by_deadline(
                session, scope, [Event.status.in_([S.DISPATCHED.value, S.ACCEPTED.value])], limit
            )
    if actor.role in (Role.HANDLER, Role.COMMUNITY_STAFF) and actor.department_id is not None:
        # the department's tasks, but a task named to someone is that person's alone
        dept = (EventTask.department_id == actor.department_id) & (
            EventTask.assignee_id.is_(None) | (EventTask.assignee_id == actor.user_id)
        )
        queues["to_accept"] = _task_queue(
            session,
            and_(dept, EventTask.role == TaskRole.LEAD.value),
            [S.DISPATCHED.value],
            limit,
        )
        queues["in_progress"] = _task_queue(
            session, and_(dept, EventTask.role == TaskRole.LEAD.value), [S.ACCEPTED.value], limit
        )
        queues["co_tasks"] = _task_queue(
            session,
            and_(dept, EventTask.role == TaskRole.CO.value),
            [S.DISPATCHED.value, S.ACCEPTED.value],
            limit,
        )
        queues["summons"] = _summons_queue(session, actor.department_id, limit)
    if actor.role == Role.GRID_WORKER:
        mine = EventTask.assignee_id == actor.user_id
        grid = (EventTask.grid_id.in_(sorted(actor.grid_ids)) & EventTask.assignee_id.is_(None)) | mine
        queues["to_accept"] = _task_queue(session, grid, [S.DISPATCHED.value], limit)
        queues["in_progress"] = _task_queue(session, grid, [S.ACCEPTED.value], limit)
        queues["to_verify"] = q(
            Event.status == S.HANDLED.value,
            _verifier_in([V.GRID.value, V.GRID_PEER.value]),
            _not_handled_by(actor),
        )
        queues["my_reports"] = q(Event.reporter_id == actor.user_id)
    if actor.role == Role.RESIDENT:
        queues["open"] = q(Event.status.notin_([S.CLOSED.value, S.RATED.value, S.REJECTED.value, S.MERGED.value]))
        queues["to_verify"] = q(Event.status == S.HANDLED.value, Event.verifier == V.REPORTER.value)
        queues["to_rate"] = q(Event.status == S.CLOSED.value)
        queues["done"] = q(Event.status.in_([S.RATED.value, S.REJECTED.value, S.MERGED.value]))
    return queues
