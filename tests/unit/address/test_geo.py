"""Datum conversions (WGS-84 / GCJ-02 / BD-09) and nearest-address look-ups."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gridgov.address.geo import (
    AddressPoints,
    bd09_to_gcj02,
    bd09_to_wgs84_many,
    convert,
    convert_many,
    gcj02_to_bd09,
    gcj02_to_bd09_many,
    gcj02_to_wgs84,
    gcj02_to_wgs84_many,
    haversine_m,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_bd09_many,
    wgs84_to_gcj02,
    wgs84_to_gcj02_many,
)
from gridgov.address.records import AddressRecord
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.geography import DemoGeography

CBD = (114.0579, 22.5431)


def test_published_reference_values() -> None:
    # The values printed by the widely used coordTransform utilities for (128.543, 37.065).
    assert wgs84_to_gcj02(128.543, 37.065) == pytest.approx((128.54820547949757, 37.065651049489816), abs=1e-12)
    assert gcj02_to_bd09(128.543, 37.065) == pytest.approx((128.54944656269413, 37.07113427883019), abs=1e-12)


def test_shenzhen_offset_is_a_few_hundred_metres() -> None:
    g = wgs84_to_gcj02(*CBD)
    b = wgs84_to_bd09(*CBD)
    assert 300 < float(haversine_m(*CBD, *g)) < 800
    assert 800 < float(haversine_m(*CBD, *b)) < 1500
    assert g[0] > CBD[0] and g[1] < CBD[1]  # GCJ-02 shifts Shenzhen east and south


def test_out_of_china_passes_through() -> None:
    paris = (2.3522, 48.8566)
    assert wgs84_to_gcj02(*paris) == paris
    assert gcj02_to_wgs84(*paris) == paris
    assert bool(out_of_china(*paris)) and not bool(out_of_china(*CBD))
    # BD-09 is a plain transform of GCJ-02 and applies everywhere; it still round-trips.
    assert bd09_to_gcj02(*gcj02_to_bd09(*paris)) == pytest.approx(paris, abs=1e-9)


def test_scalar_round_trips_below_a_centimetre() -> None:
    for lon, lat in [CBD, (113.75, 22.45), (114.62, 22.86), (116.397, 39.909), (87.6, 43.8), (121.47, 31.23)]:
        assert float(haversine_m(lon, lat, *gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)))) < 0.01
        assert float(haversine_m(lon, lat, *bd09_to_gcj02(*gcj02_to_bd09(lon, lat)))) < 0.01
        assert float(haversine_m(lon, lat, *convert(*convert(lon, lat, "wgs84", "bd09"), "bd09", "wgs84"))) < 0.01


def test_vectorized_round_trips_over_china() -> None:
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(73.0, 135.0, 20_000), rng.uniform(18.0, 53.0, 20_000)
    w = gcj02_to_wgs84_many(*wgs84_to_gcj02_many(lons, lats))
    assert float(haversine_m(lons, lats, *w).max()) < 1.0
    w = bd09_to_wgs84_many(*wgs84_to_bd09_many(lons, lats))
    assert float(haversine_m(lons, lats, *w).max()) < 1.0
    g = convert_many(*gcj02_to_bd09_many(lons, lats), "bd09", "gcj02")
    assert float(haversine_m(lons, lats, *g).max()) < 1.0


def test_vectorized_matches_scalar_and_handles_nan() -> None:
    lons = np.array([CBD[0], 2.35, float("nan")])
    lats = np.array([CBD[1], 48.85, 22.5])
    glo, gla = wgs84_to_gcj02_many(lons, lats)
    assert (glo[0], gla[0]) == pytest.approx(wgs84_to_gcj02(*CBD), abs=1e-12)
    assert (glo[1], gla[1]) == (2.35, 48.85)
    wlo, _ = gcj02_to_wgs84_many(glo, gla)
    assert math.isnan(float(wlo[2]))
    assert convert_many(lons[:1], lats[:1], "gcj02", "gcj02")[0][0] == CBD[0]
    with pytest.raises(ValueError):
        convert_many(lons, lats, "wgs84", "utm")  # type: ignore[arg-type]


def _point(code: str, level: str, lon: float | None, lat: float | None) -> AddressRecord:
    return AddressRecord(code, level, code, code, None, "440304001001", lon=lon, lat=lat)


def _east(metres: float) -> float:
    return CBD[0] + metres / (111_195.08 * math.cos(math.radians(CBD[1])))


@pytest.fixture(scope="module")
def points() -> AddressPoints:
    records = [
        _point("B1", "building", _east(10), CBD[1]),
        _point("B2", "building", _east(40), CBD[1]),
        _point("B3", "building", _east(120), CBD[1]),
        _point("D1", "door", _east(300), CBD[1]),
        _point("B4", "building", _east(2000), CBD[1]),
        _point("R1", "road", None, None),  # no point: left out
    ]
    return AddressPoints(records)


def test_nearest(points: AddressPoints) -> None:
    assert len(points) == 5
    hits = points.nearest(*CBD, k=5, max_m=500)
    assert [c for c, _ in hits] == ["B1", "B2", "B3", "D1"]
    assert [round(d) for _, d in hits] == [10, 40, 120, 300]
    assert [c for c, _ in points.nearest(*CBD, k=2)] == ["B1", "B2"]
    assert points.nearest(*CBD, k=5, max_m=5) == []
    assert [c for c, _ in points.nearest(_east(1990), CBD[1], k=3, max_m=100)] == ["B4"]


def test_nearest_from_gcj02_and_bd09(points: AddressPoints) -> None:
    g = wgs84_to_gcj02(_east(41), CBD[1])
    assert points.nearest(*g, k=1, crs="gcj02")[0][0] == "B2"
    b = wgs84_to_bd09(_east(41), CBD[1])
    code, dist = points.nearest(*b, k=1, crs="bd09")[0]
    assert code == "B2" and dist == pytest.approx(1.0, abs=0.05)


def test_nearest_many_vectorized(points: AddressPoints) -> None:
    lons = np.array([_east(0), _east(310), _east(5000), float("nan")])
    lats = np.full(4, CBD[1])
    out = points.nearest_many(lons, lats, k=1, max_m=50)
    assert [[c for c, _ in hits] for hits in out] == [["B1"], ["D1"], [], []]


def test_levels_filter_and_reverse_geocode(points: AddressPoints) -> None:
    doors = AddressPoints(points.records, levels={"door"})
    assert [c for c, _ in doors.nearest(*CBD)] == ["D1"]
    found = points.reverse_geocode(_east(118), CBD[1])
    assert found is not None and found[0].code == "B3" and found[1] == pytest.approx(2.0, abs=0.05)
    assert points.reverse_geocode(_east(5000), CBD[1]) is None
    empty = AddressPoints([])
    assert empty.nearest(*CBD) == [] and empty.reverse_geocode(*CBD) is None


def test_demo_library_points_find_themselves(geography: DemoGeography) -> None:
    lib = build_demo_library(geography)
    pts = AddressPoints(lib.addresses, levels={"building", "door"})
    assert len(pts) == sum(1 for a in lib.addresses if a.level in ("building", "door"))
    sample = pts.records[:: max(1, len(pts) // 300)]
    lons = np.array([r.lon for r in sample], dtype=np.float64)
    lats = np.array([r.lat for r in sample], dtype=np.float64)
    hits = pts.nearest_many(lons, lats, k=3, max_m=200)
    by_code = {r.code: r for r in pts.records}
    for record, found in zip(sample, hits, strict=True):
        # The record itself or another one at the very same point (village houses may share one).
        assert found and found[0][1] < 0.01
        nearest = by_code[found[0][0]]
        assert (nearest.lon, nearest.lat) == (record.lon, record.lat)
        assert [d for _, d in found] == sorted(d for _, d in found)
    # A phone in GCJ-02 at a building's door reports that building (or one at the same point).
    g = wgs84_to_gcj02(sample[0].lon or 0.0, sample[0].lat or 0.0)
    assert pts.nearest(*g, k=1, crs="gcj02")[0][1] < 0.01


def test_a_retired_address_is_no_longer_nearest() -> None:
    pts = AddressPoints([_point("B1", "building", _east(10), CBD[1]), _point("B2", "building", _east(40), CBD[1])])
    pts.retire("B1")
    pts.retire("nope")  # unknown codes are ignored
    assert [c for c, _ in pts.nearest(*CBD, k=2, max_m=500)] == ["B2"]  # still k answers from the living ones
