"""A community's planned roads, doors, compounds and buildings (the structure, drawn first) and their layout:
points placed in vectorized batches (doors along their road, offset to the odd or even side; compounds beside
their door or road; buildings around their compound, village houses in rows along their lanes), then the
address records with codes, full names, points and grids."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]

from gridgov.address.records import AddressRecord
from gridgov.demo.community_area import M_PER_DEG_LAT, CommunityArea, FloatArray, Geom, IntArray

__all__ = ["CommunityPlan", "CompoundPlan", "DoorPlan", "RoadName", "RoadPlan", "lay_out"]


@dataclass
class RoadName:
    name: str
    stem: str
    suffix: str
    alias: str | None


@dataclass
class RoadPlan:
    road: RoadName
    line: Geom
    length_m: float
    door_count: int = 0


@dataclass
class DoorPlan:
    road_index: int
    number: int
    position: float  # fraction of the road line's length
    side: int  # +1 odd side, -1 even side
    taken: bool = False


@dataclass
class CompoundPlan:
    name: str
    kind: str  # residential | office | industrial | village
    parent: tuple[str, int] | None  # ("door", index) | ("road", index) | None
    buildings: list[str]
    alias: str | None = None


@dataclass
class CommunityPlan:
    roads: list[RoadPlan] = field(default_factory=list)
    doors: list[DoorPlan] = field(default_factory=list)
    compounds: list[CompoundPlan] = field(default_factory=list)
    door_buildings: dict[int, list[str]] = field(default_factory=dict)  # door index -> building names


def lay_out(
    planned: CommunityPlan,
    area: CommunityArea,
    rng: np.random.Generator,
    angle: float,
    community_code: str,
    prefix: str,
) -> list[AddressRecord]:
    """Points and records for a community's plan; ``angle`` orients the village lanes, ``prefix`` is the full
    name of the community ("深圳市福田区…社区") that every full address name starts with."""

    # Doors: along the road line, offset 12 m to the odd/even side.
    door_pts = np.empty((len(planned.doors), 2))
    door_normals = np.zeros((len(planned.doors), 2))
    start = 0
    for plan in planned.roads:
        count = plan.door_count
        doors = planned.doors[start : start + count]
        start += count
        if not doors:
            continue
        length = float(plan.line.length)
        positions = np.array([d.position for d in doors]) * length
        on_line = shapely.get_coordinates(shapely.line_interpolate_point(plan.line, positions))
        coords = shapely.get_coordinates(plan.line)
        direction = np.array(
            [(coords[-1, 0] - coords[0, 0]) * area.m_per_deg_lon, (coords[-1, 1] - coords[0, 1]) * M_PER_DEG_LAT]
        )
        direction = direction / max(float(np.hypot(*direction)), 1e-9)
        normal_m = np.array([-direction[1], direction[0]])
        sides = np.array([d.side for d in doors], dtype=np.float64)
        offset = area.metres(normal_m[0] * 12.0 * sides, normal_m[1] * 12.0 * sides)
        door_pts[start - count : start] = on_line + offset
        door_normals[start - count : start] = np.outer(sides, normal_m)
    door_pts, door_grid = area.settle(door_pts, area.uniform(len(planned.doors)))

    # Compounds: beside their door (away from the road), on their road, or anywhere in the community.
    n_compounds = len(planned.compounds)
    centers = np.empty((n_compounds, 2))
    anchors = area.uniform(n_compounds)
    for index, compound in enumerate(planned.compounds):
        radius = float(np.clip(18.0 * math.sqrt(len(compound.buildings)), 25.0, 160.0))
        if compound.parent is not None and compound.parent[0] == "door":
            door = compound.parent[1]
            push = door_normals[door] * (radius + 10.0)
            centers[index] = door_pts[door] + area.metres(push[:1], push[1:])[0]
            anchors[index] = door_pts[door]
        elif compound.parent is not None:
            line = planned.roads[compound.parent[1]].line
            point = shapely.line_interpolate_point(line, float(rng.uniform(0.1, 0.9)), normalized=True)
            push = rng.normal(0, radius, 2)
            centers[index] = np.array([point.x, point.y]) + area.metres(push[:1], push[1:])[0]
        else:
            centers[index] = anchors[index]
    centers, compound_grid = area.settle(centers, anchors)

    # Buildings: a cloud around the compound centre; village houses in rows along their lanes.
    owners: list[int] = []
    offsets_m: list[FloatArray] = []
    for index, compound in enumerate(planned.compounds):
        count = len(compound.buildings)
        owners.extend([index] * count)
        if compound.kind == "village":
            lanes = [name[: name.index("巷") + 1] for name in compound.buildings]
            lane_ids = {lane: i for i, lane in enumerate(dict.fromkeys(lanes))}
            house = np.array([int(name[name.index("巷") + 1 : -1]) for name in compound.buildings], dtype=float)
            lane_index = np.array([lane_ids[lane] for lane in lanes], dtype=float)
            across = (lane_index - (len(lane_ids) - 1) / 2) * 22.0
            along = (house - 7.0) * 11.0
            ca, sa = math.cos(angle), math.sin(angle)
            jitter = rng.normal(0, 1.5, (count, 2))
            offsets_m.append(np.column_stack((along * ca - across * sa, along * sa + across * ca)) + jitter)
        else:
            radius = float(np.clip(18.0 * math.sqrt(count), 25.0, 160.0))
            offsets_m.append(rng.normal(0, radius / 2, (count, 2)))
    for door, names in planned.door_buildings.items():
        owners.extend([-1 - door] * len(names))
        offsets_m.append(rng.normal(0, 12.0, (len(names), 2)))
    owner_arr = np.array(owners, dtype=np.int64)
    offsets = np.concatenate(offsets_m) if offsets_m else np.empty((0, 2))
    base = np.empty((len(owner_arr), 2))
    in_compound = owner_arr >= 0
    base[in_compound] = centers[owner_arr[in_compound]]
    base[~in_compound] = door_pts[-1 - owner_arr[~in_compound]]
    building_pts, building_grid = area.settle(base + area.metres(offsets[:, 0], offsets[:, 1]), base)

    return _records(
        planned, area, community_code, prefix, door_pts, door_grid, centers, compound_grid, building_pts, building_grid
    )


def _records(
    planned: CommunityPlan,
    area: CommunityArea,
    community_code: str,
    prefix: str,
    door_pts: FloatArray,
    door_grid: IntArray,
    centers: FloatArray,
    compound_grid: IntArray,
    building_pts: FloatArray,
    building_grid: IntArray,
) -> list[AddressRecord]:
    cc = community_code
    grid_codes = area.grid_codes
    out: list[AddressRecord] = []
    road_codes: list[str] = []
    road_full: list[str] = []
    for seq, plan in enumerate(planned.roads, start=1):
        code = f"{cc}R{seq:03d}"
        full = prefix + plan.road.name
        road_codes.append(code)
        road_full.append(full)
        aliases = (plan.road.alias,) if plan.road.alias else ()
        out.append(AddressRecord(code, "road", plan.road.name, full, None, cc, aliases=aliases))
    door_codes: list[str] = []
    door_full: list[str] = []
    for seq, door in enumerate(planned.doors, start=1):
        code = f"{cc}D{seq:04d}"
        name = f"{door.number}号"
        full = road_full[door.road_index] + name
        door_codes.append(code)
        door_full.append(full)
        lon, lat = (float(v) for v in door_pts[seq - 1])
        out.append(
            AddressRecord(
                code,
                "door",
                name,
                full,
                road_codes[door.road_index],
                cc,
                grid_codes[int(door_grid[seq - 1])],
                lon,
                lat,
            )
        )
    compound_codes: list[str] = []
    compound_full: list[str] = []
    for seq, compound in enumerate(planned.compounds, start=1):
        code = f"{cc}C{seq:03d}"
        if compound.parent is None:
            parent_code, parent_full = None, prefix
        elif compound.parent[0] == "door":
            parent_code, parent_full = door_codes[compound.parent[1]], door_full[compound.parent[1]]
        else:
            parent_code, parent_full = road_codes[compound.parent[1]], road_full[compound.parent[1]]
        full = parent_full + compound.name
        compound_codes.append(code)
        compound_full.append(full)
        lon, lat = (float(v) for v in centers[seq - 1])
        out.append(
            AddressRecord(
                code,
                "compound",
                compound.name,
                full,
                parent_code,
                cc,
                grid_codes[int(compound_grid[seq - 1])],
                lon,
                lat,
                (compound.alias,) if compound.alias else (),
            )
        )
    seq = 0
    owners: list[tuple[str, str, list[str]]] = [
        (compound_codes[i], compound_full[i], c.buildings) for i, c in enumerate(planned.compounds)
    ]
    owners.extend((door_codes[d], door_full[d], names) for d, names in planned.door_buildings.items())
    for parent_code, parent_full, names in owners:
        for name in names:
            lon, lat = (float(v) for v in building_pts[seq])
            grid = grid_codes[int(building_grid[seq])]
            seq += 1
            out.append(
                AddressRecord(f"{cc}B{seq:05d}", "building", name, parent_full + name, parent_code, cc, grid, lon, lat)
            )
    return out
