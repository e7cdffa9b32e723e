"""The IOC's emergency view: the open 重特大 cases of the screen's area, and for one of them its area — the case, the
open cases nearby, the grid workers of its grid and of the grids around it, and its timeline (every step and every
alert), with the grid-to-leader time (report → first leader acknowledgement)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.choices import Urgency
from gridgov.common.errors import Conflict, NotFound
from gridgov.common.timeutil import as_utc
from gridgov.dashboard.reference import categories
from gridgov.dashboard.view import View
from gridgov.dispatch.fasttrack import grid_to_leader_seconds
from gridgov.dispatch.models import AlertKind, AlertTier, Event, EventAlert, EventTransition
from gridgov.dispatch.rules import OPEN, Action, Status
from gridgov.org.models import Division, GridAssignment, User

NEARBY_METRES = 1500.0
OPEN_VALUES = sorted(s.value for s in OPEN)


class MajorCaseOut(BaseModel):
    id: int
    number: str | None
    title: str
    category: str | None
    status: str
    status_label: str
    grid_code: str | None
    grid_name: str | None
    lon: float | None
    lat: float | None
    reported_at: datetime
    leader_acked_at: datetime | None
    grid_to_leader_seconds: float | None
    alerts_total: int
    alerts_acknowledged: int


class NearbyCaseOut(BaseModel):
    id: int
    number: str | None
    title: str
    status_label: str
    urgency: str
    sla_state: str
    lon: float
    lat: float
    metres: int


class GridWorkerOut(BaseModel):
    name: str
    grid_code: str
    grid_name: str
    own_grid: bool  # the case's own grid (else a grid nearby)


class TimelineItemOut(BaseModel):
    at: datetime
    kind: str  # "step" | "alert" | "ack"
    label: str
    who: str | None = None
    note: str | None = None


class EmergencyOut(BaseModel):
    case: MajorCaseOut
    grid_geometry: dict[str, Any] | None
    nearby: list[NearbyCaseOut]
    grid_workers: list[GridWorkerOut]
    timeline: list[TimelineItemOut]


def _major_open(view: View) -> Any:
    return (Event.urgency == Urgency.MAJOR.value) & Event.status.in_(OPEN_VALUES) & view.where()


def _case_out(session: Session, e: Event, counts: tuple[int, int]) -> MajorCaseOut:
    names = categories(session).names
    grid = view_grid(session, e.grid_id)
    return MajorCaseOut(
        id=e.id,
        number=e.number,
        title=e.title,
        category=names.get(e.category_id) if e.category_id else None,
        status=e.status,
        status_label=Status(e.status).label,
        grid_code=grid.code if grid else None,
        grid_name=grid.name if grid else None,
        lon=e.lon,
        lat=e.lat,
        reported_at=e.reported_at,
        leader_acked_at=e.leader_acked_at,
        grid_to_leader_seconds=grid_to_leader_seconds(e),
        alerts_total=counts[0],
        alerts_acknowledged=counts[1],
    )


def view_grid(session: Session, grid_id: int | None) -> Division | None:
    return session.get(Division, grid_id) if grid_id is not None else None


def _alert_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    if not ids:
        return {}
    rows = session.execute(
        select(EventAlert.event_id, func.count(), func.count(EventAlert.acknowledged_at))
        .where(EventAlert.event_id.in_(ids), EventAlert.kind == AlertKind.MAJOR.value)
        .group_by(EventAlert.event_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def active_major(session: Session, view: View, limit: int = 20) -> list[MajorCaseOut]:
    """The open 重特大 cases of the screen's area, newest first."""
    events = session.scalars(select(Event).where(_major_open(view)).order_by(Event.id.desc()).limit(limit)).all()
    counts = _alert_counts(session, [e.id for e in events])
    return [_case_out(session, e, counts.get(e.id, (0, 0))) for e in events]


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine, WGS-84 mean radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def emergency_area(session: Session, view: View, event_id: int) -> EmergencyOut:
    """One open 重特大 case of the screen's area and what surrounds it."""
    e = session.scalar(select(Event).where(Event.id == event_id, _major_open(view)))
    if e is None:
        if session.scalar(select(Event.id).where(Event.id == event_id, view.where())) is not None:
            raise Conflict("该事件不是进行中的重特大事件", field="event_id")
        raise NotFound("该重特大事件不存在、已办结或不在本区域", field="event_id")
    grid = view_grid(session, e.grid_id)
    return EmergencyOut(
        case=_case_out(session, e, _alert_counts(session, [e.id]).get(e.id, (0, 0))),
        grid_geometry=grid.geometry if grid else None,
        nearby=_nearby(session, view, e),
        grid_workers=_grid_workers(session, e, grid),
        timeline=_timeline(session, e),
    )


