"""Coordinates and reverse geocoding (pure).

* Datum conversions between WGS-84 (GPS, the library's own datum), GCJ-02 (the "Mars" offset required for
  maps published in mainland China: Amap, Tencent, WeChat) and BD-09 (Baidu). The forward formulas are the
  widely published ones; the inverses are solved by fixed-point iteration to well under a centimetre. As in
  the standard algorithm, points outside China pass through the GCJ-02 offset unchanged. Every conversion
  has a vectorized ``*_many`` form (numpy arrays in, arrays out) and a scalar form.
* :class:`AddressPoints`: nearest standard addresses to a point (reverse geocoding), with a shapely STRtree
  over locally projected metres and exact haversine distances.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import ArrayLike, NDArray

from gridgov.address.records import AddressRecord

__all__ = [
    "CRS",
    "AddressPoints",
    "bd09_to_gcj02",
    "bd09_to_gcj02_many",
    "bd09_to_wgs84",
    "bd09_to_wgs84_many",
    "convert",
    "convert_many",
    "gcj02_to_bd09",
    "gcj02_to_bd09_many",
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_many",
    "haversine_m",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_bd09_many",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_many",
]

FloatArray = NDArray[np.float64]
CRS = Literal["wgs84", "gcj02", "bd09"]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_EARTH_RADIUS_M = 6371008.8
_M_PER_DEG = _EARTH_RADIUS_M * math.pi / 180.0
_INVERSE_TOL_DEG = 1e-10  # ~0.01 mm
_INVERSE_MAX_ITER = 30


def _arrays(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lo = np.asarray(lons, dtype=np.float64)
    la = np.asarray(lats, dtype=np.float64)
    lo, la = np.broadcast_arrays(lo, la)
    return lo.astype(np.float64, copy=True), la.astype(np.float64, copy=True)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The standard algorithm's rough bounding box of China (points outside get no GCJ-02 offset)."""
    lo, la = _arrays(lon, lat)
    return np.asarray((lo < 72.004) | (lo > 137.8347) | (la < 0.8293) | (la > 55.8271) | ~np.isfinite(lo + la))


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlat += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    dlon += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * math.pi)
    outside = out_of_china(lon, lat)
    dlon[outside] = 0.0
    dlat[outside] = 0.0
    return dlon, dlat


# ------------------------------------------------------------------------------------------ vectorized


def wgs84_to_gcj02_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lo, la = _arrays(lons, lats)
    dlon, dlat = _delta(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Exact inverse by fixed-point iteration: find w with w + delta(w) = g."""
    glo, gla = _arrays(lons, lats)
    wlo, wla = glo.copy(), gla.copy()
    for _ in range(_INVERSE_MAX_ITER):
        dlon, dlat = _delta(wlo, wla)
        nlo, nla = glo - dlon, gla - dlat
        done = bool(np.all(np.abs(nlo - wlo) < _INVERSE_TOL_DEG) and np.all(np.abs(nla - wla) < _INVERSE_TOL_DEG))
        wlo, wla = nlo, nla
        if done:
            break
    bad = ~np.isfinite(glo + gla)
    wlo[bad], wla[bad] = glo[bad], gla[bad]
    return wlo, wla


def gcj02_to_bd09_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, y = _arrays(lons, lats)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The published approximate inverse, refined by fixed-point iteration until it round-trips exactly."""
    blo, bla = _arrays(lons, lats)
    x, y = blo - 0.0065, bla - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glo, gla = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_INVERSE_MAX_ITER):
        flo, fla = gcj02_to_bd09_many(glo, gla)
        elo, ela = flo - blo, fla - bla
        glo, gla = glo - elo, gla - ela
        if bool(np.all(np.abs(elo[np.isfinite(elo)]) < _INVERSE_TOL_DEG)) and bool(
            np.all(np.abs(ela[np.isfinite(ela)]) < _INVERSE_TOL_DEG)
        ):
            break
    return glo, gla


def wgs84_to_bd09_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_bd09_many(*wgs84_to_gcj02_many(lons, lats))


