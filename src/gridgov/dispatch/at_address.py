"""The cases at some standard addresses and their outcomes, inside the caller's case scope: the events part of
a block-data profile (一楼一档), registered with blockdata.profile at start-up (wiring.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.principal import Principal
from gridgov.dispatch.models import Event
from gridgov.dispatch.scope import event_scope


def cases_at(session: Session, actor: Principal, address_ids: Sequence[int], limit: int) -> list[dict[str, Any]]:
    if not address_ids:
        return []
    rows = session.execute(
        select(
            Event.id,
            Event.number,
            Event.title,
            Event.status,
            Event.reported_at,
            Event.closed_at,
            Event.result_note,
            Event.rating,
            EventCategory.name,
        )
        .outerjoin(EventCategory, EventCategory.id == Event.category_id)
        .where(Event.address_id.in_(list(address_ids)), Event.merged_into_id.is_(None), event_scope(actor))
        .order_by(Event.reported_at.desc())
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "number": r.number,
            "title": r.title,
            "status": r.status,
            "category": r.name,
            "reported_at": r.reported_at,
            "closed_at": r.closed_at,
            "outcome": r.result_note,
            "rating": r.rating,
        }
        for r in rows
    ]