def _nearby(session: Session, view: View, e: Event) -> list[NearbyCaseOut]:
    if e.lon is None or e.lat is None:
        return []
    dlat = NEARBY_METRES / 111_000
    dlon = dlat / max(math.cos(math.radians(e.lat)), 0.1)
    rows = session.execute(
        select(Event.id, Event.number, Event.title, Event.status, Event.urgency, Event.sla_state, Event.lon, Event.lat)
        .where(
            Event.status.in_(OPEN_VALUES),
            view.where(),
            Event.id != e.id,
            Event.lon.between(e.lon - dlon, e.lon + dlon),
            Event.lat.between(e.lat - dlat, e.lat + dlat),
        )
        .limit(500)
    ).all()
    out = []
    for r in rows:
        metres = metres_between(e.lon, e.lat, r.lon, r.lat)
        if metres <= NEARBY_METRES:
            out.append(
                NearbyCaseOut(
                    id=r.id,
                    number=r.number,
                    title=r.title,
                    status_label=Status(r.status).label,
                    urgency=r.urgency,
                    sla_state=r.sla_state,
                    lon=r.lon,
                    lat=r.lat,
                    metres=round(metres),
                )
            )
    return sorted(out, key=lambda n: n.metres)[:100]


def _grid_workers(session: Session, e: Event, grid: Division | None) -> list[GridWorkerOut]:
    """The grid workers of the case's grid and of the grids whose centre lies within reach of the case."""
    if grid is None:
        return []
    grids = {grid.id: grid}
    if e.lon is not None and e.lat is not None:
        dlat = NEARBY_METRES / 111_000
        dlon = dlat / max(math.cos(math.radians(e.lat)), 0.1)
        for g in session.scalars(
            select(Division).where(
                Division.level == "grid",
                Division.center_lon.between(e.lon - dlon, e.lon + dlon),
                Division.center_lat.between(e.lat - dlat, e.lat + dlat),
            )
        ):
            near = g.center_lon is not None and g.center_lat is not None
            if near and metres_between(e.lon, e.lat, g.center_lon or 0.0, g.center_lat or 0.0) <= NEARBY_METRES:
                grids[g.id] = g
    rows = session.execute(
        select(User.display_name, GridAssignment.grid_id)
        .join(GridAssignment, GridAssignment.user_id == User.id)
        .where(GridAssignment.grid_id.in_(list(grids)), User.active.is_(True))
        .order_by(GridAssignment.grid_id, User.id)
    ).all()
    workers = [
        GridWorkerOut(name=name, grid_code=grids[gid].code, grid_name=grids[gid].name, own_grid=gid == grid.id)
        for name, gid in rows
    ]
    return sorted(workers, key=lambda w: not w.own_grid)


def _timeline(session: Session, e: Event) -> list[TimelineItemOut]:
    items = [
        TimelineItemOut(at=t.at, kind="step", label=Action(t.action).label, who=t.actor_role, note=t.note)
        for t in session.scalars(
            select(EventTransition).where(EventTransition.event_id == e.id).order_by(EventTransition.id)
        )
    ]
    for alert, name in session.execute(
        select(EventAlert, User.display_name)
        .join(User, User.id == EventAlert.user_id)
        .where(EventAlert.event_id == e.id)
        .order_by(EventAlert.id)
    ):
        tier = AlertTier(alert.tier).label
        label = "告警升级" if alert.kind == AlertKind.ESCALATION.value else "重特大告警"
        items.append(TimelineItemOut(at=alert.raised_at, kind="alert", label=f"{label}（{tier}）", who=name))
        if alert.acknowledged_at is not None:
            items.append(TimelineItemOut(at=alert.acknowledged_at, kind="ack", label=f"已确认（{tier}）", who=name))
    return sorted(items, key=lambda i: as_utc(i.at))
