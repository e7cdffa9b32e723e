"""Synthetic standard address library (标准地址库) for the demo city, built on the demo geography.

Pure builder: no database, no files, no network. Given a :class:`~gridgov.demo.geography.DemoGeography`
it generates, per community, a plausible set of

* roads (街路巷): names from character pools plus suffixes (路/街/大道/巷/一路/二路/东路...); a road may be
  continued into a neighbouring community of the same street (same name, own code, numbering goes on);
* door numbers (门牌) along each road, odd numbers on one side and even on the other;
* compounds (小区/花园/新村/大厦/广场/工业区/城中村...) on a door number (``福民路123号福民新村``), on a road
  (``XX路XX工业园``) or directly on the community (城中村 ``上沙村``, with ``东一巷`` style lanes);
* buildings (楼栋) in a compound (``3栋``, ``A座``; village houses ``东一巷3号``) or directly on a door number.

Doors, compounds and buildings get a WGS-84 point (6 decimals) strictly inside one of the community's
grid polygons (as published in the geography's GeoJSON), and that grid's code. Units, floors and rooms
are not materialised. Everything is synthetic: the names are generated, not real addresses.

Codes are the 12-digit community code, a level letter and a per-community sequence:
``R001`` road, ``D0001`` door, ``C001`` compound, ``B00001`` building. The result is deterministic for a
given geography and seed. Compound names and aliases are unique city-wide (so a compound name alone
identifies it), road names are unique within a district (a road continued into a neighbouring community
keeps its name and its numbering), and a road name + door number is unique within a district. Because
names are unique over the whole geography, a district's names depend on which districts are built.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import NDArray

from gridgov.address.normalize import int_to_cn
from gridgov.address.records import AddressRecord, DivisionRecord, division_aliases
from gridgov.demo.geography import DemoDivision, DemoGeography

__all__ = [
    "DEFAULT_BUILDINGS_PER_COMMUNITY",
    "DEFAULT_SEED",
    "DemoLibrary",
    "build_demo_library",
    "division_aliases",
]

DEFAULT_SEED = 20261121
DEFAULT_BUILDINGS_PER_COMMUNITY = 130

Geom = Any  # shapely ships no type information
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ProgressFn = Callable[[str, int, int], None]

_DECIMALS = 6
_M_PER_DEG_LAT = 111_320.0
_MAX_ROADS = 999
_MAX_DOORS = 9999
_MAX_COMPOUNDS = 999
_MAX_BUILDINGS = 99999

# Characters that never appear inside a generated stem: level words, numerals (they would be read as
# numbers next to 号/栋) and characters that make a stem look like a suffix.
_FORBIDDEN = set("省市区县镇乡村社路街道巷弄号栋幢座层楼室单元户期一二三四五六七八九十百千万两零〇")

# Road stems: first and second characters (auspicious / topographic, as in Shenzhen road names).
_ROAD_A = (
    "福华新金宝龙兴安康泰景莲荔梅松桂竹海沙岭田洪红翠碧彩益振建和平文明光创科鹏"
    "凤鸿锦嘉瑞祥丰盛昌隆永长美怡乐春银玉望香桃石岩布横葵观大民前东西南北中上下"
)
_ROAD_B = "田民华园林岭湖海湾沙山河溪塘坑围岗坪景苑荔竹梅松桂安康兴隆盛昌丰宁和平新源泉洲港城门阁亭峰"
# Compound stems (residential / commercial naming style).
_COMP_A = "碧翠锦绣嘉瑞祥怡康泰御金银玉鸿华富丽雅清星月阳海山水云天蓝绿紫桂兰梅荷枫柏椰榕君名豪东西南北中万"
_COMP_B = "海湾苑庭轩阁居城府景峰湖岸林庄都廷源泉溪山花悦雅华馨逸韵阳晖"
_INDUSTRY_B = "丰发达兴盛昌隆联宝富源通科创业利华泰安"

_ROAD_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("路", 0.40),
    ("街", 0.11),
    ("大道", 0.06),
    ("巷", 0.05),
    ("道", 0.03),
    ("一路", 0.08),
    ("二路", 0.07),
    ("三路", 0.03),
    ("东路", 0.03),
    ("西路", 0.03),
    ("南路", 0.03),
    ("北路", 0.03),
    ("中路", 0.02),
    ("横街", 0.01),
    ("新街", 0.02),
)
_RESIDENTIAL_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("花园", 0.26),
    ("新村", 0.14),
    ("小区", 0.12),
    ("家园", 0.08),
    ("公寓", 0.06),
    ("雅苑", 0.07),
    ("华庭", 0.06),
    ("名苑", 0.05),
    ("山庄", 0.04),
    ("豪庭", 0.04),
    ("苑", 0.04),
    ("城", 0.04),
)
_OFFICE_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("大厦", 0.55),
    ("广场", 0.22),
    ("中心", 0.10),
    ("商务中心", 0.06),
    ("科技大厦", 0.07),
)
_INDUSTRIAL_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("工业区", 0.50),
    ("工业园", 0.30),
    ("科技园", 0.12),
    ("产业园", 0.08),
)
# Compound kind mix by area class (A: central, C: outer); villages are drawn separately.
_KIND_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "A": (("residential", 0.55), ("office", 0.37), ("industrial", 0.08)),
    "B": (("residential", 0.55), ("office", 0.15), ("industrial", 0.30)),
    "C": (("residential", 0.45), ("office", 0.05), ("industrial", 0.50)),
}
_VILLAGE_PROBABILITY = {"A": 0.30, "B": 0.50, "C": 0.60}
_LANE_DIRECTIONS = "东西南北中"

_COMPOUND_ALIAS_SHARE = 0.2
_ROAD_ALIAS_SHARE = 0.12
_SHARED_ROAD_SHARE = 0.35
_DOOR_BUILDING_SHARE = 0.06
_DOOR_GAPS = np.array([1, 1, 1, 1, 2, 2, 3, 5], dtype=np.int64)  # steps between door numbers (x2)


@dataclass(frozen=True)
class DemoLibrary:
    """Divisions (city, districts, streets, communities; parents first) and addresses (parents first)."""

    divisions: list[DivisionRecord]
    addresses: list[AddressRecord]

    def counts(self) -> dict[str, int]:
        """Number of addresses per level."""
        result: dict[str, int] = {}
        for record in self.addresses:
            result[record.level] = result.get(record.level, 0) + 1
        return result


# --------------------------------------------------------------------------------------------------
# Plans (structure first, geometry afterwards in vectorized batches)
# --------------------------------------------------------------------------------------------------


@dataclass
class _RoadName:
    name: str
    stem: str
    suffix: str
    alias: str | None


@dataclass
class _RoadPlan:
    road: _RoadName
    line: Geom
    length_m: float
    door_count: int = 0


@dataclass
class _DoorPlan:
    road_index: int
    number: int
    position: float  # fraction of the road line's length
    side: int  # +1 odd side, -1 even side
    taken: bool = False


@dataclass
class _CompoundPlan:
    name: str
    kind: str  # residential | office | industrial | village
    parent: tuple[str, int] | None  # ("door", index) | ("road", index) | None
    buildings: list[str]
    alias: str | None = None


@dataclass
class _DistrictState:
    road_names: set[str] = field(default_factory=set)  # names and aliases in use in the district
    numbering: dict[str, list[int]] = field(default_factory=dict)  # road name -> [next odd, next even]


@dataclass
class _GlobalState:
    compound_names: set[str] = field(default_factory=set)  # names and aliases, city-wide unique
    reserved: set[str] = field(default_factory=set)  # division names and aliases: never a compound name
    districts: dict[str, _DistrictState] = field(default_factory=dict)
    # street code -> [(community polygon, road names planned there)]
    street_roads: dict[str, list[tuple[Geom, list[_RoadName]]]] = field(default_factory=dict)


def _weighted(rng: np.random.Generator, options: Sequence[tuple[str, float]]) -> str:
    weights = np.array([w for _, w in options], dtype=np.float64)
    index = int(rng.choice(len(options), p=weights / weights.sum()))
    return options[index][0]


def _pick(rng: np.random.Generator, pool: str) -> str:
    return pool[int(rng.integers(len(pool)))]


def _stem(rng: np.random.Generator, first: str, second: str) -> str:
    while True:
        a, b = _pick(rng, first), _pick(rng, second)
        if a != b:
            return a + b


def _clean_stem(text: str) -> str | None:
    """A usable 2-3 character stem, or None."""
    if 2 <= len(text) <= 3 and not any(ch in _FORBIDDEN for ch in text):
        return text
    return None


def _letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


# --------------------------------------------------------------------------------------------------
# Geometry of one community
# --------------------------------------------------------------------------------------------------


class _Area:
    """The community's grids (as published, rounded GeoJSON) with vectorized point location."""

    def __init__(self, community: DemoDivision, grids: list[DemoDivision], rng: np.random.Generator) -> None:
        self.rng = rng
        self.grid_codes = [g.code for g in grids]
        self.grids = [shapely.from_geojson(json.dumps(g.geometry)) for g in grids]
        for geom in self.grids:
            shapely.prepare(geom)
        community_geom = shapely.from_geojson(json.dumps(community.geometry))
        inner = shapely.buffer(community_geom, -2e-5)
        self.inner = inner if not inner.is_empty else community_geom
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(self.grids))
        self.bounds = (minx, miny, maxx, maxy)
        self.lat0 = (miny + maxy) / 2
        self.m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        self.fill = max(sum(float(g.area) for g in self.grids) / max((maxx - minx) * (maxy - miny), 1e-18), 0.02)
        self._pool = np.empty((0, 2))
        self._pool_used = 0

    def locate(self, points: FloatArray) -> IntArray:
        """Grid index of each (already rounded) point, -1 when it is in no grid's interior."""
        result = np.full(len(points), -1, dtype=np.int64)
        if len(points) == 0:
            return result
        for index, grid in enumerate(self.grids):
            pending = np.flatnonzero(result < 0)
            if len(pending) == 0:
                break
            hits = shapely.contains_xy(grid, points[pending, 0], points[pending, 1])
            result[pending[hits]] = index
        return result

    def uniform(self, count: int) -> FloatArray:
        """``count`` rounded points, each strictly inside one of the grids."""
        rounds = 0
        while len(self._pool) - self._pool_used < count:
            rounds += 1
            if rounds > 50:  # degenerate (near zero-area) grids: use their representative points
                reps = np.round(shapely.get_coordinates(shapely.point_on_surface(self.grids)), _DECIMALS)
                reps = reps[self.locate(reps) >= 0]
                if len(reps) == 0:
                    raise ValueError("a community's grids have no interior to place addresses in")
                self._pool = np.concatenate([self._pool[self._pool_used :], np.resize(reps, (count, 2))])
                self._pool_used = 0
                break
            minx, miny, maxx, maxy = self.bounds
            batch = max(256, int(2 * count / self.fill))
            xs = self.rng.uniform(minx, maxx, batch)
            ys = self.rng.uniform(miny, maxy, batch)
            pts: FloatArray = np.round(np.column_stack((xs, ys)), _DECIMALS).astype(np.float64)
            pts = pts[self.locate(pts) >= 0]
            self._pool = np.concatenate([self._pool[self._pool_used :], pts])
            self._pool_used = 0
        out = self._pool[self._pool_used : self._pool_used + count]
        self._pool_used += count
        return np.asarray(out, dtype=np.float64)

    def settle(self, points: FloatArray, anchors: FloatArray) -> tuple[FloatArray, IntArray]:
        """Round ``points``; any that fall outside every grid is pulled towards its anchor (inside)."""
        pts = np.round(points, _DECIMALS)
        where = self.locate(pts)
        for fraction in (0.35, 0.7, 1.0):
            bad = np.flatnonzero(where < 0)
            if len(bad) == 0:
                break
            moved = np.round(pts[bad] + (anchors[bad] - pts[bad]) * fraction, _DECIMALS)
            pts[bad] = moved
            where[bad] = self.locate(moved)
        bad = np.flatnonzero(where < 0)
        if len(bad):  # anchors should always be inside; never leave a point outside
            pts[bad] = self.uniform(len(bad))
            where[bad] = self.locate(pts[bad])
        return pts, where

    def metres(self, dx_m: FloatArray, dy_m: FloatArray) -> FloatArray:
        return np.column_stack((dx_m / self.m_per_deg_lon, dy_m / _M_PER_DEG_LAT))

    def road_line(self, angle: float) -> tuple[Geom, float] | None:
        """A straight road through a random interior point, clipped to the community (longest piece)."""
        best: tuple[Geom, float] | None = None
        for _ in range(6):
            px, py = self.uniform(1)[0]
            dx = math.cos(angle) * 0.05
            dy = math.sin(angle) * 0.05
            line = shapely.linestrings([(px - dx, py - dy), (px + dx, py + dy)])
            clipped = shapely.intersection(line, self.inner)
            parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString" and not p.is_empty]
            if not parts:
                continue
            piece = max(parts, key=lambda p: float(p.length))
            coords = shapely.get_coordinates(piece)
            length_m = float(
                np.hypot(
                    (coords[-1, 0] - coords[0, 0]) * self.m_per_deg_lon,
                    (coords[-1, 1] - coords[0, 1]) * _M_PER_DEG_LAT,
                )
            )
            if best is None or length_m > best[1]:
                best = (piece, length_m)
            if length_m >= 250:
                break
        return best