def bd09_to_wgs84_many(lons: ArrayLike, lats: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return gcj02_to_wgs84_many(*bd09_to_gcj02_many(lons, lats))


_TO_WGS = {"wgs84": None, "gcj02": gcj02_to_wgs84_many, "bd09": bd09_to_wgs84_many}
_FROM_WGS = {"wgs84": None, "gcj02": wgs84_to_gcj02_many, "bd09": wgs84_to_bd09_many}


def convert_many(lons: ArrayLike, lats: ArrayLike, src: CRS, dst: CRS) -> tuple[FloatArray, FloatArray]:
    """Convert between any two of ``"wgs84"``, ``"gcj02"`` and ``"bd09"``."""
    if src not in _TO_WGS or dst not in _FROM_WGS:
        raise ValueError(f"unknown coordinate system: {src!r} → {dst!r}")
    lo, la = _arrays(lons, lats)
    if src == dst:
        return lo, la
    if src == "gcj02" and dst == "bd09":
        return gcj02_to_bd09_many(lo, la)
    if src == "bd09" and dst == "gcj02":
        return bd09_to_gcj02_many(lo, la)
    to_wgs, from_wgs = _TO_WGS[src], _FROM_WGS[dst]
    if to_wgs is not None:
        lo, la = to_wgs(lo, la)
    if from_wgs is not None:
        lo, la = from_wgs(lo, la)
    return lo, la


# ------------------------------------------------------------------------------------------ scalar


def _scalar(
    fn: Callable[[ArrayLike, ArrayLike], tuple[FloatArray, FloatArray]], lon: float, lat: float
) -> tuple[float, float]:
    lo, la = fn(np.array([lon]), np.array([lat]))
    return float(lo[0]), float(la[0])


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(wgs84_to_gcj02_many, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(gcj02_to_wgs84_many, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(gcj02_to_bd09_many, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(bd09_to_gcj02_many, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(wgs84_to_bd09_many, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return _scalar(bd09_to_wgs84_many, lon, lat)


def convert(lon: float, lat: float, src: CRS, dst: CRS) -> tuple[float, float]:
    lo, la = convert_many([lon], [lat], src, dst)
    return float(lo[0]), float(la[0])


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres (vectorized, broadcasting)."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=np.float64)), np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return np.asarray(2.0 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))), dtype=np.float64)


# ------------------------------------------------------------------------------------------ reverse geocoding


@dataclass(frozen=True)
class _Projection:
    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude at lat0

    def xy(self, lons: FloatArray, lats: FloatArray) -> tuple[FloatArray, FloatArray]:
        return (lons - self.lon0) * self.kx, (lats - self.lat0) * _M_PER_DEG


class AddressPoints:
    """Nearest standard addresses to a point: a shapely STRtree over locally projected metres.

    Built from the records that carry a point (WGS-84); ``levels`` restricts them (e.g. buildings and doors).
    Queries may be given in any of the three datums; distances are exact great-circle metres.
    """

    # Relative slack of the local projection over a city (cos(lat) varies by < 0.5 % across Shenzhen).
    _SLACK = 1.02

    def __init__(self, records: Iterable[AddressRecord], levels: Iterable[str] | None = None) -> None:
        wanted = set(levels) if levels is not None else None
        kept = [
            r
            for r in records
            if r.lon is not None
            and r.lat is not None
            and math.isfinite(r.lon)
            and math.isfinite(r.lat)
            and (wanted is None or r.level in wanted)
        ]
        self.records: list[AddressRecord] = kept
        self.codes: list[str] = [r.code for r in kept]
        self._by_code: dict[str, AddressRecord] = {r.code: r for r in kept}
        self.lons: FloatArray = np.array([r.lon for r in kept], dtype=np.float64)
        self.lats: FloatArray = np.array([r.lat for r in kept], dtype=np.float64)
        if kept:
            lat0 = float(self.lats.mean())
            self._proj = _Projection(float(self.lons.mean()), lat0, _M_PER_DEG * math.cos(math.radians(lat0)))
        else:
            self._proj = _Projection(0.0, 0.0, _M_PER_DEG)
        x, y = self._proj.xy(self.lons, self.lats)
        self._tree = shapely.STRtree(shapely.points(x, y))
        self._alive = np.ones(len(kept), dtype=bool)
        self._index = {code: i for i, code in enumerate(self.codes)}

    def retire(self, code: str) -> None:
        """Stop answering with this address (retired, merged, or moved until the next rebuild)."""
        i = self._index.get(code)
        if i is not None:
            self._alive[i] = False

    def __len__(self) -> int:
        return len(self.codes)

    def nearest_many(
        self,
        lons: ArrayLike,
        lats: ArrayLike,
        k: int = 5,
        max_m: float = 500.0,
        crs: CRS = "wgs84",
    ) -> list[list[tuple[str, float]]]:
        """For each query point, up to ``k`` ``(code, distance_m)`` within ``max_m``, nearest first."""
        qlo, qla = _arrays(lons, lats)
        n = len(qlo)
        out: list[list[tuple[str, float]]] = [[] for _ in range(n)]
        if n == 0 or k <= 0 or max_m < 0 or not self.codes:
            return out
        if crs != "wgs84":
            qlo, qla = convert_many(qlo, qla, crs, "wgs84")
        ok = np.isfinite(qlo) & np.isfinite(qla)
        qx, qy = self._proj.xy(np.where(ok, qlo, 0.0), np.where(ok, qla, 0.0))
        geoms = shapely.points(qx, qy)
        q_idx, t_idx = self._tree.query(geoms, predicate="dwithin", distance=max_m * self._SLACK + 1.0)
        keep = ok[q_idx]
        q_idx, t_idx = q_idx[keep], t_idx[keep]
        if len(q_idx) == 0:
            return out
        dist = haversine_m(qlo[q_idx], qla[q_idx], self.lons[t_idx], self.lats[t_idx])
        inside = (dist <= max_m) & self._alive[t_idx]
        q_idx, t_idx, dist = q_idx[inside], t_idx[inside], dist[inside]
        order = np.lexsort((t_idx, dist, q_idx))  # by query, then distance, then index (stable ties)
        q_idx, t_idx, dist = q_idx[order], t_idx[order], dist[order]
        starts = np.searchsorted(q_idx, np.arange(n), side="left")
        ends = np.searchsorted(q_idx, np.arange(n), side="right")
        codes = self.codes
        for qi in np.flatnonzero(ends > starts):
            s = int(starts[qi])
            e = min(int(ends[qi]), s + k)
            out[int(qi)] = [(codes[int(t)], float(d)) for t, d in zip(t_idx[s:e], dist[s:e], strict=True)]
        return out

    def nearest(
        self, lon: float, lat: float, k: int = 5, max_m: float = 500.0, crs: CRS = "wgs84"
    ) -> list[tuple[str, float]]:
        """Up to ``k`` ``(code, distance_m)`` within ``max_m`` of the point, nearest first."""
        return self.nearest_many([lon], [lat], k=k, max_m=max_m, crs=crs)[0]

    def reverse_geocode(
        self, lon: float, lat: float, max_m: float = 500.0, crs: CRS = "wgs84"
    ) -> tuple[AddressRecord, float] | None:
        """The nearest standard address and its distance, or None when none is within ``max_m``."""
        hits = self.nearest_many([lon], [lat], k=1, max_m=max_m, crs=crs)[0]
        if not hits:
            return None
        return self._by_code[hits[0][0]], hits[0][1]
