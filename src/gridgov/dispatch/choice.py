"""The dispatcher's choice at 派遣: another lead than the suggested one (with a reason, kept as a routing
correction the suggestions learn from), more co-departments, and a named person — a handler of the lead
department or a grid worker (福田: 任务直接派到网格和个人) — whose queue the task lands in."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.cache import CategoryInfo
from gridgov.common import scope
from gridgov.common.errors import InvalidInput
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.assign import Suggestion, route_to
from gridgov.dispatch.guards import require_tier
from gridgov.dispatch.learning import record_correction
from gridgov.dispatch.models import Event
from gridgov.dispatch.routing import GRID_LEAD, Route
from gridgov.dispatch.schemas import DispatchIn
from gridgov.org import cache
from gridgov.org.models import GridAssignment, User


@dataclass
class Choice:
    route: Route
    assignee_id: int | None = None
    data: dict[str, object] = field(default_factory=dict)


def lead_of(route: Route) -> int:
    return GRID_LEAD if route.lead_department_id is None else route.lead_department_id


def in_chain(session: Session, event: Event, department_id: int) -> bool:
    """The department sits on the case's way up (its community, street or district)."""
    snap = cache.snapshot(session)
    where = snap.department_places.get(department_id)
    return event.grid_id is not None and where in {p.id for p in snap.ancestry(event.grid_id)}


def _assignee(session: Session, actor: Principal, event: Event, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput("指派的人员不存在或已停用", field="assignee_id")
    if user.role in (Role.HANDLER.value, Role.COMMUNITY_STAFF.value) and user.department_id is not None:
        return user
    if user.role != Role.GRID_WORKER.value:
        raise InvalidInput("只能指派给部门处置人员或网格员", field="assignee_id")
    snap = cache.snapshot(session)
    street = snap.ancestor_at(event.grid_id or 0, "street")
    grids = session.scalars(select(GridAssignment.grid_id).where(GridAssignment.user_id == user.id)).all()
    if not any(snap.ancestor_at(g, "street") == street and scope.may_see(actor, snap.divisions[g].path) for g in grids):
        raise InvalidInput("只能指派给本街道、本辖区的网格员", field="assignee_id")
    return user


def choose(
    session: Session,
    actor: Principal,
    event: Event,
    cat: CategoryInfo,
    suggestion: Suggestion,
    cmd: DispatchIn,
    at: datetime,
) -> Choice:
    """The route the dispatch takes, checked: every department on the case's way up, the named person in the
    lead, a reason for another lead than suggested (then the correction is kept)."""
    grid_id = event.grid_id or 0
    route = suggestion.route
    person = _assignee(session, actor, event, cmd.assignee_id) if cmd.assignee_id is not None else None
    lead: int | None = cmd.lead_department_id
    if lead is None and person is not None:
        lead = GRID_LEAD if person.role == Role.GRID_WORKER.value else person.department_id
    if lead is not None and lead != lead_of(route):
        chosen = route_to(session, grid_id, lead, route)
        if chosen is None:
            raise InvalidInput("主办单位须为事件所在社区、街道或区的在用部门", field="lead_department_id")
        route = chosen
    if person is not None and lead_of(route) != (
        GRID_LEAD if person.role == Role.GRID_WORKER.value else person.department_id
    ):
        raise InvalidInput("指派的人员不属于所选主办单位", field="assignee_id")
    added = []
    for dept in dict.fromkeys(cmd.co_department_ids):
        if not in_chain(session, event, dept):
            raise InvalidInput(f"协办单位（id {dept}）须为事件所在社区、街道或区的在用部门", field="co_department_ids")
        if dept != route.lead_department_id and dept not in route.co_department_ids:
            added.append(dept)
    if added:
        route = replace(route, co_department_ids=(*route.co_department_ids, *added))
    require_tier(actor, route.level, field="lead_department_id")
    names = cache.snapshot(session).dept_names
    data: dict[str, object] = {}
    if lead_of(route) != lead_of(suggestion.route):
        reason = (cmd.reason or "").strip()
        if not reason:
            raise InvalidInput("改派主办单位需要填写理由", field="reason")
        record_correction(
            session,
            actor,
            event,
            category_id=cat.id,
            area_id=suggestion.base.owner_division_id,
            suggested=suggestion.route.lead_department_id,
            chosen=route.lead_department_id,
            reason=reason,
            at=at,
        )
        suggested = suggestion.route.lead_department_id
        data["override"] = {
            "suggested": names.get(suggested, "网格") if suggested else "网格",
            "chosen": names.get(route.lead_department_id, "网格") if route.lead_department_id else "网格",
            "reason": reason,
        }
    if added:
        data["added_co_departments"] = [names.get(d, str(d)) for d in added]
    if person is not None:
        data["assignee"] = {"id": person.id, "name": person.display_name}
    return Choice(route, person.id if person is not None else None, data)
