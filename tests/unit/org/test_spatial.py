"""Point → grid: the raster shortcut gives exactly the answers of the exact polygon test."""

from __future__ import annotations

import numpy as np
import shapely

from gridgov.demo.geography import build_demo_geography
from gridgov.org.spatial import GridLocator


def test_raster_and_exact_lookup_agree() -> None:
    geo = build_demo_geography(["福田区"], grids_target=60)
    rows = [(i, d.geometry) for i, d in enumerate(geo.divisions) if d.level == "grid"]
    fast = GridLocator.from_rows(rows)
    exact = GridLocator.from_rows(rows, raster=False)
    assert fast.raster is not None and (fast.raster >= 0).any()
    minx, miny, maxx, maxy = shapely.total_bounds(fast.polygons)
    rng = np.random.default_rng(3)
    lons = rng.uniform(minx - 0.01, maxx + 0.01, 50_000)
    lats = rng.uniform(miny - 0.01, maxy + 0.01, 50_000)
    a, b = fast.locate_many(lons, lats), exact.locate_many(lons, lats)
    assert (a == b).all()
    assert (a >= 0).mean() > 0.3 and (a == -1).any()
    # grid centres resolve to their own grid; NaN and far-away points to none
    centers = [d.center for d in geo.divisions if d.level == "grid"]
    got = fast.locate_many(np.array([c[0] for c in centers]), np.array([c[1] for c in centers]))
    assert list(got) == [i for i, _ in rows]
    assert list(fast.locate_many(np.array([np.nan, 116.4]), np.array([22.5, 39.9]))) == [-1, -1]
