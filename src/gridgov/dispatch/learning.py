"""Routing corrections: a dispatcher's override of the suggested lead is kept (with its reason, an audit row) and
the suggestions learn from them per 小类 × area by the pure rule `routing.learned_lead`. The corrections are read
into a process-wide snapshot (invalidated when one is written or withdrawn, and after a minute), so that the
intake's auto-dispatch pays a dictionary lookup for them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.events import Published
from gridgov.common.principal import Principal
from gridgov.common.snapshot import SharedSnapshot
from gridgov.common.uow import after_commit
from gridgov.db import settings_of
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.models import Event, RoutingCorrection
from gridgov.dispatch.routing import GRID_LEAD, LEARN_WINDOW, Correction, learned_lead

TTL_SECONDS = 60.0
Key = tuple[int, int]  # (category id, area division id)


def _load(session: Session) -> Mapping[Key, tuple[Correction, ...]]:
    """The newest corrections of every 小类 × area that still count (not returned), newest first."""
    rows = session.execute(
        select(RoutingCorrection.category_id, RoutingCorrection.area_id, RoutingCorrection.chosen_department_id)
        .where(RoutingCorrection.returned_at.is_(None))
        .order_by(RoutingCorrection.id.desc())
    )
    out: dict[Key, list[Correction]] = {}
    for cat, area, chosen in rows:
        kept = out.setdefault((cat, area), [])
        if len(kept) < LEARN_WINDOW:
            kept.append(Correction(GRID_LEAD if chosen is None else chosen))
    return {k: tuple(v) for k, v in out.items()}


_shared: SharedSnapshot[Mapping[Key, tuple[Correction, ...]]] = SharedSnapshot(_load, TTL_SECONDS)


def invalidate() -> None:
    _shared.invalidate()


def learned(session: Session, category_id: int, area_id: int) -> tuple[int, int] | None:
    """(lead, votes) learned for this 小类 × area — a department id or GRID_LEAD — or None: the catalog stands."""
    found = _shared.get(session).get((category_id, area_id))
    if not found:
        return None
    return learned_lead(found, after=settings_of(session).routing_learn_after)


def record_correction(
    session: Session,
    actor: Principal,
    event: Event,
    *,
    category_id: int,
    area_id: int,
    suggested: int | None,
    chosen: int | None,
    reason: str,
    at: datetime,
) -> RoutingCorrection:
    """Keep the override (the case's dispatch step records it too) and write its audit row."""
    row = RoutingCorrection(
        event_id=event.id,
        category_id=category_id,
        area_id=area_id,
        suggested_department_id=suggested,
        chosen_department_id=chosen,
        reason=reason,
        actor_id=actor.user_id,
        at=at,
    )
    session.add(row)
    session.flush()
    detail: dict[str, object] = {"event_id": event.id, "category_id": category_id, "area_id": area_id}
    detail.update({"suggested": suggested, "chosen": chosen, "reason": reason})
    record_audit(session, actor, DispatchAudit.ROUTING_CORRECTION, "routing_correction", row.id, detail)
    after_commit(session, invalidate)
    return row


def withdraw_on_return(session: Session, event: Published) -> None:
    """退回 (mis-dispatched): the correction behind the current dispatch stops counting — the chosen lead said
    the case is not theirs, so the suggestions must not learn it."""
    case = session.get(Event, event.aggregate_id)
    if case is None or case.dispatched_at is None:
        return
    withdrawn = (
        session.connection()
        .execute(
            update(RoutingCorrection)
            .where(
                RoutingCorrection.event_id == case.id,
                RoutingCorrection.returned_at.is_(None),
                RoutingCorrection.at >= case.dispatched_at,
            )
            .values(returned_at=event.at)
        )
        .rowcount
    )
    if withdrawn:
        after_commit(session, invalidate)
