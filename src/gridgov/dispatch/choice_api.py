"""GET /api/events/{id}/dispatch-options: what the dispatcher may choose at 派遣 (the suggestion and why, the
departments on the case's way up with their people, the grid workers of its street) and whom a 吹哨 may summon."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.common import scope
from gridgov.common.levels import LEVEL_ORDER
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.assign import suggest_route
from gridgov.dispatch.models import Event
from gridgov.dispatch.scope import load_visible
from gridgov.org import cache
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import GridAssignment, User

router = APIRouter(prefix="/api", tags=["events"])
BASIS_LABELS = {"catalog": "事件目录", "rule": "分拨规则", "learned": "人工改派记录"}


class PersonOut(BaseModel):
    id: int
    name: str
    role: str
    grid_code: str | None = None


class DepartmentOption(BaseModel):
    id: int
    name: str
    level: str
    people: list[PersonOut] = []


class SuggestionOut(BaseModel):
    level: str
    lead_department_id: int | None = Field(description="建议的主办单位；空：由网格处置")
    lead_name: str
    co_department_ids: list[int]
    basis: str = Field(description="catalog 事件目录 / rule 分拨规则 / learned 人工改派记录")
    basis_label: str
    votes: int = Field(description="learned 时：支持该建议的改派次数")
    base_lead_name: str = Field(description="事件目录或分拨规则的原建议")


class DispatchOptionsOut(BaseModel):
    suggestion: SuggestionOut | None = Field(description="尚未分类或未定位的事件没有建议")
    departments: list[DepartmentOption] = Field(description="可选的主办/协办单位（事件所在社区、街道、区的部门）")
    grid_workers: list[PersonOut] = Field(description="可直接指派的网格员（本街道）")


def _lead_name(names: dict[int, str], dept: int | None) -> str:
    return names.get(dept, str(dept)) if dept is not None else "网格（网格员处置）"


def options(session: Session, actor: Principal, event: Event) -> DispatchOptionsOut:
    snap = cache.snapshot(session)
    grid_id = event.grid_id
    if grid_id is None:
        return DispatchOptionsOut(suggestion=None, departments=[], grid_workers=[])
    chain = {p.id: p.level for p in snap.ancestry(grid_id) if LEVEL_ORDER[p.level] <= LEVEL_ORDER["district"]}
    if actor.role == Role.COMMUNITY_STAFF:  # a community dispatches grid- and community-level cases only
        chain = {d: lv for d, lv in chain.items() if LEVEL_ORDER[lv] <= LEVEL_ORDER["community"]}
    dept_ids = [d for d, where in snap.department_places.items() if where in chain]
    people: dict[int, list[PersonOut]] = defaultdict(list)
    roles = (Role.HANDLER.value, Role.COMMUNITY_STAFF.value)
    for uid, name, role, dept in session.execute(
        select(User.id, User.display_name, User.role, User.department_id)
        .where(User.department_id.in_(dept_ids), User.active.is_(True), User.role.in_(roles))
        .order_by(User.id)
    ):
        if dept is not None:
            people[dept].append(PersonOut(id=uid, name=name, role=role))
    departments = [
        DepartmentOption(id=d, name=snap.dept_names[d], level=chain[snap.department_places[d]], people=people[d])
        for d in dept_ids
    ]
    departments.sort(key=lambda o: (LEVEL_ORDER[o.level], o.name))
    street = snap.ancestor_at(grid_id, "street")
    grid_ids = [
        g for g, info in snap.divisions.items() if info.level == "grid" and snap.ancestor_at(g, "street") == street
    ]
    workers = [
        PersonOut(id=uid, name=name, role=Role.GRID_WORKER.value, grid_code=snap.divisions[gid].code)
        for uid, name, gid in session.execute(
            select(User.id, User.display_name, GridAssignment.grid_id)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .where(GridAssignment.grid_id.in_(grid_ids), User.active.is_(True))
            .order_by(GridAssignment.grid_id == grid_id, User.id)
        )
        if scope.may_see(actor, snap.divisions[gid].path)
    ]
    workers.sort(key=lambda w: w.grid_code != snap.divisions[grid_id].code)
    suggestion = None
    if event.category_id is not None:
        cat = catalog_cache.snapshot(session).by_id[event.category_id]
        s = suggest_route(session, grid_id, cat, event.level)
        names = snap.dept_names
        suggestion = SuggestionOut(
            level=s.route.level,
            lead_department_id=s.route.lead_department_id,
            lead_name=_lead_name(names, s.route.lead_department_id),
            co_department_ids=list(s.route.co_department_ids),
            basis=s.basis,
            basis_label=BASIS_LABELS[s.basis],
            votes=s.votes,
            base_lead_name=_lead_name(names, s.base.lead_department_id),
        )
    return DispatchOptionsOut(suggestion=suggestion, departments=departments, grid_workers=workers)


@router.get(
    "/events/{event_id}/dispatch-options", response_model=DispatchOptionsOut, summary="派遣选项与建议、吹哨对象"
)
def get_dispatch_options(event_id: int, session: SessionDep, actor: PrincipalDep) -> DispatchOptionsOut:
    return options(session, actor, load_visible(session, actor, event_id))
