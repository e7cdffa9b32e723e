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

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]

from gridgov.address.normalize import int_to_cn
from gridgov.address.records import AddressRecord, DivisionRecord, division_aliases
from gridgov.demo.community_area import CommunityArea, Geom
from gridgov.demo.community_layout import CommunityPlan, CompoundPlan, DoorPlan, RoadName, RoadPlan, lay_out
from gridgov.demo.geography import DemoDivision, DemoGeography
from gridgov.demo.library_names import (
    COMP_A,
    COMP_B,
    FORBIDDEN,
    INDUSTRIAL_SUFFIXES,
    INDUSTRY_B,
    OFFICE_SUFFIXES,
    RESIDENTIAL_SUFFIXES,
    ROAD_A,
    ROAD_B,
    ROAD_SUFFIXES,
    clean_stem,
    draw_stem,
    letters,
    weighted,
)

__all__ = [
    "DEFAULT_BUILDINGS_PER_COMMUNITY",
    "DEFAULT_SEED",
    "DemoLibrary",
    "build_demo_library",
    "division_aliases",
]

DEFAULT_SEED = 20261121
DEFAULT_BUILDINGS_PER_COMMUNITY = 130

ProgressFn = Callable[[str, int, int], None]

_MAX_ROADS = 999
_MAX_DOORS = 9999
_MAX_COMPOUNDS = 999
_MAX_BUILDINGS = 99999


# Compound kind mix by area class (A: central, C: outer); villages are drawn separately.
_KIND_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "A": (("residential", 0.55), ("office", 0.37), ("industrial", 0.08)),
    "B": (("residential", 0.55), ("office", 0.15), ("industrial", 0.30)),
    "C": (("residential", 0.45), ("office", 0.05), ("industrial", 0.50)),
}
_VILLAGE_PROBABILITY = {"A": 0.30, "B": 0.50, "C": 0.60}
_LANE_DIRECTIONS = "东西南北中"