# --------------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------------


class _CommunityBuilder:
    def __init__(
        self,
        state: _GlobalState,
        community: DemoDivision,
        street: DemoDivision,
        district: DemoDivision,
        grids: list[DemoDivision],
        seed: int,
        target_buildings: int,
        prefix: str,
    ) -> None:
        self.state = state
        self.community = community
        self.street = street
        self.district = district
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, int(community.code), 7]))
        self.area = _Area(community, grids, self.rng)
        self.district_state = state.districts.setdefault(district.code, _DistrictState())
        self.target = max(1, round(target_buildings * float(self.rng.uniform(0.75, 1.25))))
        self.prefix = prefix
        self.area_class = community.area_class if community.area_class in _KIND_WEIGHTS else "B"
        self.angle = float(self.rng.uniform(0, math.pi / 2))
        stem = community.name.removesuffix("社区")
        self.community_stem = stem
        self.roads: list[_RoadPlan] = []
        self.doors: list[_DoorPlan] = []
        self.compounds: list[_CompoundPlan] = []
        self.door_buildings: dict[int, list[str]] = {}

    # names ------------------------------------------------------------------------------------------

    def _new_road_name(self) -> _RoadName:
        used = self.district_state.road_names
        rng = self.rng
        for attempt in range(60):
            suffix = _weighted(rng, _ROAD_SUFFIXES)
            stem: str | None = None
            if attempt < 2 and rng.random() < 0.15:
                stem = _clean_stem(self.community_stem)
            if stem is None:
                stem = _stem(rng, _ROAD_A, _ROAD_B)
            name = stem + suffix
            if name in used:
                continue
            alias: str | None = None
            if rng.random() < _ROAD_ALIAS_SHARE:
                alias = stem + "公路" if suffix == "大道" else _stem(rng, _ROAD_A, _ROAD_B) + suffix
                if alias in used or alias == name:
                    alias = None
            used.add(name)
            if alias:
                used.add(alias)
            return _RoadName(name=name, stem=stem, suffix=suffix, alias=alias)
        raise RuntimeError("could not find a free road name")  # pragma: no cover

    def _claim_compound_name(self, name: str) -> bool:
        if name in self.state.compound_names or name in self.state.reserved:
            return False
        self.state.compound_names.add(name)
        return True

    def _compound_alias(self, name: str, stem: str, suffix: str, kind: str) -> str | None:
        rng = self.rng
        candidates: list[str] = []
        if suffix == "新村":
            candidates.append(stem + "村")
        elif suffix == "工业区":
            candidates.append(stem + "工业园")
        elif suffix == "工业园":
            candidates.append(stem + "工业区")
        elif suffix == "花园":
            candidates.append(stem + "园")
        elif suffix == "大厦":
            candidates.append(stem + "大楼")
        elif kind == "village":
            candidates.extend([stem.removesuffix("村") + "旧村", stem.removesuffix("村") + "老村"])
        elif len(stem) >= 2:
            candidates.append(stem)  # short name: "XX广场" -> "XX"
        if rng.random() < 0.3 or not candidates:  # an old name instead
            candidates.insert(0, _stem(rng, _COMP_A, _COMP_B) + suffix)
        for candidate in candidates:
            if candidate != name and self._claim_compound_name(candidate):
                return candidate
        return None

    def _new_compound(self, kind: str, parent: tuple[str, int] | None, buildings: list[str]) -> _CompoundPlan:
        rng = self.rng
        suffixes = {
            "residential": _RESIDENTIAL_SUFFIXES,
            "office": _OFFICE_SUFFIXES,
            "industrial": _INDUSTRIAL_SUFFIXES,
        }[kind]
        for attempt in range(80):
            suffix = _weighted(rng, suffixes)
            stem: str | None = None
            roll = rng.random()
            if attempt < 3 and parent is not None and roll < 0.3:
                road = self.roads[self.doors[parent[1]].road_index if parent[0] == "door" else parent[1]].road
                stem = road.stem
            elif attempt < 3 and roll < 0.4:
                stem = _clean_stem(self.community_stem)
            if stem is None:
                if kind == "industrial" or (kind == "office" and rng.random() < 0.5):
                    stem = _stem(rng, _ROAD_A, _INDUSTRY_B)
                else:
                    stem = _stem(rng, _COMP_A, _COMP_B)
            if stem[-1] == suffix[0] or (suffix in {"苑", "城"} and stem[-1] in "苑城"):
                continue
            name = stem + suffix
            if not self._claim_compound_name(name):
                continue
            plan = _CompoundPlan(name=name, kind=kind, parent=parent, buildings=buildings)
            if rng.random() < _COMPOUND_ALIAS_SHARE:
                plan.alias = self._compound_alias(name, stem, suffix, kind)
            return plan
        raise RuntimeError("could not find a free compound name")  # pragma: no cover

    # structure ----------------------------------------------------------------------------------------

    def _plan_roads(self) -> None:
        rng = self.rng
        count = int(np.clip(round(self.target / 26 + rng.integers(-1, 2)), 3, 9))
        inherited: list[_RoadName] = []
        neighbours = self.state.street_roads.setdefault(self.street.code, [])
        community_geom = self.area.inner
        for polygon, names in neighbours[-12:]:
            if names and rng.random() < _SHARED_ROAD_SHARE and shapely.dwithin(polygon, community_geom, 1e-4):
                candidate = names[int(rng.integers(len(names)))]
                if all(candidate.name != r.name for r in inherited):
                    inherited.append(candidate)
            if len(inherited) >= 2:
                break
        names = inherited[: count - 1] + [self._new_road_name() for _ in range(count - len(inherited[: count - 1]))]
        for road in names:
            angle = self.angle + (math.pi / 2 if rng.random() < 0.5 else 0.0) + float(rng.normal(0, 0.08))
            found = self.area.road_line(angle)
            if found is None:
                continue
            line, length_m = found
            self.roads.append(_RoadPlan(road=road, line=line, length_m=length_m))
        neighbours.append((community_geom, [plan.road for plan in self.roads]))
        if len(self.roads) > _MAX_ROADS:
            raise ValueError("too many roads in one community")

    def _plan_doors(self) -> None:
        rng = self.rng
        numbering = self.district_state.numbering
        for road_index, plan in enumerate(self.roads):
            count = int(np.clip(plan.length_m / 75 + rng.integers(-2, 3), 4, 26))
            positions = np.sort(rng.uniform(0.03, 0.97, count))
            sides = np.where(rng.random(count) < 0.5, 1, -1)
            counters = numbering.get(plan.road.name)
            if counters is None:
                base = 1
                if plan.road.suffix == "大道":
                    base = int(rng.integers(5, 400)) * 20 + 1
                counters = [base, base + 1]
                numbering[plan.road.name] = counters
            gaps = _DOOR_GAPS[rng.integers(len(_DOOR_GAPS), size=count)]
            for position, side, gap in zip(positions.tolist(), sides.tolist(), gaps.tolist(), strict=True):
                slot = 0 if side > 0 else 1
                number = counters[slot]
                counters[slot] += 2 * gap
                self.doors.append(_DoorPlan(road_index, number, float(position), int(side)))
            plan.door_count = count
        if len(self.doors) > _MAX_DOORS:
            raise ValueError("too many doors in one community")

    def _free_door(self) -> int | None:
        free = [i for i, door in enumerate(self.doors) if not door.taken]
        if not free:
            return None
        index = free[int(self.rng.integers(len(free)))]
        self.doors[index].taken = True
        return index

    def _plan_village(self) -> int:
        rng = self.rng
        stem = self.community_stem
        if not stem or any(ch in _FORBIDDEN for ch in stem.removesuffix("村")) or len(stem.removesuffix("村")) < 2:
            return 0
        name = stem if stem.endswith("村") else stem + "村"
        if not self._claim_compound_name(name):
            return 0
        houses_wanted = max(20, int(self.target * rng.uniform(0.2, 0.4)))
        buildings: list[str] = []
        lane = 0
        directions = list(_LANE_DIRECTIONS[:4])
        while len(buildings) < houses_wanted:
            direction = directions[lane % len(directions)]
            lane_number = lane // len(directions) + 1
            lane_name = f"{direction}{int_to_cn(lane_number)}巷"
            houses = int(rng.integers(6, 15))
            buildings.extend(f"{lane_name}{n}号" for n in range(1, houses + 1))
            lane += 1
        plan = _CompoundPlan(name=name, kind="village", parent=None, buildings=buildings)
        if rng.random() < _COMPOUND_ALIAS_SHARE * 2:
            # The short form (上沙) is the community's own alias, so villages get 旧村/老村 forms only.
            plan.alias = self._compound_alias(name, name, "村", "village")
        self.compounds.append(plan)
        return len(buildings)

    def _plan_compounds(self) -> None:
        rng = self.rng
        total = 0
        if rng.random() < _VILLAGE_PROBABILITY[self.area_class]:
            total += self._plan_village()
        for index in range(len(self.doors)):
            if rng.random() < _DOOR_BUILDING_SHARE and total < self.target:
                self.doors[index].taken = True
                count = int(rng.integers(1, 4))
                names = _letters(count) if rng.random() < 0.4 else [str(n) for n in range(1, count + 1)]
                self.door_buildings[index] = [n + ("座" if n.isalpha() else "栋") for n in names]
                total += count
        weights = _KIND_WEIGHTS[self.area_class]
        while total < self.target:
            kind = _weighted(rng, weights)
            if kind == "residential":
                count = int(rng.integers(4, 29))
                buildings = [f"{n}栋" for n in range(1, count + 1)]
            elif kind == "office":
                count = int(rng.integers(1, 5))
                buildings = [f"{letter}座" for letter in _letters(count)]
            else:
                count = int(rng.integers(3, 17))
                buildings = [f"{n}栋" for n in range(1, count + 1)]
            parent: tuple[str, int] | None = None
            roll = rng.random()
            if kind == "residential" and roll < 0.15:
                parent = None
            elif kind == "industrial" and roll < 0.25 and self.roads:
                parent = ("road", int(rng.integers(len(self.roads))))
            else:
                door = self._free_door()
                if door is not None:
                    parent = ("door", door)
                elif self.roads and kind != "residential":
                    parent = ("road", int(rng.integers(len(self.roads))))
            self.compounds.append(self._new_compound(kind, parent, buildings))
            total += count
        if len(self.compounds) > _MAX_COMPOUNDS:
            raise ValueError("too many compounds in one community")
        if total > _MAX_BUILDINGS:
            raise ValueError("too many buildings in one community")

    # geometry and records -----------------------------------------------------------------------------

    def build(self) -> list[AddressRecord]:
        self._plan_roads()
        self._plan_doors()
        self._plan_compounds()
        area = self.area
        rng = self.rng

        # Doors: along the road line, offset 12 m to the odd/even side.
        door_pts = np.empty((len(self.doors), 2))
        door_normals = np.zeros((len(self.doors), 2))
        start = 0
        for plan in self.roads:
            count = plan.door_count
            doors = self.doors[start : start + count]
            start += count
            if not doors:
                continue
            length = float(plan.line.length)
            positions = np.array([d.position for d in doors]) * length
            on_line = shapely.get_coordinates(shapely.line_interpolate_point(plan.line, positions))
            coords = shapely.get_coordinates(plan.line)
            direction = np.array(
                [(coords[-1, 0] - coords[0, 0]) * area.m_per_deg_lon, (coords[-1, 1] - coords[0, 1]) * _M_PER_DEG_LAT]
            )
            direction = direction / max(float(np.hypot(*direction)), 1e-9)
            normal_m = np.array([-direction[1], direction[0]])
            sides = np.array([d.side for d in doors], dtype=np.float64)
            offset = area.metres(normal_m[0] * 12.0 * sides, normal_m[1] * 12.0 * sides)
            door_pts[start - count : start] = on_line + offset
            door_normals[start - count : start] = np.outer(sides, normal_m)
        door_pts, door_grid = area.settle(door_pts, area.uniform(len(self.doors)))

        # Compounds: beside their door (away from the road), on their road, or anywhere in the community.
        n_compounds = len(self.compounds)
        centers = np.empty((n_compounds, 2))
        anchors = area.uniform(n_compounds)
        for index, compound in enumerate(self.compounds):
            radius = float(np.clip(18.0 * math.sqrt(len(compound.buildings)), 25.0, 160.0))
            if compound.parent is not None and compound.parent[0] == "door":
                door = compound.parent[1]
                push = door_normals[door] * (radius + 10.0)
                centers[index] = door_pts[door] + area.metres(push[:1], push[1:])[0]
                anchors[index] = door_pts[door]
            elif compound.parent is not None:
                line = self.roads[compound.parent[1]].line
                point = shapely.line_interpolate_point(line, float(rng.uniform(0.1, 0.9)), normalized=True)
                push = rng.normal(0, radius, 2)
                centers[index] = np.array([point.x, point.y]) + area.metres(push[:1], push[1:])[0]
            else:
                centers[index] = anchors[index]
        centers, compound_grid = area.settle(centers, anchors)

        # Buildings: a cloud around the compound centre; village houses in rows along their lanes.
        owners: list[int] = []
        offsets_m: list[FloatArray] = []
        for index, compound in enumerate(self.compounds):
            count = len(compound.buildings)
            owners.extend([index] * count)
            if compound.kind == "village":
                lanes = [name[: name.index("巷") + 1] for name in compound.buildings]
                lane_ids = {lane: i for i, lane in enumerate(dict.fromkeys(lanes))}
                house = np.array([int(name[name.index("巷") + 1 : -1]) for name in compound.buildings], dtype=float)
                lane_index = np.array([lane_ids[lane] for lane in lanes], dtype=float)
                across = (lane_index - (len(lane_ids) - 1) / 2) * 22.0
                along = (house - 7.0) * 11.0
                ca, sa = math.cos(self.angle), math.sin(self.angle)
                jitter = rng.normal(0, 1.5, (count, 2))
                offsets_m.append(np.column_stack((along * ca - across * sa, along * sa + across * ca)) + jitter)
            else:
                radius = float(np.clip(18.0 * math.sqrt(count), 25.0, 160.0))
                offsets_m.append(rng.normal(0, radius / 2, (count, 2)))
        for door, names in self.door_buildings.items():
            owners.extend([-1 - door] * len(names))
            offsets_m.append(rng.normal(0, 12.0, (len(names), 2)))
        owner_arr = np.array(owners, dtype=np.int64)
        offsets = np.concatenate(offsets_m) if offsets_m else np.empty((0, 2))
        base = np.empty((len(owner_arr), 2))
        in_compound = owner_arr >= 0
        base[in_compound] = centers[owner_arr[in_compound]]
        base[~in_compound] = door_pts[-1 - owner_arr[~in_compound]]
        building_pts, building_grid = area.settle(base + area.metres(offsets[:, 0], offsets[:, 1]), base)

        return self._records(door_pts, door_grid, centers, compound_grid, building_pts, building_grid)

    def _records(
        self,
        door_pts: FloatArray,
        door_grid: IntArray,
        centers: FloatArray,
        compound_grid: IntArray,
        building_pts: FloatArray,
        building_grid: IntArray,
    ) -> list[AddressRecord]:
        cc = self.community.code
        prefix = self.prefix
        grid_codes = self.area.grid_codes
        out: list[AddressRecord] = []
        road_codes: list[str] = []
        road_full: list[str] = []
        for seq, plan in enumerate(self.roads, start=1):
            code = f"{cc}R{seq:03d}"
            full = prefix + plan.road.name
            road_codes.append(code)
            road_full.append(full)
            aliases = (plan.road.alias,) if plan.road.alias else ()
            out.append(AddressRecord(code, "road", plan.road.name, full, None, cc, aliases=aliases))
        door_codes: list[str] = []
        door_full: list[str] = []
        for seq, door in enumerate(self.doors, start=1):
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
        for seq, compound in enumerate(self.compounds, start=1):
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
            (compound_codes[i], compound_full[i], c.buildings) for i, c in enumerate(self.compounds)
        ]
        owners.extend((door_codes[d], door_full[d], names) for d, names in self.door_buildings.items())
        for parent_code, parent_full, names in owners:
            for name in names:
                lon, lat = (float(v) for v in building_pts[seq])
                grid = grid_codes[int(building_grid[seq])]
                seq += 1
                out.append(
                    AddressRecord(
                        f"{cc}B{seq:05d}", "building", name, parent_full + name, parent_code, cc, grid, lon, lat
                    )
                )
        return out


