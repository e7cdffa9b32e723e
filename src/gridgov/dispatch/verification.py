"""Who verifies a handled case, and whether this caller may: the catalog's rule (`catalog.verifiers`) settled
against who is actually there (`settle`, pure), resolved once when the case reaches 待复核 and kept on the case
(`event.verifier`), so that the queues can list each case where someone can act on it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.verifiers import Verifier, rule_for
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.guards import is_reporter, within_area
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import Action
from gridgov.org import cache
from gridgov.org.models import GridAssignment, User

V = Verifier


@dataclass(frozen=True)
class Present:
    """Who is there to verify one case (the handler left out)."""

    grid_workers: int  # grid workers of the case's own grid
    community_grid_workers: int  # grid workers of the case's community, its own grid included
    community_staff: int  # community staff of the case's community
    community_handled: bool  # the community's own staff handled it
    reporter_has_account: bool  # the reporter is a user who did not handle it


def settle(kind: Verifier, present: Present) -> Verifier:
    """The rule's verifier, or the next one that exists: the grid's worker → another grid worker of the
    community → the community → the dispatcher (who always exists); a reporter without an account → the
    dispatcher."""
    if kind == V.GRID and present.grid_workers == 0:
        kind = V.GRID_PEER
    if kind == V.GRID_PEER and present.community_grid_workers == 0:
        kind = V.COMMUNITY
    if kind == V.COMMUNITY and (present.community_handled or present.community_staff == 0):
        kind = V.DISPATCHER
    if kind == V.REPORTER and not present.reporter_has_account:
        kind = V.DISPATCHER
    return kind


def present_for(session: Session, grid_id: int | None, reporter_id: int | None, handler_id: int | None) -> Present:
    """Count who is there for a case on `grid_id`, leaving out its handler."""
    snap = cache.snapshot(session)
    community_id = snap.ancestor_at(grid_id, "community") if grid_id is not None else None
    grids = [d.id for d in snap.divisions.values() if d.parent_id == community_id] if community_id else []
    others = User.id != handler_id if handler_id is not None else User.id.is_not(None)

    def workers(grid_ids: list[int]) -> int:
        if not grid_ids:
            return 0
        stmt = (
            select(func.count(func.distinct(User.id)))
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .where(GridAssignment.grid_id.in_(grid_ids), User.active.is_(True), others)
        )
        return int(session.scalar(stmt) or 0)

    staff = 0
    if community_id is not None:
        stmt = (
            select(func.count())
            .select_from(User)
            .where(
                User.role == Role.COMMUNITY_STAFF.value, User.division_id == community_id, User.active.is_(True), others
            )
        )
        staff = int(session.scalar(stmt) or 0)
    handler = session.get(User, handler_id) if handler_id is not None else None
    reporter_ok = reporter_id is not None and reporter_id != handler_id
    return Present(
        grid_workers=workers([grid_id] if grid_id is not None else []),
        community_grid_workers=workers(grids),
        community_staff=staff,
        community_handled=handler is not None and handler.role == Role.COMMUNITY_STAFF.value,
        reporter_has_account=reporter_ok,
    )


def resolve(session: Session, event: Event, handler_id: int | None) -> Verifier:
    """Who verifies `event`, handled now by `handler_id`: the rule for its 小类 and tier, settled."""
    return resolve_for(session, event.category_id, event.level, event.grid_id, event.reporter_id, handler_id)


def resolve_for(
    session: Session,
    category_id: int | None,
    level: str,
    grid_id: int | None,
    reporter_id: int | None,
    handler_id: int | None,
) -> Verifier:
    """`resolve` for a case not written yet (自行处置 at intake)."""
    code = catalog_cache.snapshot(session).by_id[category_id].code if category_id is not None else None
    return settle(rule_for(code, level).verifier, present_for(session, grid_id, reporter_id, handler_id))


def case_allows(actor: Principal, event: Event, action: Action) -> bool:
    """Beyond the transition table: on this case, may the caller take `action` (a detail's allowed actions)?
    复核 where the verification rule says so; 补充位置 for the reporter of a case not yet placed."""
    if action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
        return may_verify(actor, event)
    if action == Action.PLACE:
        return event.grid_id is None and is_reporter(actor, event)
    return True


def may_verify(actor: Principal, event: Event) -> bool:
    """May `actor` verify `event` (never its handler): the verifier its rule named — community staff of the
    area also for grid workers' cases (the community oversees its grids); cases handled before the rule
    existed keep the old answer (the grid's worker or community staff)."""
    if event.handled_by_id is not None and event.handled_by_id == actor.user_id:
        return False
    kind = Verifier(event.verifier) if event.verifier else None
    if actor.role == Role.GRID_WORKER:
        if kind in (None, V.GRID):
            return event.grid_id in actor.grid_ids
        return (
            kind == V.GRID_PEER
            and bool(actor.division_path)
            and event.division_path.startswith(actor.division_path or "/")
        )
    if actor.role == Role.COMMUNITY_STAFF:
        return kind in (None, V.GRID, V.GRID_PEER, V.COMMUNITY) and within_area(actor, event)
    if actor.role == Role.DISPATCHER:
        return kind == V.DISPATCHER and within_area(actor, event)
    if actor.role == Role.RESIDENT:
        return kind == V.REPORTER and is_reporter(actor, event)
    return False
