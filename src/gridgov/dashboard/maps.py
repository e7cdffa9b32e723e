"""The map side of the screen: open cases per division (polygons) and their points, hotspot grids, and the
warning list (open cases with a yellow or red light, each with its point)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gridgov.common.errors import InvalidInput
from gridgov.common.levels import LEVEL_ORDER, Level
from gridgov.dashboard.measures import CLOSED_VALUES, OPEN_VALUES, in_period, open_now
from gridgov.dashboard.reference import categories, shapes
from gridgov.dashboard.schemas import HotspotItem, HotspotsOut, MapOut, Period, WarningItem, WarningsOut
from gridgov.dashboard.view import Rollup, View, Window, child_level, divisions_at, path_ids, period_window
from gridgov.dispatch.models import Event, SlaState
from gridgov.org.cache import DivisionInfo

MAP_EVENT_LIMIT = 3000


def warnings(session: Session, view: View, limit: int) -> WarningsOut:
    """Open cases with a yellow or red light: red first, then the nearest deadline."""
    red_first = case((Event.sla_state == SlaState.RED.value, 0), else_=1)
    rows = session.execute(
        open_now(
            select(
                Event.id,
                Event.number,
                Event.title,
                Event.sla_state,
                Event.deadline_at,
                Event.level,
                Event.grid_id,
                Event.category_id,
                Event.lon,
                Event.lat,
                Event.escalation_count,
            ).where(view.where(), Event.sla_state.in_((SlaState.RED.value, SlaState.YELLOW.value)))
        )
        .order_by(red_first, Event.deadline_at.is_(None), Event.deadline_at, Event.id)
        .limit(limit)
    ).all()
    cats = categories(session)
    items = [
        WarningItem(
            id=r[0],
            number=r[1],
            title=r[2],
            sla_state=r[3],
            deadline_at=r[4],
            level=r[5],
            grid_code=view.snap.divisions[r[6]].code if r[6] in view.snap.divisions else None,
            category_name=cats.names.get(r[7]) if r[7] is not None else None,
            lon=r[8],
            lat=r[9],
            escalation_count=r[10],
        )
        for r in rows
    ]
    return WarningsOut(items=items)


def hotspots(session: Session, view: View, win: Window, limit: int) -> HotspotsOut:
    """Grids with the most cases reported in the period (and how many of those are still open).

    Grouped by division_path (a located case carries its grid's path), so the reported_at index answers it
    alone; at most one row per grid comes back and is ranked here."""
    key = Event.division_path
    rows = session.execute(
        in_period(
            select(key, func.count(), func.count().filter(Event.status.in_(OPEN_VALUES))).where(view.where()),
            Event.reported_at,
            win.start,
            win.end,
        ).group_by(key)
    ).all()
    counted: list[tuple[int, int, DivisionInfo]] = []
    for path, count, still_open in rows:
        ids = path_ids(path)
        info = view.snap.divisions.get(ids[-1]) if ids else None
        if info is not None and info.level == Level.GRID.value:  # not placed yet: no grid to show
            counted.append((int(count), int(still_open or 0), info))
    counted.sort(key=lambda c: (-c[0], c[2].code))
    top = counted[:limit]
    pts = shapes(session, [c[2].id for c in top])
    items = []
    for count, still_open, info in top:
        shape = pts.get(info.id)
        items.append(
            HotspotItem(
                grid_code=info.code,
                grid_name=info.name,
                count=count,
                open=still_open,
                lon=shape.lon if shape else None,
                lat=shape.lat if shape else None,
            )
        )
    return HotspotsOut(items=items)


def map_level(view: View, level: str | None) -> str:
    """The level of the map's polygons: `level` if given (below the chosen division), else its children
    (a grid shows itself)."""
    if level is None:
        return child_level(view) or view.division.level
    if level not in LEVEL_ORDER or level == Level.CITY.value:
        raise InvalidInput("level 应为 district、street、community 或 grid", field="level")
    if LEVEL_ORDER[level] > LEVEL_ORDER[view.division.level]:
        raise InvalidInput("level 须低于所选区划的层级", field="level")
    if LEVEL_ORDER[level] == LEVEL_ORDER[view.division.level] and level != Level.GRID.value:
        raise InvalidInput("level 须低于所选区划的层级", field="level")
    return level


def map_data(session: Session, view: View, level: str, now: datetime | None = None) -> MapOut:
    """Polygons of the divisions at `level` with their open and red counts, and the points of open cases
    plus the cases closed today (newest first, at most MAP_EVENT_LIMIT)."""
    where = view.where()
    targets = divisions_at(view, level) if level != view.division.level else [view.division]
    counts: dict[int, list[int]] = {d.id: [0, 0] for d in targets}
    roll = Rollup(view, level)
    key = Event.division_path
    for path, n, red in session.execute(
        open_now(
            select(key, func.count(), func.count().filter(Event.sla_state == SlaState.RED.value)).where(where)
        ).group_by(key)
    ):
        target = roll.of(path)
        if target in counts:
            counts[target][0] += int(n)
            counts[target][1] += int(red or 0)
    geo = shapes(session, counts)
    features = [
        {
            "type": "Feature",
            "id": d.code,
            "geometry": geo[d.id].geometry if d.id in geo else None,
            "properties": {
                "code": d.code,
                "name": d.name,
                "level": d.level,
                "open": counts[d.id][0],
                "red": counts[d.id][1],
            },
        }
        for d in targets
    ]
    today = period_window(Period.TODAY, now)
    cols = (Event.id, Event.lon, Event.lat, Event.status, Event.sla_state, Event.category_id, Event.title)
    has_point = and_(Event.lon.is_not(None), Event.lat.is_not(None))
    open_rows = session.execute(
        open_now(select(*cols).where(where, has_point)).order_by(Event.id.desc()).limit(MAP_EVENT_LIMIT)
    ).all()
    closed_rows = session.execute(
        in_period(
            select(*cols).where(where, Event.status.in_(CLOSED_VALUES), has_point),
            Event.closed_at,
            today.start,
            today.end,
        )
        .order_by(Event.id.desc())
        .limit(MAP_EVENT_LIMIT)
    ).all()
    rows = sorted([*open_rows, *closed_rows], key=lambda r: -r[0])[:MAP_EVENT_LIMIT]
    names = categories(session).names
    # plain dicts validated in one pass by pydantic's core: cheaper than constructing 3,000 models in Python
    events = [
        {
            "id": r[0],
            "lon": r[1],
            "lat": r[2],
            "status": r[3],
            "sla_state": r[4],
            "category_name": names.get(r[5]) if r[5] is not None else None,
            "title": r[6],
        }
        for r in rows
        if r[1] is not None and r[2] is not None
    ]
    return MapOut.model_validate({"divisions": {"type": "FeatureCollection", "features": features}, "events": events})
