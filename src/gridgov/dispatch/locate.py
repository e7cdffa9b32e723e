"""Where a report is: its grid, point and standard address, found through the address library; and a case's
address confirmed later (by a dispatcher, or when the address review that the report raised is resolved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.geo import CRS, convert
from gridgov.address.matcher import MatchResult
from gridgov.address.models import Address
from gridgov.common.errors import InvalidInput
from gridgov.common.principal import Principal, Role
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import OPEN, Action, Status
from gridgov.org import cache
from gridgov.org.spatial import grid_locator

NEAREST_ADDRESS_M = 80.0


@dataclass
class Location:
    """Where a report is: its grid (None when it could not be placed), point, standard address and confidence."""

    grid_id: int | None
    lon: float | None = None
    lat: float | None = None
    address_code: str | None = None
    confidence: float | None = None
    review: MatchResult | None = None  # a match too weak to trust: goes to the review queue
    named_division: str | None = None  # not placed: the code of the most specific division the text names


def locate(session: Session, actor: Principal, where: IntakeCommand) -> Location:
    """grid code > coordinates (WGS-84, GCJ-02 or BD-09) > address text; the text is always translated when
    given, so the case gets its standard address; the coordinates find the nearest one otherwise."""
    snap = cache.snapshot(session)
    loc = Location(grid_id=None)
    if where.grid_code:
        grid_id = snap.by_code.get(where.grid_code)
        if grid_id is None or snap.divisions[grid_id].level != "grid":
            raise InvalidInput(f"网格代码“{where.grid_code}”不存在", field="grid_code")
        loc.grid_id = grid_id
    if where.lon is not None and where.lat is not None:
        lon, lat = convert(where.lon, where.lat, where.coord_system, "wgs84")
        loc.lon, loc.lat = round(lon, 6), round(lat, 6)
        if loc.grid_id is None:
            loc.grid_id = grid_locator(session).locate(loc.lon, loc.lat)
            if loc.grid_id is None:
                raise InvalidInput("坐标不在任何网格内，请核对位置和坐标系", field="lon")
    text = where.address_text.strip()
    if text or loc.lon is not None:
        eng = library.engines(session)
        if text:
            result = eng.matcher.match(text)
            if result.best is not None and not result.needs_review:
                loc.address_code, loc.confidence = result.best.code, round(result.confidence, 3)
            else:
                loc.review = result
        if loc.address_code is None and loc.lon is not None and loc.lat is not None:
            hit = eng.points.nearest(loc.lon, loc.lat, k=1, max_m=NEAREST_ADDRESS_M)
            if hit:
                loc.address_code = hit[0][0]
                loc.confidence = round(max(0.0, 1.0 - hit[0][1] / NEAREST_ADDRESS_M), 3)
        if loc.address_code is not None:
            rec = eng.records.get(loc.address_code)
            if rec is not None:
                if loc.lon is None and rec.lon is not None:
                    loc.lon, loc.lat = rec.lon, rec.lat
                if loc.grid_id is None:
                    grid_code = eng.grid_of(rec.code)
                    loc.grid_id = snap.by_code.get(grid_code) if grid_code else None
    if loc.grid_id is None and actor.role == Role.GRID_WORKER and len(actor.grid_ids) == 1:
        loc.grid_id = next(iter(actor.grid_ids))
    if loc.grid_id is None and text:
        named = library.engines(session).divisions.most_specific(text)
        loc.named_division = named.code if named is not None else None
    if loc.grid_id is None and not text:
        raise InvalidInput("请提供网格代码、经纬度或地址", field="grid_code")
    return loc


def place_at(session: Session, event: Event, address: Address, confidence: float) -> dict[str, object]:
    """Give a case its confirmed standard address; a case not yet placed also gets its grid and tier. Returns the
    step's data (the address, the confidence and, when it was placed now, the grid)."""
    eng = library.engines(session)
    snap = cache.snapshot(session)
    data: dict[str, object] = {"address": address.code, "confidence": confidence}
    event.address_id, event.address_confidence = address.id, confidence
    if event.lon is None and address.lon is not None:
        event.lon, event.lat = address.lon, address.lat
    if event.grid_id is None:
        grid_code = eng.grid_of(address.code)
        grid_id = snap.by_code.get(grid_code) if grid_code else None
        if grid_id is not None:
            grid = snap.divisions[grid_id]
            event.grid_id, event.division_path, event.area_class = grid_id, grid.path, grid.area_class
            event.owner_division_id = snap.ancestor_at(grid_id, event.level)
            data["grid"] = grid.code
    return data


def place_notice(
    snap: cache.OrgSnapshot, grid_id: int | None, status: str, owner_division_id: int | None
) -> tuple[bool, str | None]:
    """What the reporter of a case is told about its place: (needs a point on the map, the message)."""
    if grid_id is not None or Status(status) not in OPEN:
        return False, None
    owner = snap.divisions.get(owner_division_id or 0)
    where = f"{owner.name}分拨中心" if owner is not None else "分拨中心"
    return True, f"地址未能定位到具体网格，已交{where}确认位置。请在地图上标出事件位置，以便尽快派遣处理。"


def place_point(session: Session, event: Event, lon: float, lat: float, crs: CRS) -> dict[str, object]:
    """Place a case not yet on a grid at a point (converted to WGS-84): its grid, tier owner and the nearest
    standard address within 80 m. Returns the step's data."""
    x, y = convert(lon, lat, crs, "wgs84")
    x, y = round(x, 6), round(y, 6)
    grid_id = grid_locator(session).locate(x, y)
    if grid_id is None:
        raise InvalidInput("该位置不在任何网格内，请在地图上重新选择", field="lon")
    snap = cache.snapshot(session)
    grid = snap.divisions[grid_id]
    event.lon, event.lat = x, y
    event.grid_id, event.division_path, event.area_class = grid_id, grid.path, grid.area_class
    event.owner_division_id = snap.ancestor_at(grid_id, event.level)
    data: dict[str, object] = {"grid": grid.code, "lon": x, "lat": y}
    hit = library.engines(session).points.nearest(x, y, k=1, max_m=NEAREST_ADDRESS_M)
    if hit and event.address_id is None:
        address = session.scalar(select(Address).where(Address.code == hit[0][0]))
        if address is not None:
            event.address_id = address.id
            event.address_confidence = round(max(0.0, 1.0 - hit[0][1] / NEAREST_ADDRESS_M), 3)
            data["address"] = address.code
    return data


def attach_address(
    session: Session, actor: Principal, event: Event, address: Address, confidence: float, now: datetime
) -> Event:
    """`place_at`, recorded as the case's 确认地址 step."""
    data = place_at(session, event, address, confidence)
    apply_transition(session, actor, event, Action.LOCATE, now, note=address.full_name, data=data)
    return event
