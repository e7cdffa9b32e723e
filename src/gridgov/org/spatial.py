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


@dataclass
class GridLocator:
    ids: np.ndarray
    polygons: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, dict[str, Any]]]) -> GridLocator:
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        polys = np.array([shape(r[1]) for r in rows], dtype=object)
        shapely.prepare(polys)
        return cls(ids, polys, shapely.STRtree(polys))

    @classmethod
    def load(cls, session: Session) -> GridLocator:
        rows = session.execute(
            select(Division.id, Division.geometry).where(Division.level == "grid", Division.geometry.is_not(None))
        ).all()
        return cls.from_rows([(r[0], r[1]) for r in rows])

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid id for each point, -1 where no grid contains it."""
        points = shapely.points(lons, lats)
        out = np.full(len(points), -1, dtype=np.int64)
        if len(self.ids) == 0:
            return out
        pt_idx, poly_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border belongs to the first grid found: keep the first hit per point.
        first = np.unique(pt_idx, return_index=True)[1]
        out[pt_idx[first]] = self.ids[poly_idx[first]]
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