def _division_records(geo: DemoGeography) -> list[DivisionRecord]:
    records: list[DivisionRecord] = []
    for division in geo.divisions:
        if division.level == "grid":
            continue
        records.append(
            DivisionRecord(
                code=division.code,
                name=division.name,
                level=division.level,
                parent_code=division.parent_code,
                aliases=division_aliases(division.name, division.level),
            )
        )
    return records


def build_demo_library(
    geo: DemoGeography,
    seed: int = DEFAULT_SEED,
    buildings_per_community: int | None = None,
    progress: ProgressFn | None = None,
) -> DemoLibrary:
    """Generate the synthetic standard address library over ``geo``'s communities.

    ``buildings_per_community`` is the average number of buildings per community (default 130; each
    community draws 75-125 % of it and may overshoot by one compound). ``progress(stage, done, total)`` is
    called after each community with stage ``"addresses"``.
    """
    per_community = DEFAULT_BUILDINGS_PER_COMMUNITY if buildings_per_community is None else buildings_per_community
    if per_community < 1:
        raise ValueError("buildings_per_community must be at least 1")
    by_code = {d.code: d for d in geo.divisions}
    grids: dict[str, list[DemoDivision]] = {}
    for division in geo.divisions:
        if division.level == "grid" and division.parent_code is not None:
            grids.setdefault(division.parent_code, []).append(division)
    communities = [d for d in geo.divisions if d.level == "community" and grids.get(d.code)]
    divisions = _division_records(geo)
    state = _GlobalState(reserved={form for d in divisions for form in (d.name, *d.aliases)})
    addresses: list[AddressRecord] = []
    city_name = next((d.name for d in geo.divisions if d.level == "city"), "深圳市")
    for done, community in enumerate(communities, start=1):
        street = by_code[community.parent_code or ""]
        district = by_code[street.parent_code or ""]
        prefix = city_name + district.name + street.name + community.name
        builder = _CommunityBuilder(
            state, community, street, district, grids[community.code], seed, per_community, prefix
        )
        addresses.extend(builder.build())
        if progress is not None:
            progress("addresses", done, len(communities))
    return DemoLibrary(divisions=divisions, addresses=addresses)
