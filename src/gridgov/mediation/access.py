"""Who may see and act on a dispute: the mediation roles, and the data scope in every query (common/scope.py) —
a community mediator sees his community's disputes, a street centre its street's, a leader his area."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, selectinload

from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.principal import Principal
from gridgov.common.scope import AREA_ROLES, UNLIMITED, subtree
from gridgov.mediation.models import Dispute
from gridgov.mediation.rules import MEDIATORS, READERS

T = TypeVar("T")


def require_reader(actor: Principal) -> None:
    if actor.role not in READERS:
        raise Forbidden("只有调解员、综治中心和领导可以查看矛盾纠纷")


def require_mediator(actor: Principal) -> None:
    if actor.role not in MEDIATORS:
        raise Forbidden("只有调解员和综治中心可以办理矛盾纠纷")


def in_area(actor: Principal, entity: type[T], path: Any) -> Select[T]:
    """Rows of a mediation table (disputes, consultations, screenings) the caller may see, as a query: `path` is
    the row's division path column; the scope is in the WHERE clause."""
    require_reader(actor)
    query = select(entity)
    if actor.role in UNLIMITED:
        return query
    if actor.role not in AREA_ROLES or not actor.division_path:
        return query.where(false())
    return query.where(subtree(path, actor.division_path))


def scoped(actor: Principal) -> Select[Dispute]:
    """Disputes the caller may see, as a query (the scope is in the WHERE clause)."""
    return in_area(actor, Dispute, Dispute.division_path)


def load(session: Session, actor: Principal, dispute_id: int, *, for_update: bool = False) -> Dispute:
    """One dispute inside the caller's scope, with its parties, sessions, tasks and steps; 404 outside it."""
    query = (
        scoped(actor)
        .where(Dispute.id == dispute_id)
        .options(
            selectinload(Dispute.parties),
            selectinload(Dispute.sessions),
            selectinload(Dispute.tasks),
            selectinload(Dispute.steps),
        )
    )
    if for_update:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        raise NotFound("矛盾纠纷不存在或不在管辖范围内", field="dispute_id")
    return found
