"""The synthetic standard address library, on the 福田区 demo geography (~120 communities, 60 grids)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from gridgov.address.normalize import normalize
from gridgov.address.records import ADDRESS_LEVELS, AddressRecord
from gridgov.demo.address_library import DemoLibrary, build_demo_library, division_aliases
from gridgov.demo.geography import DemoGeography

CODE_PATTERNS = {
    "road": re.compile(r"^\d{12}R\d{3}$"),
    "door": re.compile(r"^\d{12}D\d{4}$"),
    "compound": re.compile(r"^\d{12}C\d{3}$"),
    "building": re.compile(r"^\d{12}B\d{5}$"),
}
PARENT_LEVELS: dict[str, set[str | None]] = {
    "road": {None},
    "door": {"road"},
    "compound": {None, "door", "road"},
    "building": {"compound", "door"},
}


@pytest.fixture(scope="module")
def library(geography: DemoGeography) -> DemoLibrary:
    return build_demo_library(geography)


def _by_code(lib: DemoLibrary) -> dict[str, AddressRecord]:
    return {a.code: a for a in lib.addresses}


def _of_level(lib: DemoLibrary, level: str) -> list[AddressRecord]:
    return [a for a in lib.addresses if a.level == level]


def test_divisions(library: DemoLibrary, geography: DemoGeography) -> None:
    levels = Counter(d.level for d in library.divisions)
    assert levels["city"] == 1 and levels["district"] == 1 and levels["street"] == 10
    assert levels["community"] == sum(1 for d in geography.divisions if d.level == "community")
    assert "grid" not in levels
    seen: set[str] = set()
    for division in library.divisions:
        assert division.parent_code is None or division.parent_code in seen
        seen.add(division.code)
    by_name = {d.name: d for d in library.divisions}
    assert by_name["深圳市"].aliases == ("深圳",)
    assert by_name["福田区"].aliases == ("福田",)
    assert by_name["福田街道"].aliases == ("福田",)
    community = next(d for d in library.divisions if d.level == "community")
    assert community.aliases == (community.name.removesuffix("社区"),)


def test_division_aliases() -> None:
    assert division_aliases("南山区", "district") == ("南山",)
    assert division_aliases("香蜜湖街道", "street") == ("香蜜湖",)
    assert division_aliases("上沙社区", "community") == ("上沙",)
    assert division_aliases("X区", "district") == ()  # too short to be an alias
    assert division_aliases("福田区", "grid") == ()


def test_codes_unique_and_well_formed(library: DemoLibrary) -> None:
    codes = [a.code for a in library.addresses]
    assert len(codes) == len(set(codes))
    communities = {d.code for d in library.divisions if d.level == "community"}
    for a in library.addresses:
        assert a.level in ADDRESS_LEVELS
        assert CODE_PATTERNS[a.level].match(a.code), a.code
        assert a.code.startswith(a.community_code)
        assert a.community_code in communities


def test_no_units_floors_rooms(library: DemoLibrary) -> None:
    assert {a.level for a in library.addresses} == {"road", "door", "compound", "building"}


def test_parents_exist_first_and_fit(library: DemoLibrary) -> None:
    seen: dict[str, AddressRecord] = {}
    for a in library.addresses:
        if a.parent_code is None:
            assert None in PARENT_LEVELS[a.level]
        else:
            parent = seen.get(a.parent_code)
            assert parent is not None, f"{a.code}: parent {a.parent_code} missing or after the child"
            assert parent.level in PARENT_LEVELS[a.level]
            assert parent.community_code == a.community_code
            assert a.full_name == parent.full_name + a.name
        seen[a.code] = a


def test_full_names(library: DemoLibrary) -> None:
    divisions = {d.code: d for d in library.divisions}
    for a in library.addresses[:: max(1, len(library.addresses) // 2000)]:
        community = divisions[a.community_code]
        street = divisions[community.parent_code or ""]
        district = divisions[street.parent_code or ""]
        prefix = "深圳市" + district.name + street.name + community.name
        assert a.full_name.startswith(prefix)
        if a.parent_code is None:
            assert a.full_name == prefix + a.name
    sample = next(a for a in library.addresses if a.level == "building" and "号" in a.full_name)
    assert re.search(r"(路|街|大道|巷|道)\d+号", sample.full_name)


def test_points_inside_their_grid(library: DemoLibrary, geography: DemoGeography) -> None:
    grids = {d.code: d for d in geography.divisions if d.level == "grid"}
    polygons = {code: shape(d.geometry) for code, d in grids.items()}
    located = [a for a in library.addresses if a.level in ("door", "compound", "building")]
    assert all(a.lon is not None and a.lat is not None and a.grid_code is not None for a in located)
    by_grid: dict[str, list[AddressRecord]] = {}
    for a in located:
        assert a.grid_code in grids
        assert grids[a.grid_code].parent_code == a.community_code
        assert round(a.lon or 0.0, 6) == a.lon and round(a.lat or 0.0, 6) == a.lat
        by_grid.setdefault(a.grid_code or "", []).append(a)
    for code, records in by_grid.items():
        lons = [r.lon for r in records]
        lats = [r.lat for r in records]
        inside = shapely.contains_xy(polygons[code], lons, lats)
        assert inside.all(), f"{int((~inside).sum())} points outside grid {code}"
    roads = _of_level(library, "road")
    assert all(r.lon is None and r.grid_code is None for r in roads)


def test_counts(library: DemoLibrary) -> None:
    counts = library.counts()
    communities = [d for d in library.divisions if d.level == "community"]
    assert counts["building"] >= 100 * len(communities)
    assert counts["door"] >= 20 * len(communities)
    assert counts["compound"] >= 3 * len(communities)
    per_community = Counter(a.community_code for a in library.addresses if a.level == "building")
    assert set(per_community) == {c.code for c in communities}
    assert min(per_community.values()) >= 0.75 * 130 - 1


def test_buildings_per_community_parameter(geography: DemoGeography) -> None:
    small = build_demo_library(geography, buildings_per_community=20)
    communities = sum(1 for d in small.divisions if d.level == "community")
    assert 15 * communities <= small.counts()["building"] <= 60 * communities
    with pytest.raises(ValueError):
        build_demo_library(geography, buildings_per_community=0)


def test_deterministic(library: DemoLibrary, geography: DemoGeography) -> None:
    again = build_demo_library(geography)
    assert again == library
    other = build_demo_library(geography, seed=7)
    assert other.addresses != library.addresses


def test_progress(geography: DemoGeography) -> None:
    calls: list[tuple[str, int, int]] = []
    build_demo_library(geography, buildings_per_community=5, progress=lambda *a: calls.append(a))
    total = sum(1 for d in geography.divisions if d.level == "community")
    assert len(calls) == total
    assert calls[-1] == ("addresses", total, total)


def test_names_look_like_addresses(library: DemoLibrary) -> None:
    roads = _of_level(library, "road")
    assert all(re.search(r"(路|街|大道|巷|道)$", r.name) for r in roads)
    suffixes = Counter(re.sub(r"^.*?(大道|[一二三东西南北中]路|路|横街|新街|街|巷|道)$", r"\1", r.name) for r in roads)
    assert {"路", "街", "大道"} <= set(suffixes)
    doors = _of_level(library, "door")
    numbers = [int(d.name[:-1]) for d in doors]
    assert all(re.fullmatch(r"\d+号", d.name) for d in doors)
    assert any(n % 2 for n in numbers) and any(n % 2 == 0 for n in numbers)
    compounds = _of_level(library, "compound")
    names = " ".join(c.name for c in compounds)
    for word in ("花园", "新村", "小区", "大厦", "工业", "公寓"):
        assert word in names, word
    buildings = _of_level(library, "building")
    forms = Counter(
        "village" if re.fullmatch(r".+巷\d+号", b.name) else "letter" if re.fullmatch(r"[A-Z]座", b.name) else "栋"
        for b in buildings
    )
    assert all(forms[k] > 0 for k in ("village", "letter", "栋")), forms
    assert all(re.fullmatch(r"\d+栋|[A-Z]座|.+巷\d+号", b.name) for b in buildings)
    # Standard building names are already normalized (villages keep 东一巷 in the standard form).
    assert all(normalize(b.name) == b.name for b in buildings if not b.name.endswith("号"))


def test_compounds_on_doors_roads_and_community(library: DemoLibrary) -> None:
    by_code = _by_code(library)
    parents = Counter(
        "community" if c.parent_code is None else by_code[c.parent_code].level for c in _of_level(library, "compound")
    )
    assert parents["door"] > parents["community"] > 0 and parents["road"] > 0
    village = next(c for c in _of_level(library, "compound") if c.name.endswith("村") and c.parent_code is None)
    houses = [b for b in library.addresses if b.parent_code == village.code]
    assert len(houses) >= 20 and all(re.fullmatch(r"[东西南北][一二三四五六七八九十]+巷\d+号", h.name) for h in houses)
    door_buildings = [b for b in _of_level(library, "building") if by_code[b.parent_code or ""].level == "door"]
    assert door_buildings


def test_aliases(library: DemoLibrary) -> None:
    compounds = _of_level(library, "compound")
    aliased = [c for c in compounds if c.aliases]
    assert 0.1 <= len(aliased) / len(compounds) <= 0.35
    assert any(c.name.endswith("新村") and c.aliases[0] == c.name[:-2] + "村" for c in aliased)
    roads = _of_level(library, "road")
    assert 0.03 <= sum(1 for r in roads if r.aliases) / len(roads) <= 0.3
    # Compound names and aliases are unique city-wide, so a compound name alone identifies it.
    forms = [c.name for c in compounds] + [alias for c in compounds for alias in c.aliases]
    assert len(forms) == len(set(forms))
    assert all(alias != c.name for c in aliased for alias in c.aliases)


def test_door_numbers_unique_per_district_road(library: DemoLibrary) -> None:
    by_code = _by_code(library)
    divisions = {d.code: d for d in library.divisions}
    keys: Counter[tuple[str | None, str, str]] = Counter()
    for door in _of_level(library, "door"):
        road = by_code[door.parent_code or ""]
        district = divisions[divisions[door.community_code].parent_code or ""].parent_code
        keys[(district, road.name, door.name)] += 1
    assert max(keys.values()) == 1
    # Some roads run on into a neighbouring community (same name, own code).
    road_names = Counter(r.name for r in _of_level(library, "road"))
    assert any(n > 1 for n in road_names.values())
    road_names_per_community = Counter((r.community_code, r.name) for r in _of_level(library, "road"))
    assert max(road_names_per_community.values()) == 1
