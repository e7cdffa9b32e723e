"""Where a community's addresses may lie: its grids (as published, rounded GeoJSON) with vectorized point
location, random points strictly inside them, straight road lines clipped to the community."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import NDArray

from gridgov.demo.geography import DemoDivision

__all__ = ["DECIMALS", "M_PER_DEG_LAT", "CommunityArea", "FloatArray", "Geom", "IntArray"]

Geom = Any  # shapely ships no type information
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DECIMALS = 6
M_PER_DEG_LAT = 111_320.0


class CommunityArea:
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
        self.m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(self.lat0))
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
                reps = np.round(shapely.get_coordinates(shapely.point_on_surface(self.grids)), DECIMALS)
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
            pts: FloatArray = np.round(np.column_stack((xs, ys)), DECIMALS).astype(np.float64)
            pts = pts[self.locate(pts) >= 0]
            self._pool = np.concatenate([self._pool[self._pool_used :], pts])
            self._pool_used = 0
        out = self._pool[self._pool_used : self._pool_used + count]
        self._pool_used += count
        return np.asarray(out, dtype=np.float64)

    def settle(self, points: FloatArray, anchors: FloatArray) -> tuple[FloatArray, IntArray]:
        """Round ``points``; any that fall outside every grid is pulled towards its anchor (inside)."""
        pts = np.round(points, DECIMALS)
        where = self.locate(pts)
        for fraction in (0.35, 0.7, 1.0):
            bad = np.flatnonzero(where < 0)
            if len(bad) == 0:
                break
            moved = np.round(pts[bad] + (anchors[bad] - pts[bad]) * fraction, DECIMALS)
            pts[bad] = moved
            where[bad] = self.locate(moved)
        bad = np.flatnonzero(where < 0)
        if len(bad):  # anchors should always be inside; never leave a point outside
            pts[bad] = self.uniform(len(bad))
            where[bad] = self.locate(pts[bad])
        return pts, where

    def metres(self, dx_m: FloatArray, dy_m: FloatArray) -> FloatArray:
        return np.column_stack((dx_m / self.m_per_deg_lon, dy_m / M_PER_DEG_LAT))

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
                    (coords[-1, 1] - coords[0, 1]) * M_PER_DEG_LAT,
                )
            )
            if best is None or length_m > best[1]:
                best = (piece, length_m)
            if length_m >= 250:
                break
        return best
