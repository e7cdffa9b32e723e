"""Who takes a case and by when: its category, its route (lead department or grid, co-departments, tier) and
its SLA clock. Helpers of the intake port and the lifecycle actions; they change the case, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.cache import CategoryInfo, RuleInfo
from gridgov.catalog.services import load_calendar
from gridgov.common.choices import ClockBasis, Urgency
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.levels import LEVEL_ORDER
from gridgov.common.timeutil import as_utc
from gridgov.common.workcalendar import NATURAL, TimeBasis
from gridgov.db import settings_of
from gridgov.dispatch import learning
from gridgov.dispatch.models import Event, EventTask, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.routing import GRID_LEAD, Route, choose_route
from gridgov.dispatch.rules import Status
from gridgov.dispatch.sla import (
    Clock,
    basis_for,
    extend_clock,
    fixed_clock,
    limit_seconds,
    rebase_clock,
    sla_state,
    start_clock,
)
from gridgov.org import cache

ACTIVE_TASK = (TaskStatus.PENDING.value, TaskStatus.ACCEPTED.value)
UNCLASSIFIED_LEVEL = "street"  # the street center classifies what arrives without a category


def category_by_code(session: Session, code: str, field: str = "category_code") -> CategoryInfo:
    cat = catalog_cache.snapshot(session).by_code.get(code)
    if cat is None or cat.parent_id is None or not cat.active:
        raise InvalidInput(f"事件小类“{code}”不存在或已停用", field=field)
    return cat


def recategorize(session: Session, event: Event, category_code: str | None) -> CategoryInfo:
    """The case's category, changed to `category_code` when one is given (立案/派遣 may correct it)."""
    if category_code:
        cat = category_by_code(session, category_code)
        if event.category_id != cat.id:
            event.category_id = cat.id
            if event.urgency_reason is None:  # the 小类's default, unless a dispatcher chose one with a reason
                event.urgency = cat.urgency
            if event.status in (Status.REPORTED.value, Status.FILED.value):
                event.level = cat.default_level
            elif event.status == Status.RETURNED.value:  # mis-dispatched: the new category's tier, never lower
                event.level = max(event.level, cat.default_level, key=LEVEL_ORDER.__getitem__)
        return cat
    if event.category_id is None:
        raise InvalidInput("请先为事件选择小类", field="category_code")
    return catalog_cache.snapshot(session).by_id[event.category_id]


def placed_grid(event: Event) -> int:
    if event.grid_id is None:
        raise Conflict("事件尚未定位到网格，请先在地址待确认中确认地址", field="address")
    return event.grid_id


@dataclass(frozen=True)
class Suggestion:
    """The route a dispatch takes unless the dispatcher chooses otherwise, and why: `base` is the catalog's (or a
    routing rule's) route; `route` the same after what the corrections of this 小类 × area taught (`votes`)."""

    route: Route
    base: Route
    basis: str  # "catalog" | "rule" | "learned"
    votes: int = 0


def suggest_route(session: Session, grid_id: int, category: CategoryInfo, start_level: str) -> Suggestion:
    """The catalog's routing for this 小类, overridden by the most specific routing rule that applies here, then by
    the lead the dispatchers' corrections for this 小类 × area settled on (learning.learned)."""
    snap = cache.snapshot(session)
    ancestry = snap.ancestry(grid_id)
    lead_type, co_types = category.dept_type, list(category.co_dept_types)
    ids_up = {p.id for p in ancestry}
    best: tuple[int, RuleInfo] | None = None
    for rule in catalog_cache.snapshot(session).rules:
        if rule.category_id is not None and rule.category_id != category.id:
            continue
        if rule.division_id is not None and rule.division_id not in ids_up:
            continue
        depth = snap.divisions[rule.division_id].path.count("/") if rule.division_id else 0
        score = depth * 2 + (1 if rule.category_id is not None else 0)
        if best is None or score > best[0]:
            best = (score, rule)
    if best is not None:
        lead_type, co_types = best[1].lead_dept_type, list(best[1].co_dept_types)
        if best[1].level and LEVEL_ORDER[best[1].level] > LEVEL_ORDER[start_level]:
            start_level = best[1].level
    base = choose_route(ancestry, lead_type, co_types, start_level, snap.departments)
    basis = "rule" if best is not None else "catalog"
    found = learning.learned(session, category.id, base.owner_division_id)
    if found is not None:
        route = route_to(session, grid_id, found[0], base)
        if route is not None and route != base:
            return Suggestion(route, base, "learned", found[1])
    return Suggestion(base, base, basis)


def route_to(session: Session, grid_id: int, lead: int, base: Route) -> Route | None:
    """`base` with another lead: a department of the case's chain (its tier becomes the case's), or GRID_LEAD
    (the grid itself). None when that department is not on the case's way up (or no longer active)."""
    co = base.co_department_ids
    if lead == GRID_LEAD:
        return Route("grid", grid_id, None, grid_id, co)
    snap = cache.snapshot(session)
    where = snap.department_places.get(lead)
    if where is None or where not in {p.id for p in snap.ancestry(grid_id)}:
        return None
    level = snap.divisions[where].level
    return Route(level, where, lead, None, tuple(d for d in co if d != lead))


