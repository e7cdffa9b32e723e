"""Structural validation of the event catalog data file (catalog.csv).

Uses only the standard library ``csv`` module so it can run before the
catalog loader exists.
"""

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

Rows = tuple[list[str], list[list[str]]]
Records = list[dict[str, str]]

CATALOG_PATH = Path(__file__).resolve().parents[3] / "src" / "gridgov" / "catalog" / "data" / "catalog.csv"

EXPECTED_HEADER = [
    "major_code",
    "major_name",
    "minor_code",
    "minor_name",
    "kind",
    "dept_type",
    "co_dept_types",
    "default_level",
    "limit_a",
    "limit_b",
    "limit_c",
    "limit_unit",
    "self_handle",
    "close_condition",
    "keywords",
    "urgency",
    "clock_basis",
]

DEPT_TYPES = {
    "chengguan",
    "zhujian",
    "jiaotong",
    "jiaojing",
    "shengtai",
    "shuiwu",
    "yingji",
    "xiaofang",
    "gongan",
    "shichang",
    "weijian",
    "minzheng",
    "renshe",
    "jiaoyu",
    "sifa",
    "guihua",
    "gongdian",
    "ranqi",
    "zongzhi",
    "shequ",
    "zongguan",
}
KINDS = {"event", "component"}
LEVELS = {"grid", "community", "street", "district"}
SELF_HANDLE_LEVELS = {"grid", "community"}
UNITS = {"working_hours", "working_days"}

MIN_MAJORS = 12
MIN_MINORS = 120

MAJOR_RE = re.compile(r"^\d{2}$")
MINOR_RE = re.compile(r"^\d{5}$")
POS_INT_RE = re.compile(r"^[1-9]\d*$")


def _read() -> Rows:
    with CATALOG_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [row for row in reader if row]
    return header, rows


@pytest.fixture(scope="module")
def header_and_rows() -> Rows:
    assert CATALOG_PATH.is_file(), f"missing catalog file: {CATALOG_PATH}"
    return _read()


@pytest.fixture(scope="module")
def records(header_and_rows: Rows) -> Records:
    header, rows = header_and_rows
    assert header == EXPECTED_HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";")] if value.strip() else []


def test_header_exact(header_and_rows: Rows) -> None:
    header, _ = header_and_rows
    assert header == EXPECTED_HEADER


def test_row_width(header_and_rows: Rows) -> None:
    header, rows = header_and_rows
    bad = [i for i, row in enumerate(rows, start=2) if len(row) != len(header)]
    assert not bad, f"rows with wrong column count (line numbers): {bad}"


def test_no_surrounding_whitespace(records: Records) -> None:
    bad = [(r["minor_code"], k) for r in records for k, v in r.items() if v != v.strip()]
    assert not bad, bad


def test_codes_well_formed_and_prefixed(records: Records) -> None:
    for r in records:
        assert MAJOR_RE.match(r["major_code"]), r["major_code"]
        assert MINOR_RE.match(r["minor_code"]), r["minor_code"]
        assert r["minor_code"][:2] == r["major_code"], r["minor_code"]
        assert r["minor_code"][2:] != "000", r["minor_code"]


def test_minor_codes_unique(records: Records) -> None:
    seen: set[str] = set()
    dups: set[str] = set()
    for r in records:
        code = r["minor_code"]
        (dups if code in seen else seen).add(code)
    assert not dups, sorted(dups)


def test_minor_names_unique(records: Records) -> None:
    seen: set[str] = set()
    dups: set[str] = set()
    for r in records:
        name = r["minor_name"]
        (dups if name in seen else seen).add(name)
    assert not dups, sorted(dups)


def test_major_name_consistent(records: Records) -> None:
    names = defaultdict(set)
    codes_by_name = defaultdict(set)
    for r in records:
        assert r["major_name"], r["minor_code"]
        names[r["major_code"]].add(r["major_name"])
        codes_by_name[r["major_name"]].add(r["major_code"])
    assert all(len(v) == 1 for v in names.values()), dict(names)
    assert all(len(v) == 1 for v in codes_by_name.values()), dict(codes_by_name)


def test_minimum_counts(records: Records) -> None:
    majors = {r["major_code"] for r in records}
    assert len(majors) >= MIN_MAJORS, len(majors)
    assert len(records) >= MIN_MINORS, len(records)


def test_names_non_empty(records: Records) -> None:
    for r in records:
        assert r["minor_name"], r["minor_code"]


def test_kind_valid(records: Records) -> None:
    for r in records:
        assert r["kind"] in KINDS, (r["minor_code"], r["kind"])


def test_departments_valid(records: Records) -> None:
    for r in records:
        assert r["dept_type"] in DEPT_TYPES, (r["minor_code"], r["dept_type"])
        co = _split(r["co_dept_types"])
        for dept in co:
            assert dept in DEPT_TYPES, (r["minor_code"], dept)
        assert r["dept_type"] not in co, r["minor_code"]
        assert len(co) == len(set(co)), r["minor_code"]


def test_levels_valid(records: Records) -> None:
    for r in records:
        assert r["default_level"] in LEVELS, (r["minor_code"], r["default_level"])


def test_limits(records: Records) -> None:
    for r in records:
        values = [r["limit_a"], r["limit_b"], r["limit_c"]]
        assert all(POS_INT_RE.match(v) for v in values), (r["minor_code"], values)
        a, b, c = (int(v) for v in values)
        assert a <= b <= c, (r["minor_code"], a, b, c)
        assert r["limit_unit"] in UNITS, (r["minor_code"], r["limit_unit"])


def test_self_handle(records: Records) -> None:
    for r in records:
        assert r["self_handle"] in {"0", "1"}, (r["minor_code"], r["self_handle"])
        if r["self_handle"] == "1":
            assert r["default_level"] in SELF_HANDLE_LEVELS, r["minor_code"]


def test_close_condition_and_keywords(records: Records) -> None:
    for r in records:
        assert r["close_condition"], r["minor_code"]
        keywords = _split(r["keywords"])
        assert keywords, r["minor_code"]
        assert all(keywords), (r["minor_code"], r["keywords"])


def test_urgency_and_clock_basis(records: Records) -> None:
    """Every 小类 names its default urgency and its time basis; 突发事件 run round the clock, and the ones that are
    重特大 by nature (collapse, gas leak, landslide, chemicals, mass incidents) are so by default."""
    for r in records:
        assert r["urgency"] in {"normal", "urgent", "major"}, r["minor_code"]
        assert r["clock_basis"] in {"working", "natural"}, r["minor_code"]
    by_code = {r["minor_code"]: r for r in records}
    assert (by_code["04005"]["urgency"], by_code["04005"]["clock_basis"]) == ("urgent", "natural")  # 火情
    for code in ("04001", "04004", "04007", "04010", "04013", "04015"):
        assert by_code[code]["urgency"] == "major", code
    assert all(r["clock_basis"] == "natural" for r in records if r["major_code"] == "04")
    assert by_code["01001"]["urgency"] == "normal" and by_code["01001"]["clock_basis"] == "working"