_COMPOUND_ALIAS_SHARE = 0.2
ROAD_ALIAS_SHARE = 0.12
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
    street_roads: dict[str, list[tuple[Geom, list[RoadName]]]] = field(default_factory=dict)


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
        self.area = CommunityArea(community, grids, self.rng)
        self.district_state = state.districts.setdefault(district.code, _DistrictState())
        self.target = max(1, round(target_buildings * float(self.rng.uniform(0.75, 1.25))))
        self.prefix = prefix
        self.area_class = community.area_class if community.area_class in _KIND_WEIGHTS else "B"
        self.angle = float(self.rng.uniform(0, math.pi / 2))
        stem = community.name.removesuffix("社区")
        self.community_stem = stem
        self.plan = CommunityPlan()

    # names ------------------------------------------------------------------------------------------

    def _new_road_name(self) -> RoadName:
        used = self.district_state.road_names
        rng = self.rng
        for attempt in range(60):
            suffix = weighted(rng, ROAD_SUFFIXES)
            stem: str | None = None
            if attempt < 2 and rng.random() < 0.15:
                stem = clean_stem(self.community_stem)
            if stem is None:
                stem = draw_stem(rng, ROAD_A, ROAD_B)
            name = stem + suffix
            if name in used:
                continue
            alias: str | None = None
            if rng.random() < ROAD_ALIAS_SHARE:
                alias = stem + "公路" if suffix == "大道" else draw_stem(rng, ROAD_A, ROAD_B) + suffix
                if alias in used or alias == name:
                    alias = None
            used.add(name)
            if alias:
                used.add(alias)
            return RoadName(name=name, stem=stem, suffix=suffix, alias=alias)
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
            candidates.insert(0, draw_stem(rng, COMP_A, COMP_B) + suffix)
        for candidate in candidates:
            if candidate != name and self._claim_compound_name(candidate):
                return candidate
        return None

    def _new_compound(self, kind: str, parent: tuple[str, int] | None, buildings: list[str]) -> CompoundPlan:
        rng = self.rng
        suffixes = {
            "residential": RESIDENTIAL_SUFFIXES,
            "office": OFFICE_SUFFIXES,
            "industrial": INDUSTRIAL_SUFFIXES,
        }[kind]
        for attempt in range(80):
            suffix = weighted(rng, suffixes)
            stem: str | None = None
            roll = rng.random()
            if attempt < 3 and parent is not None and roll < 0.3:
                road = self.plan.roads[self.plan.doors[parent[1]].road_index if parent[0] == "door" else parent[1]].road
                stem = road.stem
            elif attempt < 3 and roll < 0.4:
                stem = clean_stem(self.community_stem)
            if stem is None:
                if kind == "industrial" or (kind == "office" and rng.random() < 0.5):
                    stem = draw_stem(rng, ROAD_A, INDUSTRY_B)
                else:
                    stem = draw_stem(rng, COMP_A, COMP_B)
            if stem[-1] == suffix[0] or (suffix in {"苑", "城"} and stem[-1] in "苑城"):
                continue
            name = stem + suffix
            if not self._claim_compound_name(name):
                continue
            plan = CompoundPlan(name=name, kind=kind, parent=parent, buildings=buildings)
            if rng.random() < _COMPOUND_ALIAS_SHARE:
                plan.alias = self._compound_alias(name, stem, suffix, kind)
            return plan
        raise RuntimeError("could not find a free compound name")  # pragma: no cover

    # structure ----------------------------------------------------------------------------------------

    def _plan_roads(self) -> None:
        rng = self.rng
        count = int(np.clip(round(self.target / 26 + rng.integers(-1, 2)), 3, 9))
        inherited: list[RoadName] = []
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
            self.plan.roads.append(RoadPlan(road=road, line=line, length_m=length_m))
        neighbours.append((community_geom, [plan.road for plan in self.plan.roads]))
        if len(self.plan.roads) > _MAX_ROADS:
            raise ValueError("too many roads in one community")

    def _plan_doors(self) -> None:
        rng = self.rng
        numbering = self.district_state.numbering
        for road_index, plan in enumerate(self.plan.roads):
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
                self.plan.doors.append(DoorPlan(road_index, number, float(position), int(side)))
            plan.door_count = count
        if len(self.plan.doors) > _MAX_DOORS:
            raise ValueError("too many doors in one community")

    def _free_door(self) -> int | None:
        free = [i for i, door in enumerate(self.plan.doors) if not door.taken]
        if not free:
            return None
        index = free[int(self.rng.integers(len(free)))]
        self.plan.doors[index].taken = True
        return index

    def _plan_village(self) -> int:
        rng = self.rng
        stem = self.community_stem
        if not stem or any(ch in FORBIDDEN for ch in stem.removesuffix("村")) or len(stem.removesuffix("村")) < 2:
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
        plan = CompoundPlan(name=name, kind="village", parent=None, buildings=buildings)
        if rng.random() < _COMPOUND_ALIAS_SHARE * 2:
            # The short form (上沙) is the community's own alias, so villages get 旧村/老村 forms only.
            plan.alias = self._compound_alias(name, name, "村", "village")
        self.plan.compounds.append(plan)
        return len(buildings)

    def _plan_compounds(self) -> None:
        rng = self.rng
        total = 0
        if rng.random() < _VILLAGE_PROBABILITY[self.area_class]:
            total += self._plan_village()
        for index in range(len(self.plan.doors)):
            if rng.random() < _DOOR_BUILDING_SHARE and total < self.target:
                self.plan.doors[index].taken = True
                count = int(rng.integers(1, 4))
                names = letters(count) if rng.random() < 0.4 else [str(n) for n in range(1, count + 1)]
                self.plan.door_buildings[index] = [n + ("座" if n.isalpha() else "栋") for n in names]
                total += count
        weights = _KIND_WEIGHTS[self.area_class]
        while total < self.target:
            kind = weighted(rng, weights)
            if kind == "residential":
                count = int(rng.integers(4, 29))
                buildings = [f"{n}栋" for n in range(1, count + 1)]
            elif kind == "office":
                count = int(rng.integers(1, 5))
                buildings = [f"{letter}座" for letter in letters(count)]
            else:
                count = int(rng.integers(3, 17))
                buildings = [f"{n}栋" for n in range(1, count + 1)]
            parent: tuple[str, int] | None = None
            roll = rng.random()
            if kind == "residential" and roll < 0.15:
                parent = None
            elif kind == "industrial" and roll < 0.25 and self.plan.roads:
                parent = ("road", int(rng.integers(len(self.plan.roads))))
            else:
                door = self._free_door()
                if door is not None:
                    parent = ("door", door)
                elif self.plan.roads and kind != "residential":
                    parent = ("road", int(rng.integers(len(self.plan.roads))))
            self.plan.compounds.append(self._new_compound(kind, parent, buildings))
            total += count
        if len(self.plan.compounds) > _MAX_COMPOUNDS:
            raise ValueError("too many compounds in one community")
        if total > _MAX_BUILDINGS:
            raise ValueError("too many buildings in one community")

    # geometry and records -----------------------------------------------------------------------------

    def build(self) -> list[AddressRecord]:
        self._plan_roads()
        self._plan_doors()
        self._plan_compounds()
        return lay_out(self.plan, self.area, self.rng, self.angle, self.community.code, self.prefix)


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
