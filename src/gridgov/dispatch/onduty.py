"""Who is on duty at a centre: the one place the 重特大 fast track asks.

Until the centres keep on-duty rosters, the dispatchers on duty for a case are every active dispatcher of its
district's centre (the city centre's when the district has none). When rosters exist, this function is the one
to switch to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.principal import Role
from gridgov.org import cache
from gridgov.org.models import User


def on_duty_dispatchers(session: Session, division_id: int) -> list[int]:
    """The user ids of the dispatchers on duty for a case located in `division_id` (a grid or any division)."""
    snap = cache.snapshot(session)
    district = snap.ancestor_at(division_id, "district")
    for centre in (district, snap.ancestor_at(division_id, "city")):
        if centre is None:
            continue
        ids = list(
            session.scalars(
                select(User.id)
                .where(User.role == Role.DISPATCHER.value, User.division_id == centre, User.active.is_(True))
                .order_by(User.id)
            )
        )
        if ids:
            return ids
    return []
