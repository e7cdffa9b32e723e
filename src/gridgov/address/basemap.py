"""A base map drawn from the standard address library, for maps without tiles: the roads near a point, each a line
through its door plates in order along the road, and the buildings as points. The library holds points, not
shapes — a road's line is rebuilt from its doors (they were laid along it, offset to either side) and a building
has no footprint, so the page draws it as a small square at its point."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from pydantic import BaseModel, Field

from gridgov.address.records import AddressRecord

MAX_POINTS = 2000


class Road(BaseModel):
    code: str
    name: str
    line: list[tuple[float, float]] = Field(description="[lon, lat] WGS-84，沿道路顺序经过各门牌")


class Building(BaseModel):
    code: str
    name: str
    lon: float
    lat: float


class BaseMap(BaseModel):
    roads: list[Road]
    buildings: list[Building]
    note: str = "道路线由门牌点连成，建筑以点位表示（标准地址库不含建筑轮廓）"


def road_line(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The points in order along their main direction (the first principal axis), so that doors on both sides of
    a straight road make one line down it."""
    pts = np.asarray(list(points), dtype=np.float64)
    if len(pts) < 2:
        return [(float(x), float(y)) for x, y in pts]
    scale = np.array([np.cos(np.radians(pts[:, 1].mean())), 1.0])  # degrees of longitude are shorter
    centred = (pts - pts.mean(axis=0)) * scale
    _u, _s, vt = np.linalg.svd(centred, full_matrices=False)
    order = np.argsort(centred @ vt[0])
    return [(round(float(x), 6), round(float(y), 6)) for x, y in pts[order]]


def base_map(records: Mapping[str, AddressRecord], codes: Iterable[str]) -> BaseMap:
    """Roads (through their doors) and buildings among the addresses `codes` (doors and buildings near a point)."""
    doors: dict[str, list[tuple[float, float]]] = {}
    buildings: list[Building] = []
    for code in codes:
        rec = records.get(code)
        if rec is None or rec.lon is None or rec.lat is None:
            continue
        if rec.level == "door" and rec.parent_code:
            doors.setdefault(rec.parent_code, []).append((rec.lon, rec.lat))
        elif rec.level == "building":
            buildings.append(Building(code=rec.code, name=rec.full_name, lon=rec.lon, lat=rec.lat))
    roads = []
    for parent, pts in sorted(doors.items()):
        road = records.get(parent)
        if road is None or road.level != "road" or len(pts) < 2:
            continue
        roads.append(Road(code=road.code, name=road.name, line=road_line(pts)))
    return BaseMap(roads=roads, buildings=buildings)
