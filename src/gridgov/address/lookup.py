"""Reading the library: text translated to standard addresses, and a point located on the grid tree with the
nearest standard addresses around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.geo import CRS, convert
from gridgov.address.matcher import MatchResult
from gridgov.org import cache
from gridgov.org.spatial import grid_locator


def translate(session: Session, text_in: str) -> MatchResult:
    return library.engines(session).matcher.match(text_in)


def translate_batch(session: Session, texts: Sequence[str]) -> list[MatchResult]:
    return library.engines(session).matcher.match_batch(texts)


@dataclass
class Located:
    lon: float
    lat: float
    grid: dict[str, str] | None
    community: dict[str, str] | None
    street: dict[str, str] | None
    district: dict[str, str] | None
    nearest: list[dict[str, Any]]


def locate_point(
    session: Session, lon: float, lat: float, crs: CRS = "wgs84", k: int = 5, max_m: float = 300.0
) -> Located:
    """Point → grid, community, street, district, and the nearest standard addresses."""
    wlon, wlat = convert(lon, lat, crs, "wgs84")
    snap = cache.snapshot(session)
    grid_id = grid_locator(session).locate(wlon, wlat)
    levels: dict[str, dict[str, str] | None] = {"grid": None, "community": None, "street": None, "district": None}
    if grid_id is not None:
        for place in snap.ancestry(grid_id):
            if place.level in levels:
                info = snap.divisions[place.id]
                levels[place.level] = {"code": info.code, "name": info.name}
    eng = library.engines(session)
    nearest = [
        {
            "code": code,
            "full_name": eng.records[code].full_name,
            "level": eng.records[code].level,
            "distance_m": round(dist, 1),
        }
        for code, dist in eng.points.nearest(wlon, wlat, k=k, max_m=max_m)
    ]
    return Located(
        round(wlon, 6),
        round(wlat, 6),
        levels["grid"],
        levels["community"],
        levels["street"],
        levels["district"],
        nearest,
    )
