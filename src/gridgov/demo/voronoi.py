"""Polygon partitions for the demo geography (pure geometry on shapely): Voronoi cells of random seeds with
Lloyd relaxation, clipped to the parent polygon on a 1e-6 degree grid; integer splits by area; GeoJSON output
rounded to 6 decimals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import NDArray

__all__ = ["DECIMALS", "GRID_SIZE", "Geom", "allocate", "center", "geojson", "polygon_parts", "split"]

GRID_SIZE = 1e-6  # coordinate precision: 6 decimals (~0.1 m)
DECIMALS = 6
_LLOYD_ITERATIONS = 2

# shapely ships no type information; geometries are handled as opaque values.
Geom = Any
FloatArray = NDArray[np.float64]


def polygon_parts(geom: Geom) -> list[Geom]:
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
    geom = shapely.set_precision(geom, GRID_SIZE)
    parts = polygon_parts(geom)
    if not parts:
        return None
    best = parts[0]
    if not best.is_valid:
        fixed = polygon_parts(shapely.make_valid(best))
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
    return list(shapely.intersection(cells, poly, grid_size=GRID_SIZE))


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
        parts = polygon_parts(cell)
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
            merged = shapely.unary_union([main, *additions[i]], grid_size=GRID_SIZE)
        cleaned = _clean_polygon(merged)
        if cleaned is not None:
            result.append(cleaned)
    return result


def allocate(weights: Sequence[float], total: int, minimum: int = 0) -> list[int]:
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
    parts = polygon_parts(parent)
    if not parts or count <= 0:
        return []
    per_part = allocate([float(p.area) for p in parts], count)
    if sum(per_part) < count:  # pragma: no cover - _allocate always reaches total for minimum=0
        per_part[0] += count - sum(per_part)
    cells: list[Geom] = []
    for part, part_count in zip(parts, per_part, strict=True):
        if part_count > 0:
            cells.extend(_partition_polygon(part, part_count, rng))
    return cells


def split(parent: Geom, count: int, rng: np.random.Generator) -> list[Geom]:
    """``_partition`` that insists on exactly ``count`` children (redraws seeds if a cell vanished)."""
    for _ in range(8):
        cells = _partition(parent, count, rng)
        if len(cells) == count:
            return cells
    raise RuntimeError(f"could not split a polygon into {count} parts")


def _ring(coords: Any) -> list[list[float]]:
    return [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y in coords]


def _polygon_coords(poly: Geom) -> list[list[list[float]]]:
    return [_ring(poly.exterior.coords), *(_ring(r.coords) for r in poly.interiors)]


def geojson(geom: Geom) -> dict[str, Any]:
    """GeoJSON geometry (RFC 7946 ring orientation); one-part multipolygons become Polygons."""
    parts = polygon_parts(shapely.orient_polygons(geom))
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": _polygon_coords(parts[0])}
    return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p) for p in parts]}


def center(geom: Geom) -> tuple[float, float]:
    point = shapely.point_on_surface(geom)
    return (round(float(point.x), DECIMALS), round(float(point.y), DECIMALS))
