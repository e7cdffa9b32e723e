"""Possible duplicates of a case: open cases nearby (≤ 250 m, as FixMyStreet suggests) or in the same grid,
of the same 大类, reported within the last week; ranked by distance and title similarity."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.common.principal import Principal
from gridgov.common.timeutil import as_utc
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import OPEN
from gridgov.dispatch.scope import event_scope

RADIUS_M = 250.0
WINDOW = timedelta(days=7)
M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Duplicate:
    event: Event
    distance_m: float | None
    similarity: float  # 0..1, title likeness
    score: float


def find_duplicates(session: Session, actor: Principal, event: Event, limit: int = 5) -> list[Duplicate]:
    cats = catalog_cache.snapshot(session).by_id
    major = cats[event.category_id].parent_id if event.category_id in cats else None
    since = as_utc(event.reported_at) - WINDOW
    stmt = select(Event).where(
        Event.id != event.id,
        Event.status.in_([s.value for s in OPEN]),
        Event.reported_at >= since,
        event_scope(actor),
    )
    if event.lat is not None and event.lon is not None:
        dlat = RADIUS_M / M_PER_DEG
        dlon = RADIUS_M / (M_PER_DEG * math.cos(math.radians(event.lat)))
        near = Event.lat.between(event.lat - dlat, event.lat + dlat) & Event.lon.between(
            event.lon - dlon, event.lon + dlon
        )
        stmt = stmt.where(near | (Event.grid_id == event.grid_id) if event.grid_id is not None else near)
    elif event.grid_id is not None:
        stmt = stmt.where(Event.grid_id == event.grid_id)
    else:
        return []
    out: list[Duplicate] = []
    for other in session.scalars(stmt.order_by(Event.id.desc()).limit(200)):
        other_major = cats[other.category_id].parent_id if other.category_id in cats else None
        if major is not None and other_major is not None and major != other_major:
            continue
        distance = _distance(event, other)
        if distance is not None and distance > RADIUS_M and other.grid_id != event.grid_id:
            continue
        similarity = fuzz.token_set_ratio(event.title, other.title) / 100.0
        closeness = 1.0 - min(distance, RADIUS_M) / RADIUS_M if distance is not None else 0.5
        same_category = 1.0 if other.category_id is not None and other.category_id == event.category_id else 0.0
        score = 0.45 * closeness + 0.35 * similarity + 0.2 * same_category
        out.append(
            Duplicate(other, None if distance is None else round(distance, 1), round(similarity, 2), round(score, 3))
        )
    out.sort(key=lambda d: -d.score)
    return out[:limit]


def _distance(a: Event, b: Event) -> float | None:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    dy = (a.lat - b.lat) * M_PER_DEG
    dx = (a.lon - b.lon) * M_PER_DEG * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)
