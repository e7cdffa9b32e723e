"""Point → grid lookup with a shapely 2 STRtree over the grid polygons (vectorized for batches)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.org.models import Division

# Cell size of the lookup raster, in degrees (~100 m at Shenzhen's latitude). Cells lying wholly inside one
# grid answer a point directly; only points in cells that touch a boundary are tested against the polygons.
RASTER_CELL_DEG = 0.001
RASTER_MAX_CELLS = 4_000_000
MIXED = -1  # the cell crosses a grid boundary: test the point against the polygons
OUTSIDE = -2  # the cell touches no grid at all


@dataclass
class GridLocator:
    ids: np.ndarray
    polygons: np.ndarray
    tree: shapely.STRtree
    raster: np.ndarray | None = None  # per cell: index into ids of the grid that contains it, or MIXED
    origin: tuple[float, float] = (0.0, 0.0)
    cell: float = RASTER_CELL_DEG

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, dict[str, Any]]], raster: bool = True) -> GridLocator:
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        polys = np.array([shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(polys)
        loc = cls(ids, polys, shapely.STRtree(polys))
        if raster and len(polys):
            loc._build_raster()
        return loc

    def _build_raster(self) -> None:
        minx, miny, maxx, maxy = shapely.total_bounds(self.polygons)
        nx = int(np.ceil((maxx - minx) / self.cell)) + 1
        ny = int(np.ceil((maxy - miny) / self.cell)) + 1
        if nx * ny > RASTER_MAX_CELLS:
            return
        xs = minx + np.arange(nx) * self.cell
        ys = miny + np.arange(ny) * self.cell
        gx, gy = np.meshgrid(xs, ys)
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + self.cell, gy.ravel() + self.cell)
        raster = np.full(nx * ny, OUTSIDE, dtype=np.int64)
        touching, _ = self.tree.query(boxes, predicate="intersects")
        raster[touching] = MIXED
        box_idx, poly_idx = self.tree.query(boxes, predicate="within")
        raster[box_idx] = poly_idx
        self.raster, self.origin = raster.reshape(ny, nx), (float(minx), float(miny))

    @classmethod
    def load(cls, session: Session) -> GridLocator:
        rows = session.execute(
            select(Division.id, Division.geometry).where(Division.level == "grid", Division.geometry.is_not(None))
        ).all()
        return cls.from_rows([(r[0], r[1]) for r in rows])

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid id for each point, -1 where no grid contains it."""
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        out = np.full(len(lons), -1, dtype=np.int64)
        if len(self.ids) == 0:
            return out
        todo = np.arange(len(lons))
        if self.raster is not None:
            ny, nx = self.raster.shape
            with np.errstate(invalid="ignore"):
                ix = np.floor((lons - self.origin[0]) / self.cell)
                iy = np.floor((lats - self.origin[1]) / self.cell)
            inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
            cell = np.full(len(lons), MIXED, dtype=np.int64)
            cell[inside] = self.raster[iy[inside].astype(np.int64), ix[inside].astype(np.int64)]
            hit = cell >= 0
            out[hit] = self.ids[cell[hit]]
            # outside the raster's bounds, or in a cell that touches no grid, no grid can contain the point
            todo = np.flatnonzero(inside & (cell == MIXED))
        if len(todo) == 0:
            return out
        points = shapely.points(lons[todo], lats[todo])
        pt_idx, poly_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border belongs to the first grid found: keep the first hit per point.
        first = np.unique(pt_idx, return_index=True)[1]
        out[todo[pt_idx[first]]] = self.ids[poly_idx[first]]
        return out

    def locate(self, lon: float, lat: float) -> int | None:
        found = int(self.locate_many(np.array([lon]), np.array([lat]))[0])
        return None if found < 0 else found


_locators: dict[str, GridLocator] = {}


def grid_locator(session: Session) -> GridLocator:
    """The grid index for this session's database, built once per process."""
    key = str(session.get_bind().engine.url)
    loc = _locators.get(key)
    if loc is None:
        loc = GridLocator.load(session)
        _locators[key] = loc
    return loc


def reset_locator() -> None:
    _locators.clear()
