"""Plain records of the standard address library, shared by the pure engines (generator, parser, matcher).

The database models mirror these; engines never touch the database, so they can be built, tested and
benchmarked on records alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Levels below the community, top-down. A compound (小区/大厦/工业区/城中村) may hang on a door number, a road or
# directly on the community; buildings hang on a compound or a door number.
ADDRESS_LEVELS: tuple[str, ...] = ("road", "door", "compound", "building", "unit", "floor", "room")
LEVEL_LABELS: dict[str, str] = {
    "road": "街路巷",
    "door": "门牌",
    "compound": "小区/大厦/工业区/城中村",
    "building": "楼栋",
    "unit": "单元",
    "floor": "楼层",
    "room": "房间",
}

# The 21 address-element labels of the NCAP annotation spec, spelled as the spec spells them (devZone, subRoad,
# subRoadNo); labelled files in other spellings (devzone, subroadno …) are mapped to these by tags.canon_tag.
NCAP_LABELS: tuple[str, ...] = (
    "country",
    "prov",
    "city",
    "district",
    "devZone",
    "town",
    "community",
    "road",
    "subRoad",
    "roadno",
    "subRoadNo",
    "poi",
    "subpoi",
    "houseno",
    "cellno",
    "floorno",
    "roomno",
    "person",
    "assist",
    "redundant",
    "otherinfo",
)


@dataclass(frozen=True)
class DivisionRecord:
    """A division above the address library: city, district, street (town) or community."""

    code: str
    name: str
    level: str  # "city" | "district" | "street" | "community"
    parent_code: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddressRecord:
    """One standard address (one node of the library below the community)."""

    code: str  # stable code, string (keep leading zeros)
    level: str  # one of ADDRESS_LEVELS
    name: str  # the node's own name: "福民路", "123号", "福民新村", "3栋", "2单元", "5层", "501"
    full_name: str  # the standard full address: "深圳市福田区福田街道福山社区福民路123号福民新村3栋"
    parent_code: str | None  # parent address code; None when it hangs directly on the community
    community_code: str  # 12-digit community code
    grid_code: str | None = None  # 15-digit grid code (buildings and doors with a point)
    lon: float | None = None  # WGS-84
    lat: float | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)  # old names, short names ("福民新村" → "福民村")


def division_aliases(name: str, level: str) -> tuple[str, ...]:
    """Short forms of a division name: 深圳市→深圳, 福田区→福田, 福田街道→福田, 福山社区→福山."""
    suffix = {"city": "市", "district": "区", "street": "街道", "community": "社区"}.get(level)
    if suffix and name.endswith(suffix) and len(name) - len(suffix) >= 2:
        return (name[: -len(suffix)],)
    return ()