def route_for(session: Session, grid_id: int, category: CategoryInfo, start_level: str) -> Route:
    return suggest_route(session, grid_id, category, start_level).route


def route_data(session: Session, route: Route, cat: CategoryInfo) -> dict[str, object]:
    """The route as the history row and the domain event record it (names to read, ids for the subscribers that
    find the people: the notifications)."""
    names = cache.snapshot(session).dept_names
    return {
        "category": cat.code,
        "level": route.level,
        "lead_department": names.get(route.lead_department_id) if route.lead_department_id else None,
        "lead_department_id": route.lead_department_id,
        "lead_grid_id": route.lead_grid_id,
        "co_departments": [names.get(d, str(d)) for d in route.co_department_ids],
        "co_department_ids": list(route.co_department_ids),
    }


def assign(session: Session, event: Event, route: Route, now: datetime, assignee_id: int | None = None) -> None:
    """Withdraw the open tasks and give the case to the route's lead (a named person, when given) and
    co-departments."""
    for task in event.tasks:
        if task.status in ACTIVE_TASK:
            task.status, task.done_at = TaskStatus.CANCELLED.value, now
    session.add(
        EventTask(
            event=event,
            role=TaskRole.LEAD.value,
            department_id=route.lead_department_id,
            grid_id=route.lead_grid_id,
            assignee_id=assignee_id,
            created_at=now,
        )
    )
    for dept in route.co_department_ids:
        session.add(EventTask(event=event, role=TaskRole.CO.value, department_id=dept, created_at=now))
    event.level, event.owner_division_id = route.level, route.owner_division_id


def time_basis(session: Session, basis: str) -> TimeBasis:
    """What a clock of this basis counts on: natural time, or the working calendar."""
    return NATURAL if basis == ClockBasis.NATURAL.value else load_calendar(session)


def clock_for(
    session: Session,
    area_class: str,
    category: CategoryInfo,
    now: datetime,
    urgency: str = Urgency.NORMAL.value,
    fixed_deadline: datetime | None = None,
) -> tuple[Clock, ClockBasis]:
    """The clock a case of this 小类 and urgency starts at `now`, and the basis it runs on; a fixed deadline the
    channel set ends it there while that deadline is still ahead (else the 小类's limit applies)."""
    basis = basis_for(urgency, category.clock_basis)
    cal = time_basis(session, basis.value)
    if fixed_deadline is not None and fixed_deadline > now:
        return fixed_clock(cal, now, fixed_deadline, settings_of(session).sla_warn_ratio), basis
    secs = limit_seconds(cal, category.limit_for(area_class), category.limit_unit)
    return start_clock(cal, now, secs, settings_of(session).sla_warn_ratio), basis


def restart_clock(session: Session, event: Event, category: CategoryInfo, now: datetime) -> None:
    clock, basis = clock_for(session, event.area_class, category, now, event.urgency, event.fixed_deadline_at)
    event.clock_basis = basis.value
    event.clock_started_at, event.warn_at, event.deadline_at = clock.started_at, clock.warn_at, clock.deadline_at
    if event.first_deadline_at is None:
        event.first_deadline_at = clock.deadline_at
    event.sla_state = SlaState.NORMAL.value


def shift_clock(session: Session, event: Event, extra_secs: float, now: datetime) -> None:
    """Move the deadline (and the warning) by `extra_secs` of the case's time (working or natural): an extension,
    a hold resumed."""
    clock = running_clock(event)
    if clock is None:
        return
    cal = time_basis(session, event.clock_basis)
    new = extend_clock(cal, clock, extra_secs, settings_of(session).sla_warn_ratio)
    _set_clock(event, new, now)


def rebase(session: Session, event: Event, basis: ClockBasis, now: datetime) -> None:
    """The case's clock now counts on `basis` (its urgency changed): what is left, laid out on the new basis
    (`sla.rebase_clock`). A case whose clock has not started only records the basis for when it does."""
    old_basis, event.clock_basis = event.clock_basis, basis.value
    clock = running_clock(event)
    if clock is None or old_basis == basis.value:
        return
    new = rebase_clock(time_basis(session, old_basis), time_basis(session, basis.value), clock, now)
    _set_clock(event, new, now)


def running_clock(event: Event) -> Clock | None:
    if event.clock_started_at is None or event.deadline_at is None or event.warn_at is None:
        return None
    return Clock(as_utc(event.clock_started_at), as_utc(event.warn_at), as_utc(event.deadline_at))


def _set_clock(event: Event, new: Clock, now: datetime) -> None:
    event.warn_at, event.deadline_at = new.warn_at, new.deadline_at
    # Warnings and overdue marks are the sweeper's to write (with their history rows and escalation); a moved
    # clock only clears them. A case already red at the top tier stays red while it is still overdue.
    still_red = event.sla_state == SlaState.RED.value and sla_state(now, new.warn_at, new.deadline_at) == "red"
    event.sla_state = SlaState.RED.value if still_red else SlaState.NORMAL.value
