"""Demo division geography for Shenzhen (深圳市), built at run time from public PyPI packages.

This module is a pure builder: it touches no database and writes nothing. It assembles the official codes and
names of the city, its districts and streets, the community names per street and each district's real boundary
(:mod:`gridgov.demo.geo_sources`).

Everything below district level is **demo geometry**: streets, communities and grids are Voronoi
partitions (with Lloyd relaxation) of their parent polygon, seeded deterministically. They carry
``demo_geometry=True`` and must never be presented as real boundaries.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]

from gridgov.demo.geo_sources import (
    CITY_CODE,
    CITY_NAME,
    SOURCE_PACKAGES,
    OfficialDistrict,
    district_boundaries,
    jionlp_communities,
    official_districts,
    sources,
)
from gridgov.demo.voronoi import GRID_SIZE, Geom, allocate, center, geojson, split

__all__ = [
    "CBD_LON_LAT",
    "CITY_CODE",
    "CITY_NAME",
    "SOURCE_PACKAGES",
    "DemoDivision",
    "DemoGeography",
    "area_class_for",
    "build_demo_geography",
]

# Centre of the Futian CBD, used for the CJ/T 214 style A/B/C area classes.
CBD_LON_LAT: tuple[float, float] = (114.0579, 22.5431)
AREA_CLASS_A_KM = 8.0
AREA_CLASS_B_KM = 25.0
_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class DemoDivision:
    code: str  # string, keep leading zeros; 12 digits for city..community, 15 for grid
    name: str
    level: str  # "city" | "district" | "street" | "community" | "grid"
    parent_code: str | None
    geometry: dict[str, Any]  # GeoJSON geometry (Polygon or MultiPolygon for district/city), WGS-84
    center: tuple[float, float]  # (lon, lat), a representative point inside the polygon
    area_class: str  # "A" | "B" | "C"
    demo_geometry: bool  # True for generated polygons (street/community/grid), False for real districts
    code_is_official: bool


@dataclass(frozen=True)
class DemoGeography:
    divisions: list[DemoDivision]  # parents always before children
    sources: list[dict[str, str]]


def _distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def area_class_for(lon: float, lat: float) -> str:
    """CJ/T 214 style area class by distance to the Shenzhen CBD: <8 km A, <25 km B, else C."""
    km = _distance_km(lon, lat, *CBD_LON_LAT)
    if km < AREA_CLASS_A_KM:
        return "A"
    if km < AREA_CLASS_B_KM:
        return "B"
    return "C"


def _majority(classes: Sequence[str], fallback: str) -> str:
    """Most frequent class; ties go to the more urban class (A before B before C)."""
    if not classes:
        return fallback
    counts = Counter(classes)
    return min(counts, key=lambda c: (-counts[c], c))


def _class_of(geom: Geom) -> str:
    centroid = shapely.centroid(geom)
    return area_class_for(float(centroid.x), float(centroid.y))


# --------------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------------


@dataclass
class _Node:
    code: str  # 12 or 15 digits
    name: str
    level: str
    parent_code: str | None
    geom: Geom
    demo: bool
    official: bool
    children: list[_Node]
    area_class: str = "C"


def _rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, int(code)]))


def _code12(code: str) -> str:
    return code.ljust(12, "0")


def _selected_districts(
    district_names: Sequence[str] | None,
) -> tuple[str, list[tuple[OfficialDistrict, dict[str, tuple[str, ...]], Geom]], list[Geom]]:
    city_name, official = official_districts()
    communities = jionlp_communities()
    boundaries = district_boundaries()
    # A district is used only if all three sources know it (e.g. 深汕特别合作区 is not a 深圳市
    # district in any of them, so it never appears).
    covered = [
        (district, communities[district.name], boundaries[district.code])
        for district in official
        if district.name in communities and district.code in boundaries
    ]
    all_geoms = [geom for _, _, geom in covered]
    if district_names is None:
        return city_name, covered, all_geoms
    wanted = list(dict.fromkeys(district_names))
    known = {district.name for district, _, _ in covered}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ValueError(f"unknown districts for {city_name}: {', '.join(unknown)}; known: {sorted(known)}")
    return city_name, [item for item in covered if item[0].name in wanted], all_geoms


def build_demo_geography(
    district_names: Sequence[str] | None = None,
    grids_target: int = 4000,
    seed: int = 20261121,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoGeography:
    """Build the Shenzhen demo divisions: city, districts, streets, communities and grids.

    ``district_names`` restricts the districts (the city keeps its full real outline);
    ``grids_target`` is the approximate number of grids over the selection, split over the
    communities in proportion to their area with at least one grid per community. The result is
    deterministic for a given ``seed``; each district's streets and communities do not depend on
    the selection. ``progress(stage, done, total)`` is called per district, first with stage
    ``"communities"`` (streets and communities generated) and then with stage ``"grids"``.
    """
    if grids_target < 0:
        raise ValueError("grids_target must not be negative")
    city_name, selected, all_geoms = _selected_districts(district_names)
    total = len(selected)

    city_geom = shapely.unary_union(all_geoms, grid_size=GRID_SIZE)
    city = _Node(_code12(CITY_CODE), city_name, "city", None, city_geom, False, True, [])

    # Stage 1: streets and communities inside each real district outline.
    communities: list[_Node] = []
    for done, (district, street_communities, boundary) in enumerate(selected, start=1):
        district_node = _Node(_code12(district.code), district.name, "district", city.code, boundary, False, True, [])
        city.children.append(district_node)
        street_cells = split(boundary, len(district.streets), _rng(seed, district_node.code))
        for (street_code, street_name), street_geom in zip(district.streets, street_cells, strict=True):
            street_node = _Node(
                _code12(street_code), street_name, "street", district_node.code, street_geom, True, True, []
            )
            district_node.children.append(street_node)
            names = street_communities.get(street_name, ())
            community_cells = split(street_geom, len(names), _rng(seed, street_node.code))
            for sequence, (community_name, community_geom) in enumerate(
                zip(names, community_cells, strict=True), start=1
            ):
                community_node = _Node(
                    f"{street_code}{sequence:03d}",
                    community_name,
                    "community",
                    street_node.code,
                    community_geom,
                    True,
                    False,
                    [],
                )
                street_node.children.append(community_node)
                communities.append(community_node)
        if progress is not None:
            progress("communities", done, total)

    # Stage 2: grids, about ``grids_target`` over the selection, by community area.
    grid_counts = allocate([float(c.geom.area) for c in communities], grids_target, minimum=1)
    if max(grid_counts, default=0) > 999:
        raise ValueError("grids_target too large: a community would need more than 999 grids")
    counts_by_code = dict(zip((c.code for c in communities), grid_counts, strict=True))
    for done, district_node in enumerate(city.children, start=1):
        for street_node in district_node.children:
            for community_node in street_node.children:
                cells = split(community_node.geom, counts_by_code[community_node.code], _rng(seed, community_node.code))
                # Number grids in reading order: north to south, then west to east.
                cells.sort(key=lambda g: (-round(float(g.centroid.y), 4), float(g.centroid.x)))
                for sequence, cell in enumerate(cells, start=1):
                    community_node.children.append(
                        _Node(
                            f"{community_node.code}{sequence:03d}",
                            f"{street_node.name}{community_node.name}第{sequence:02d}网格",
                            "grid",
                            community_node.code,
                            cell,
                            True,
                            False,
                            [],
                            _class_of(cell),
                        )
                    )
        if progress is not None:
            progress("grids", done, total)

    divisions: list[DemoDivision] = []
    _assign_classes(city)
    _flatten(city, divisions)
    return DemoGeography(divisions=divisions, sources=sources())


def _assign_classes(node: _Node) -> list[str]:
    """Set each non-grid node's class to the majority of its grids; return the grid classes."""
    if node.level == "grid":
        return [node.area_class]
    grid_classes: list[str] = []
    for child in node.children:
        grid_classes.extend(_assign_classes(child))
    node.area_class = _majority(grid_classes, _class_of(node.geom))
    return grid_classes


def _flatten(node: _Node, out: list[DemoDivision]) -> None:
    """Depth-first, so every parent precedes its children."""
    out.append(
        DemoDivision(
            code=node.code,
            name=node.name,
            level=node.level,
            parent_code=node.parent_code,
            geometry=geojson(node.geom),
            center=center(node.geom),
            area_class=node.area_class,
            demo_geometry=node.demo,
            code_is_official=node.official,
        )
    )
    for child in node.children:
        _flatten(child, out)
