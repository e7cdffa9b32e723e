"""The demo's department files give every building a room in the 住建 register that the import accepts, whatever
the number of people and however many IDs are mistyped: rented, else the owner-occupied room of a 公安 resident
(some under the same ID), else a vacant room; with the uses the import knows."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from datetime import date

import pytest

from gridgov.address.records import AddressRecord
from gridgov.blockdata.rules import USE_LABELS, apply_targets, check_row, column_targets, is_vacant_room
from gridgov.demo.blockdata_files import HOUSING_COLUMNS, build_demo_files

COMMUNITY = "440304001001"
NAMES = {COMMUNITY: "福山社区", "440304001000": "福田街道"}  # so that some addresses leave street and community out
TODAY = date(2026, 12, 7)


def _buildings(n: int) -> list[AddressRecord]:
    return [
        AddressRecord(
            code=f"B{i:05d}",
            level="building",
            name=f"{i}栋",
            full_name=f"深圳市福田区福田街道福山社区福民路{i}号福民新村{i}栋",
            parent_code=None,
            community_code=COMMUNITY,
        )
        for i in range(n)
    ]


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]


def _building_of(text: str) -> str:
    found = re.search(r"福民路(\d+)号", text)
    assert found, text
    return f"B{int(found.group(1)):05d}"


def _clean(number: str) -> str:
    return unicodedata.normalize("NFKC", number).strip().upper()


def _rooms_accepted(housing: list[list[str]], buildings: list[AddressRecord]) -> dict[str, list[dict[str, str]]]:
    """Building code → its rows that the import's checks accept and whose address names the building in full."""
    header = list(HOUSING_COLUMNS)
    targets = column_targets(header, HOUSING_COLUMNS, "rental")
    full = {b.code: b.full_name.removeprefix("深圳市") for b in buildings}
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for line in housing:
        row = apply_targets(dict(zip(header, line, strict=True)), targets)
        _checked, problems = check_row("rental", row, TODAY)
        code = _building_of(row["address"])
        if not problems and full[code] in row["address"]:
            out[code].append(row)
    return out


@pytest.mark.parametrize(
    ("people", "typos"),
    [(600, 0.0), (600, 0.5), (100, 0.3), (3, 0.0)],
    ids=["people-enough", "half-mistyped", "fewer-people-than-buildings", "three-people"],
)
def test_every_building_has_a_room_the_import_accepts(people: int, typos: float) -> None:
    buildings = _buildings(300)
    files = {f.department: f for f in build_demo_files(buildings, NAMES, people=people, typo_share=typos, today=TODAY)}
    housing = _rows(files["住建"].data)
    assert files["住建"].rows == len(housing)
    accepted = _rooms_accepted(housing, buildings)
    assert [b.code for b in buildings if not accepted.get(b.code)] == []
    if typos:  # the mistakes are there, on rows besides each building's room
        refused = len(housing) - sum(len(rows) for rows in accepted.values())
        assert refused > 0


def test_rooms_are_rented_owner_occupied_or_vacant() -> None:
    buildings = _buildings(300)
    files = {f.department: f for f in build_demo_files(buildings, NAMES, people=300, typo_share=0.0, today=TODAY)}
    police, housing = _rows(files["公安"].data), _rows(files["住建"].data)
    assert len({_building_of(r[4]) for r in police}) == 210  # the 210 公安 residents live in 210 buildings
    rows = [row for rows in _rooms_accepted(housing, buildings).values() for row in rows]
    assert {USE_LABELS[r["use"]] for r in rows} == {"residential", "rental", "mixed", "commercial"}
    vacant = [r for r in rows if is_vacant_room(r)]
    assert vacant and all(r["owner_name"] and r["use"] for r in vacant)
    owned = [r for r in rows if USE_LABELS[r["use"]] == "residential" and not is_vacant_room(r)]
    assert owned and all(r["owner_name"] == r["tenant_name"] for r in owned)  # owner-occupied
    police_ids = {_clean(r[2]) for r in police}
    assert 0 < sum(_clean(r["id_number"]) in police_ids for r in owned) < len(owned)  # some registered by 公安 too
