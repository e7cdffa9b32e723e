"""Managing the standard address library end to end: import (CSV/GBK/Excel/GeoJSON) with line-by-line
validation, rename / alias / merge / retire with history, search, reverse geocoding, the review queue and
the `gridgov address` commands.

The demo database is shared by the whole session: every test imports its own addresses (codes start with
"Z", so they sort after the demo's numeric codes, and names use characters the demo never generates) in a
community of its own near the end of the list, and only renames, merges or retires those.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import Workbook
from shapely.geometry import shape
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov.address.geo import haversine_m, wgs84_to_gcj02
from gridgov.address.models import Address, AddressAlias, AddressChange, AddressReview
from gridgov.cli import app as cli_app
from gridgov.org.models import Division

Login = Callable[[str], dict[str, str]]
COLUMNS = ("code", "level", "name", "parent_code", "community_code", "lon", "lat", "aliases")


# --- helpers ----------------------------------------------------------------------------------------------


@dataclass
class Place:
    """A demo community, its ancestors and a few free points inside its grids."""

    community: Division
    street: Division
    district: Division
    chain: str  # 深圳市福田区XX街道XX社区: the prefix of every full_name in the community
    points: list[tuple[float, float, Division]]  # (lon, lat, grid) inside the community, off the demo points


def _place(session: Session, index: int) -> Place:
    """The community at `index` (counted from the end, so that other test files' picks are left alone)."""
    communities = session.scalars(select(Division).where(Division.level == "community").order_by(Division.code)).all()
    community = communities[-1 - index]
    chain = []
    current: Division | None = community
    while current is not None:
        chain.append(current)
        current = session.get(Division, current.parent_id) if current.parent_id else None
    street, district = chain[1], chain[2]
    grids = session.scalars(select(Division).where(Division.parent_id == community.id)).all()
    shapes = [(g, shape(g.geometry)) for g in grids if g.geometry]
    anchors = session.execute(
        select(Address.lon, Address.lat)
        .where(Address.community_id == community.id, Address.lon.is_not(None), Address.lat.is_not(None))
        .order_by(Address.code)
    ).all()
    points: list[tuple[float, float, Division]] = []
    # ~35 m off the demo points, so that nobody else's "nearest address" changes under their feet
    for lon, lat in anchors:
        assert lon is not None and lat is not None
        for dx, dy in ((0.00025, 0.0002), (-0.00025, -0.0002), (0.00025, -0.0002), (-0.00025, 0.0002)):
            plon, plat = round(lon + dx, 6), round(lat + dy, 6)
            grid = next((g for g, s in shapes if s.contains(shapely.Point(plon, plat))), None)
            far = all(haversine_m(plon, plat, p[0], p[1]) > 25 for p in points)
            if grid is not None and far:
                points.append((plon, plat, grid))
                break
        if len(points) >= 4:
            break
    assert len(points) >= 4, community.name
    return Place(community, street, district, "".join(d.name for d in reversed(chain)), points)


def _row(code: str, level: str, name: str, parent: str = "", community: str = "", **kw: Any) -> dict[str, Any]:
    return {"code": code, "level": level, "name": name, "parent_code": parent, "community_code": community, **kw}


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    return buf.getvalue()


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([r.get(c) if r.get(c) != "" else None for c in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _geojson(rows: list[dict[str, Any]]) -> bytes:
    features = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("lon", "lat", "aliases")}
        if r.get("aliases"):
            props["aliases"] = r["aliases"].split(";")  # GeoJSON may carry a list
        geometry = {"type": "Point", "coordinates": [r["lon"], r["lat"]]} if r.get("lon") is not None else None
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def _import(
    client: TestClient, headers: dict[str, str], filename: str, data: bytes | str, crs: str | None = None
) -> Any:
    body = data.encode("utf-8") if isinstance(data, str) else data
    return client.post(
        "/api/addresses/import",
        files={"file": (filename, body, "application/octet-stream")},
        params={"crs": crs} if crs else None,
        headers=headers,
    )


def _translate(client: TestClient, headers: dict[str, str], words: str) -> dict[str, Any]:
    r = client.post("/api/addresses/translate", json={"text": words}, headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _best(client: TestClient, headers: dict[str, str], words: str) -> str | None:
    best = _translate(client, headers, words)["best"]
    return best["code"] if best else None


def _detail(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    r = client.get(f"/api/addresses/{code}", headers=headers)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _address(session: Session, code: str) -> Address:
    session.expire_all()
    a = session.scalar(select(Address).where(Address.code == code))
    assert a is not None, code
    return a


def _codes_with_prefix(session: Session, prefix: str) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Address.code).where(Address.code.startswith(prefix))))


def _tree(p: Place, prefix: str, stem: str) -> list[dict[str, Any]]:
    """road → door (point) → compound (point, aliases) → two buildings (points), all new."""
    c = p.community.code
    (lon1, lat1, _), (lon2, lat2, _), (lon3, lat3, _), (lon4, lat4, _) = p.points[:4]
    return [
        _row(f"{prefix}R1", "road", f"{stem}路", "", c),
        _row(f"{prefix}D1", "door", "8号", f"{prefix}R1", c, lon=lon1, lat=lat1),
        _row(
            f"{prefix}C1", "compound", f"{stem}苑", f"{prefix}D1", c, lon=lon2, lat=lat2, aliases=f"{stem}小苑;老{stem}"
        ),
        _row(f"{prefix}B1", "building", "1栋", f"{prefix}C1", c, lon=lon3, lat=lat3),
        _row(f"{prefix}B2", "building", "2栋", f"{prefix}C1", c, lon=lon4, lat=lat4),
    ]


def _check_tree(
    session: Session, client: TestClient, headers: dict[str, str], p: Place, prefix: str, stem: str
) -> None:
    """The rows of `_tree` are in the database and in the in-memory matcher and point index."""
    assert sorted(_codes_with_prefix(session, prefix)) == sorted(f"{prefix}{s}" for s in ("R1", "D1", "C1", "B1", "B2"))
    road, door, compound, b1 = (_address(session, f"{prefix}{s}") for s in ("R1", "D1", "C1", "B1"))
    assert road.full_name == f"{p.chain}{stem}路"
    assert door.full_name == f"{p.chain}{stem}路8号"
    assert compound.full_name == f"{p.chain}{stem}路8号{stem}苑"
    assert b1.full_name == f"{p.chain}{stem}路8号{stem}苑1栋"
    assert b1.parent_id == compound.id and compound.parent_id == door.id and door.parent_id == road.id
    assert road.parent_id is None and {a.community_id for a in (road, door, compound, b1)} == {p.community.id}
    # a point inside the community gets the grid that contains it; the road has no point and no grid
    assert road.grid_id is None and road.lon is None
    for a, (lon, lat, grid) in zip((door, compound, b1), p.points[:3], strict=True):
        assert (a.lon, a.lat, a.grid_id) == (lon, lat, grid.id)
    assert sorted(session.scalars(select(AddressAlias.alias).where(AddressAlias.address_id == compound.id))) == sorted(
        [f"{stem}小苑", f"老{stem}"]
    )
    # the matcher knows the new names at once
    assert _best(client, headers, f"{p.community.name}{stem}苑1栋") == f"{prefix}B1"
    assert _best(client, headers, f"{p.street.name}{stem}路8号{stem}苑2栋") == f"{prefix}B2"
    assert _best(client, headers, f"{p.community.name}{stem}小苑") == f"{prefix}C1"
    # ... and so does the point index of reverse geocoding
    lon, lat, grid = p.points[2]
    found = client.get("/api/addresses/reverse", params={"lon": lon, "lat": lat}, headers=headers).json()
    assert found["grid"]["code"] == grid.code
    assert found["nearest"][0]["code"] == f"{prefix}B1" and found["nearest"][0]["distance_m"] == 0


# --- 1. import: good files --------------------------------------------------------------------------------


def test_import_utf8_csv_creates_the_rows_with_full_names_grids_and_matches(
    app_client: TestClient, login: Login, session: Session
) -> None:
    p, prefix, stem = _place(session, 0), "ZAMCSV", "璟琮"
    r = _import(app_client, login("admin"), "addresses.csv", _csv(_tree(p, prefix, stem)))
    assert r.status_code == 201, r.text
    assert r.json() == {"ok": True, "created": 5, "errors": []}
    _check_tree(session, app_client, login("admin"), p, prefix, stem)


def test_import_gbk_csv(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix, stem = _place(session, 1), "ZAMGBK", "珩玥"
    data = _csv(_tree(p, prefix, stem)).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8
    r = _import(app_client, login("admin"), "地址.csv", data)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 5
    _check_tree(session, app_client, login("admin"), p, prefix, stem)


def test_import_excel(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix, stem = _place(session, 2), "ZAMXLS", "翊昶"
    r = _import(app_client, login("admin"), "addresses.xlsx", _xlsx(_tree(p, prefix, stem)))
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 5
    _check_tree(session, app_client, login("admin"), p, prefix, stem)


def test_import_geojson(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix, stem = _place(session, 3), "ZAMGEO", "瑾璐"
    r = _import(app_client, login("admin"), "addresses.geojson", _geojson(_tree(p, prefix, stem)))
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 5
    _check_tree(session, app_client, login("admin"), p, prefix, stem)


def test_import_gcj02_coordinates_are_stored_as_wgs84(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 4), "ZAMGCJ"
    lon, lat, grid = p.points[0]
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert haversine_m(lon, lat, glon, glat) > 100  # the datums really differ here
    rows = [_row(f"{prefix}C1", "compound", "琰珂大厦", "", p.community.code, lon=glon, lat=glat)]
    r = _import(app_client, login("admin"), "gcj.csv", _csv(rows), crs="gcj02")
    assert r.status_code == 201, r.text
    a = _address(session, f"{prefix}C1")
    assert a.lon is not None and a.lat is not None
    assert haversine_m(a.lon, a.lat, lon, lat) < 0.5
    assert a.grid_id == grid.id
    assert _detail(app_client, login("admin"), a.code)["lon"] == a.lon


# --- 2. import: validation, all or nothing ------------------------------------------------------------------


def test_import_reports_every_bad_line_and_writes_nothing(
    app_client: TestClient, login: Login, session: Session
) -> None:
    p, prefix, stem = _place(session, 5), "ZAMBAD", "琤瑄"
    other = _place(session, 6)
    c = p.community.code
    (lon1, lat1, _), (lon2, lat2, _) = p.points[:2]
    demo_code = session.scalar(select(Address.code).where(Address.community_id == p.community.id).limit(1))
    assert demo_code is not None
    rows = [
        _row(f"{prefix}R1", "road", f"{stem}路", "", c),  # 2 good
        _row(f"{prefix}D1", "door", "8号", f"{prefix}R1", c, lon=lon1, lat=lat1),  # 3 good
        _row(f"{prefix}R1", "road", f"{stem}二路", "", c),  # 4 duplicate of line 2
        _row(demo_code, "road", f"{stem}三路", "", c),  # 5 already in the library
        _row(f"{prefix}D2", "door", "9号", f"{prefix}NOPE", c),  # 6 orphan parent
        _row(f"{prefix}R4", "road", f"{stem}四路", "", "440304999999"),  # 7 unknown community
        _row(f"{prefix}R5", "road", f"{stem}五路", "", p.street.code),  # 8 a street is not a community
        _row(f"{prefix}R6", "tower", f"{stem}六路", "", c),  # 9 bad level
        _row(f"{prefix}R7", "road", "  ", "", c),  # 10 empty name
        _row(f"{prefix}D3", "door", "10号", f"{prefix}R1", c, lon="东经114度", lat=lat1),  # 11 not a number
        _row(f"{prefix}D4", "door", "11号", f"{prefix}R1", c, lon=2.35, lat=48.85),  # 12 Paris
        _row(f"{prefix}D5", "door", "12号", f"{prefix}R1", c, lon=other.points[0][0], lat=other.points[0][1]),  # 13
        _row(f"{prefix}D6", "door", "14号", f"{prefix}R1", c, lon="nan", lat="nan"),  # 14 not finite
        _row(f"{prefix}C1", "compound", f"{stem}苑", f"{prefix}B9", c),  # 15 parent only further down
        _row(f"{prefix}B9", "building", "1栋", f"{prefix}D1", c, lon=lon2, lat=lat2),  # 16 good
    ]
    r = _import(app_client, login("admin"), "bad.csv", _csv(rows))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["ok"] is False and body["created"] == 0
    found = {(e["line"], e["field"]) for e in body["errors"]}
    assert found == {
        (4, "code"),
        (5, "code"),
        (6, "parent_code"),
        (7, "community_code"),
        (8, "community_code"),
        (9, "level"),
        (10, "name"),
        (11, "lon"),
        (12, "lon"),
        (13, "lon"),
        (14, "lon"),
        (15, "parent_code"),
    }
    messages = {(e["line"], e["field"]): e["message"] for e in body["errors"]}
    assert "第2行" in messages[(4, "code")]  # the duplicate names both lines
    assert "已存在" in messages[(5, "code")]
    assert f"{prefix}NOPE" in messages[(6, "parent_code")]
    assert "440304999999" in messages[(7, "community_code")]
    assert "社区" in messages[(13, "lon")]
    assert all(e["message"] for e in body["errors"])
    assert "第4行" in body["error"]["message"] and "未写入任何数据" in body["error"]["message"]
    # all or nothing: not even the good lines were written, and the matcher does not know them
    assert _codes_with_prefix(session, prefix) == []
    assert _best(app_client, login("admin"), f"{p.community.name}{stem}路8号") != f"{prefix}D1"
    # the same file without the bad lines goes in
    good = [rows[0], rows[1], rows[-1]]
    again = _import(app_client, login("admin"), "good.csv", _csv(good))
    assert again.status_code == 201, again.text
    assert sorted(_codes_with_prefix(session, prefix)) == sorted([f"{prefix}R1", f"{prefix}D1", f"{prefix}B9"])
    # importing it a second time: every code is now already in the library
    twice = _import(app_client, login("admin"), "good.csv", _csv(good))
    assert twice.status_code == 422
    assert {(e["line"], e["field"]) for e in twice.json()["errors"]} == {(2, "code"), (3, "code"), (4, "code")}


def test_import_refuses_unreadable_files(app_client: TestClient, login: Login) -> None:
    admin = login("admin")
    cases = [
        ("addresses.pdf", b"%PDF-1.4", "file"),
        ("addresses.csv", b"name,level\n\xe7\x92\x9f,road\n", "header"),
        ("addresses.csv", b"\xff\xfe\x00\xd8code\n", None),
        ("addresses.xlsx", b"not a zip", "file"),
        ("addresses.geojson", b"{", "file"),
        ("addresses.geojson", b'{"type": "Feature"}', "file"),
    ]
    for filename, data, field in cases:
        r = _import(app_client, admin, filename, data)
        assert r.status_code == 422, (filename, r.text)
        if field:
            assert r.json()["error"]["field"] == field, (filename, r.text)
    bad_crs = _import(app_client, admin, "a.csv", _csv([]), crs="mars")
    assert bad_crs.status_code == 422


def test_import_refuses_a_parent_in_another_community(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 16), "ZAMXCP"
    foreign = session.scalar(
        select(Address.code).where(Address.community_id == _place(session, 17).community.id, Address.level == "road")
    )
    assert foreign is not None
    rows = [_row(f"{prefix}D1", "door", "99号", foreign, p.community.code)]
    r = _import(app_client, login("admin"), "t.csv", _csv(rows))
    assert r.status_code == 422, r.text
    assert {(e["line"], e["field"]) for e in r.json()["errors"]} == {(2, "parent_code")}


def test_import_refuses_a_retired_parent(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 18), "ZAMXRP"
    admin = login("admin")
    c = p.community.code
    assert (
        _import(app_client, admin, "t.csv", _csv([_row(f"{prefix}C1", "compound", "瑢珏苑", "", c)])).status_code == 201
    )
    assert app_client.post(f"/api/addresses/{prefix}C1/retire", json={}, headers=admin).status_code == 200
    r = _import(app_client, admin, "t.csv", _csv([_row(f"{prefix}B1", "building", "1栋", f"{prefix}C1", c)]))
    assert r.status_code == 422, r.text
    assert {(e["line"], e["field"]) for e in r.json()["errors"]} == {(2, "parent_code")}


def test_import_writes_a_create_history_row(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 19), "ZAMHIS"
    admin = login("admin")
    rows = [_row(f"{prefix}C1", "compound", "瑀璋苑", "", p.community.code)]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    assert [h["action"] for h in _detail(app_client, admin, f"{prefix}C1")["history"]] == ["create"]


# --- 3. manage: rename, alias, merge, retire, permissions -------------------------------------------------


def test_rename_keeps_the_old_name_as_alias_and_in_history(
    app_client: TestClient, login: Login, session: Session
) -> None:
    p, prefix, stem = _place(session, 7), "ZAMREN", "璠玟"
    admin = login("admin")
    assert _import(app_client, admin, "t.csv", _csv(_tree(p, prefix, stem))).status_code == 201
    code = f"{prefix}C1"
    r = app_client.post(f"/api/addresses/{code}/rename", json={"name": "玳珣苑", "note": "政府批复更名"}, headers=admin)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["name"] == "玳珣苑" and out["full_name"] == f"{p.chain}{stem}路8号玳珣苑"
    assert f"{stem}苑" in out["aliases"]
    alias = session.scalar(select(AddressAlias).where(AddressAlias.alias == f"{stem}苑"))
    assert alias is not None and alias.kind == "old_name"
    # both the new and the old name find it
    assert _best(app_client, admin, f"{p.community.name}玳珣苑") == code
    assert _best(app_client, admin, f"{p.community.name}{stem}苑") == code
    history = _detail(app_client, admin, code)["history"]
    assert history[-1]["action"] == "rename" and history[-1]["note"] == "政府批复更名"
    assert history[-1]["before"]["name"] == f"{stem}苑" and history[-1]["after"]["name"] == "玳珣苑"
    assert history[-1]["actor_id"] is not None
    # an empty new name is refused by the schema
    assert app_client.post(f"/api/addresses/{code}/rename", json={"name": ""}, headers=admin).status_code == 422
    blank = app_client.post(f"/api/addresses/{code}/rename", json={"name": "   "}, headers=admin)
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "name"
    missing = app_client.post(f"/api/addresses/{prefix}NOPE/rename", json={"name": "x"}, headers=admin)
    assert missing.status_code == 404


def test_rename_updates_the_full_names_below(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix, stem = _place(session, 8), "ZAMRNC", "珞瑭"
    admin = login("admin")
    assert _import(app_client, admin, "t.csv", _csv(_tree(p, prefix, stem))).status_code == 201
    r = app_client.post(f"/api/addresses/{prefix}R1/rename", json={"name": "璇琬路"}, headers=admin)
    assert r.status_code == 200, r.text
    assert _address(session, f"{prefix}B1").full_name == f"{p.chain}璇琬路8号{stem}苑1栋"


def test_add_alias(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix, stem = _place(session, 9), "ZAMALI", "琨瑜"
    admin = login("admin")
    assert _import(app_client, admin, "t.csv", _csv(_tree(p, prefix, stem))).status_code == 201
    code = f"{prefix}C1"
    r = app_client.post(f"/api/addresses/{code}/aliases", json={"alias": "琨瑜花园"}, headers=admin)
    assert r.status_code == 200, r.text
    assert "琨瑜花园" in r.json()["aliases"]
    assert _best(app_client, admin, f"{p.community.name}琨瑜花园") == code
    assert _detail(app_client, admin, code)["history"][-1]["action"] == "alias"
    # adding the same alias again changes nothing
    again = app_client.post(f"/api/addresses/{code}/aliases", json={"alias": "琨瑜花园"}, headers=admin)
    assert again.status_code == 200 and again.json()["aliases"].count("琨瑜花园") == 1
    assert [h["action"] for h in _detail(app_client, admin, code)["history"]].count("alias") == 1
    # a dispatcher may teach aliases (review work); a resident may not
    street_dispatcher = login(f"dsp_{p.street.code}")
    ok = app_client.post(f"/api/addresses/{code}/aliases", json={"alias": "琨瑜新苑"}, headers=street_dispatcher)
    assert ok.status_code == 200, ok.text
    refused = app_client.post(f"/api/addresses/{code}/aliases", json={"alias": "别名"}, headers=login("resident1"))
    assert refused.status_code == 403


def test_merge_moves_children_and_names_onto_the_target(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 10), "ZAMMRG"
    admin = login("admin")
    c = p.community.code
    (lon1, lat1, _), (lon2, lat2, _), (lon3, lat3, _), (lon4, lat4, _) = p.points[:4]
    rows = [
        _row(f"{prefix}C1", "compound", "瑛琦花园", "", c, lon=lon1, lat=lat1),  # the standard one
        _row(f"{prefix}B1", "building", "1栋", f"{prefix}C1", c, lon=lon2, lat=lat2),
        _row(f"{prefix}C2", "compound", "瑛琦苑", "", c, lon=lon3, lat=lat3, aliases="瑛琦小区"),  # duplicate
        _row(f"{prefix}B2", "building", "2栋", f"{prefix}C2", c, lon=lon4, lat=lat4),
        _row(f"{prefix}R1", "road", "瑛琦路", "", c),
    ]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    assert _best(app_client, admin, f"{p.community.name}瑛琦苑") == f"{prefix}C2"

    r = app_client.post(f"/api/addresses/{prefix}C2/merge", json={"into_code": f"{prefix}C1"}, headers=admin)
    assert r.status_code == 200, r.text
    target = r.json()
    assert target["code"] == f"{prefix}C1" and target["status"] == "active"
    assert {"瑛琦苑", "瑛琦小区"} <= set(target["aliases"])
    merged, kept = _address(session, f"{prefix}C2"), _address(session, f"{prefix}C1")
    assert merged.status == "merged" and merged.merged_into_id == kept.id
    assert _address(session, f"{prefix}B2").parent_id == kept.id
    detail = _detail(app_client, admin, f"{prefix}C1")
    assert detail["children"] == 2
    assert _detail(app_client, admin, f"{prefix}C2")["history"][-1]["action"] == "merge"
    # the duplicate's names now lead to the target; the merged code is never proposed again
    for words in (f"{p.community.name}瑛琦苑", f"{p.community.name}瑛琦小区"):
        result = _translate(app_client, admin, words)
        assert result["best"]["code"] == f"{prefix}C1", words
        assert f"{prefix}C2" not in {x["code"] for x in result["candidates"]}
    assert f"{prefix}C2" not in {a["code"] for a in _search(app_client, admin, "瑛琦")}
    # refused: itself, another level, an address that is already merged, an unknown one
    cases = [
        (f"{prefix}C1", f"{prefix}C1", 422),
        (f"{prefix}C1", f"{prefix}R1", 422),
        (f"{prefix}C2", f"{prefix}C1", 409),
        (f"{prefix}C1", f"{prefix}C2", 409),
        (f"{prefix}C1", f"{prefix}NOPE", 404),
    ]
    for code, into, status in cases:
        bad = app_client.post(f"/api/addresses/{code}/merge", json={"into_code": into}, headers=admin)
        assert bad.status_code == status, (code, into, bad.text)
    # a merged address cannot be renamed either
    assert app_client.post(f"/api/addresses/{prefix}C2/rename", json={"name": "x"}, headers=admin).status_code == 409


def test_merge_rebuilds_the_full_names_of_moved_children(
    app_client: TestClient, login: Login, session: Session
) -> None:
    p, prefix = _place(session, 20), "ZAMMFN"
    admin = login("admin")
    c = p.community.code
    rows = [
        _row(f"{prefix}C1", "compound", "璞瑄花园", "", c),
        _row(f"{prefix}C2", "compound", "璞瑄苑", "", c),
        _row(f"{prefix}B2", "building", "2栋", f"{prefix}C2", c),
    ]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    r = app_client.post(f"/api/addresses/{prefix}C2/merge", json={"into_code": f"{prefix}C1"}, headers=admin)
    assert r.status_code == 200, r.text
    assert _address(session, f"{prefix}B2").full_name == f"{p.chain}璞瑄花园2栋"


def test_retire_is_refused_while_children_are_active(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 11), "ZAMRET"
    admin = login("admin")
    c = p.community.code
    (lon1, lat1, _), (lon2, lat2, _) = p.points[:2]
    rows = [
        _row(f"{prefix}C1", "compound", "璎珑大厦", "", c, lon=lon1, lat=lat1),
        _row(f"{prefix}B1", "building", "A座", f"{prefix}C1", c, lon=lon2, lat=lat2),
    ]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    refused = app_client.post(f"/api/addresses/{prefix}C1/retire", json={"note": "拆除"}, headers=admin)
    assert refused.status_code == 409, refused.text
    assert "下级地址" in refused.json()["error"]["message"]
    assert _address(session, f"{prefix}C1").status == "active"

    assert app_client.post(f"/api/addresses/{prefix}B1/retire", json={}, headers=admin).status_code == 200
    r = app_client.post(f"/api/addresses/{prefix}C1/retire", json={"note": "拆除"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "retired"
    history = _detail(app_client, admin, f"{prefix}C1")["history"]
    assert history[-1]["action"] == "retire" and history[-1]["note"] == "拆除"
    assert history[-1]["before"]["status"] == "active" and history[-1]["after"]["status"] == "retired"
    # gone from the matcher and from reverse geocoding; retiring twice is a conflict
    assert _best(app_client, admin, f"{p.community.name}璎珑大厦") != f"{prefix}C1"
    near = app_client.get("/api/addresses/reverse", params={"lon": lon1, "lat": lat1}, headers=admin).json()
    assert f"{prefix}C1" not in {n["code"] for n in near["nearest"]}
    assert app_client.post(f"/api/addresses/{prefix}C1/retire", json={}, headers=admin).status_code == 409


def test_only_admins_edit_the_library(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 12), "ZAMPERM"
    admin = login("admin")
    c = p.community.code
    rows = [_row(f"{prefix}C1", "compound", "珺瑶苑", "", c), _row(f"{prefix}C2", "compound", "珺瑶花园", "", c)]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    other_rows = _csv([_row(f"{prefix}C3", "compound", "珺瑶大厦", "", c)])
    for username in (f"dsp_{p.district.code}", f"dsp_{p.street.code}", f"cs_{c}", "resident1"):
        who = login(username)
        attempts = [
            app_client.post(f"/api/addresses/{prefix}C1/rename", json={"name": "珺瑶新苑"}, headers=who),
            app_client.post(f"/api/addresses/{prefix}C2/merge", json={"into_code": f"{prefix}C1"}, headers=who),
            app_client.post(f"/api/addresses/{prefix}C1/retire", json={}, headers=who),
            _import(app_client, who, "t.csv", other_rows),
        ]
        for r in attempts:
            assert r.status_code == 403, (username, r.request.url, r.text)
            assert r.json()["error"]["message"].startswith("无权")
    assert sorted(_codes_with_prefix(session, prefix)) == [f"{prefix}C1", f"{prefix}C2"]
    assert {_address(session, f"{prefix}C{i}").status for i in (1, 2)} == {"active"}
    assert _address(session, f"{prefix}C1").name == "珺瑶苑"
    assert app_client.post("/api/addresses/translate", json={"text": "x"}).status_code == 401


# --- 4. the history is append-only ------------------------------------------------------------------------


def test_address_change_is_append_only(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 13), "ZAMAPP"
    admin = login("admin")
    rows = [_row(f"{prefix}C1", "compound", "琳琅苑", "", p.community.code)]
    assert _import(app_client, admin, "t.csv", _csv(rows)).status_code == 201
    assert (
        app_client.post(f"/api/addresses/{prefix}C1/aliases", json={"alias": "琳琅园"}, headers=admin).status_code
        == 200
    )
    address_id = _address(session, f"{prefix}C1").id
    change = session.scalar(
        select(AddressChange).where(AddressChange.address_id == address_id, AddressChange.action == "alias")
    )
    assert change is not None
    change_id, note = change.id, change.note

    change.note = "篡改"
    with pytest.raises(PermissionError):
        session.commit()
    session.rollback()
    session.delete(session.get(AddressChange, change_id))
    with pytest.raises(PermissionError):
        session.commit()
    session.rollback()
    statements = [
        text("UPDATE address_change SET note = '篡改' WHERE id = :id"),
        text("DELETE FROM address_change WHERE id = :id"),
    ]
    for stmt in statements:
        with pytest.raises(DBAPIError):
            session.execute(stmt, {"id": change_id})
        session.rollback()
    # ORM bulk statements skip the mapper events: the database trigger still refuses them
    for bulk in (
        update(AddressChange).where(AddressChange.id == change_id).values(note="篡改"),
        delete(AddressChange).where(AddressChange.id == change_id),
    ):
        with pytest.raises(DBAPIError):
            session.execute(bulk)
        session.rollback()
    session.expire_all()
    kept = session.get(AddressChange, change_id)
    assert kept is not None and kept.note == note and kept.action == "alias"


# --- 5. search --------------------------------------------------------------------------------------------


def _search(client: TestClient, headers: dict[str, str], q: str, **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/addresses/search", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, (q, r.text)
    out: list[dict[str, Any]] = r.json()
    return out


def test_search_by_code_prefix_and_typo(app_client: TestClient, login: Login, session: Session) -> None:
    p, prefix = _place(session, 14), "ZAMSCH"
    who = login("resident2")  # any signed-in user may search
    c = p.community.code
    (lon1, lat1, _), (lon2, lat2, _) = p.points[:2]
    rows = [
        _row(f"{prefix}C1", "compound", "瑷琇新村", "", c, lon=lon1, lat=lat1),
        _row(f"{prefix}B1", "building", "1栋", f"{prefix}C1", c, lon=lon2, lat=lat2),
    ]
    assert _import(app_client, login("admin"), "t.csv", _csv(rows)).status_code == 201

    exact = _search(app_client, who, f"{prefix}B1")
    assert [a["code"] for a in exact] == [f"{prefix}B1"]
    assert exact[0]["full_name"] == f"{p.chain}瑷琇新村1栋"
    prefix_hits = [a["code"] for a in _search(app_client, who, "瑷琇")]
    assert prefix_hits[:2] == [f"{prefix}C1", f"{prefix}B1"]  # shortest full name first
    typo = _search(app_client, who, "瑷绣新村")  # 琇 → 绣
    assert typo and typo[0]["code"] == f"{prefix}C1"
    only_buildings = _search(app_client, who, "瑷琇", level="building")
    assert [a["code"] for a in only_buildings] == [f"{prefix}B1"]
    assert all(a["level"] == "road" for a in _search(app_client, who, "瑷琇", level="road"))
    # a demo compound, by its own name with one character wrong
    demo = session.scalars(select(Address).where(Address.level == "compound").order_by(Address.code)).all()[60]
    wrong = demo.name[0] + "氵" + demo.name[2:]
    assert demo.code in [a["code"] for a in _search(app_client, who, wrong)[:3]], (demo.name, wrong)

    assert app_client.get("/api/addresses/search", params={"q": ""}, headers=who).status_code == 422
    assert app_client.get("/api/addresses/search", params={"q": "x" * 201}, headers=who).status_code == 422
    for q in ("😀😀", "   ", "%", "_", "'; DROP TABLE address; --", "\\"):
        r = app_client.get("/api/addresses/search", params={"q": q}, headers=who)
        assert r.status_code in (200, 422), (q, r.text)
        if r.status_code == 200 and q in ("😀😀", "   ", "%", "_"):
            assert r.json() == [], q


# --- 6. reverse geocoding ---------------------------------------------------------------------------------


def test_reverse_geocoding(app_client: TestClient, login: Login, session: Session) -> None:
    headers = login("resident3")
    b = session.scalars(select(Address).where(Address.level == "building").order_by(Address.code)).all()[150]
    assert b.lon is not None and b.lat is not None and b.grid_id is not None
    grid = session.get(Division, b.grid_id)
    community = session.get(Division, b.community_id)
    assert grid is not None and community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    district = session.get(Division, street.parent_id)
    assert district is not None

    r = app_client.get("/api/addresses/reverse", params={"lon": b.lon, "lat": b.lat}, headers=headers)
    assert r.status_code == 200, r.text
    found = r.json()
    assert found["grid"] == {"code": grid.code, "name": grid.name}
    assert found["community"]["code"] == community.code and found["street"]["code"] == street.code
    assert found["district"] == {"code": district.code, "name": district.name}
    nearest = found["nearest"]
    assert nearest[0] == {"code": b.code, "full_name": b.full_name, "level": "building", "distance_m": 0.0}
    distances = [n["distance_m"] for n in nearest]
    assert distances == sorted(distances) and all(d <= 300 for d in distances) and len(nearest) <= 5

    glon, glat = wgs84_to_gcj02(b.lon, b.lat)
    g = app_client.get("/api/addresses/reverse", params={"lon": glon, "lat": glat, "crs": "gcj02"}, headers=headers)
    assert g.status_code == 200, g.text
    assert g.json()["grid"]["code"] == grid.code and g.json()["nearest"][0]["code"] == b.code
    assert abs(g.json()["lon"] - b.lon) < 1e-5 and abs(g.json()["lat"] - b.lat) < 1e-5
    # without crs the GCJ-02 point is read as WGS-84: hundreds of metres off
    off = app_client.get("/api/addresses/reverse", params={"lon": glon, "lat": glat}, headers=headers).json()
    assert not off["nearest"] or off["nearest"][0]["code"] != b.code or off["nearest"][0]["distance_m"] > 100

    few = app_client.get("/api/addresses/reverse", params={"lon": b.lon, "lat": b.lat, "k": 2}, headers=headers)
    assert len(few.json()["nearest"]) <= 2

    for lon, lat in ((113.80, 22.20), (2.35, 48.85)):  # the sea off Lantau, Paris
        sea = app_client.get("/api/addresses/reverse", params={"lon": lon, "lat": lat}, headers=headers)
        assert sea.status_code == 200, sea.text
        body = sea.json()
        assert body["grid"] is None and body["community"] is None and body["district"] is None
        assert body["nearest"] == []
    bad_params: list[dict[str, str | float]] = [
        {"lon": "abc", "lat": 22.5},
        {"lon": 200, "lat": 22.5},
        {"lon": 114.0},
        {"lon": "nan", "lat": 22.5},
    ]
    for params in bad_params:
        bad = app_client.get("/api/addresses/reverse", params=params, headers=headers)
        assert bad.status_code == 422, (params, bad.text)
    bad_crs: dict[str, str | float] = {"lon": b.lon, "lat": b.lat, "crs": "mars"}
    assert app_client.get("/api/addresses/reverse", params=bad_crs, headers=headers).status_code == 422


# --- 7. review queue --------------------------------------------------------------------------------------


def _review_for(app_client: TestClient, login: Login, session: Session, b: Address, words: str) -> AddressReview:
    """A resident reports at a building's point with words the matcher cannot place: a review in that street."""
    body = {"title": "路灯不亮", "address_text": words, "lon": b.lon, "lat": b.lat}
    r = app_client.post("/api/events", json=body, headers=login("resident1"))
    assert r.status_code == 201, r.text
    session.expire_all()
    review = session.scalar(select(AddressReview).where(AddressReview.source_id == r.json()["id"]))
    assert review is not None and review.status == "pending", words
    return review


def test_review_queue_is_scoped_and_resolves_once(app_client: TestClient, login: Login, session: Session) -> None:
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.code)).all()
    here, elsewhere = streets[-1], streets[-2]
    b = session.scalars(
        select(Address)
        .join(Division, Division.id == Address.community_id)
        .where(Division.parent_id == here.id, Address.level == "building", Address.lon.is_not(None))
        .order_by(Address.code)
    ).first()
    assert b is not None
    first = _review_for(app_client, login, session, b, "村口那棵老槐树旁边第三家")
    second = _review_for(app_client, login, session, b, "菜市场后门斜对面那排铁皮房")
    assert first.division_path.startswith(here.path) and second.division_path.startswith(here.path)

    def listed(username: str) -> set[int]:
        r = app_client.get("/api/addresses/reviews", params={"limit": 200}, headers=login(username))
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()}

    other, local = f"dsp_{elsewhere.code}", f"dsp_{here.code}"
    assert first.id not in listed(other) and second.id not in listed(other)
    assert {first.id, second.id} <= listed(local)
    assert {first.id, second.id} <= listed("admin")
    assert app_client.get("/api/addresses/reviews", headers=login("resident1")).status_code == 403

    # another street's dispatcher can neither dismiss nor resolve it (and is not told it exists)
    nope = app_client.post(f"/api/addresses/reviews/{first.id}/dismiss", json={}, headers=login(other))
    assert nope.status_code == 404
    nope = app_client.post(
        f"/api/addresses/reviews/{first.id}/resolve", json={"code": b.code, "learn": False}, headers=login(other)
    )
    assert nope.status_code == 404
    session.expire_all()
    assert session.get(AddressReview, first.id).status == "pending"  # type: ignore[union-attr]

    done = app_client.post(
        f"/api/addresses/reviews/{first.id}/dismiss", json={"note": "无法定位"}, headers=login(local)
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "dismissed"
    assert first.id not in listed(local)
    dismissed = app_client.get(
        "/api/addresses/reviews", params={"status": "dismissed", "limit": 200}, headers=login(local)
    )
    assert first.id in {x["id"] for x in dismissed.json()}
    for action, body in (("dismiss", {}), ("resolve", {"code": b.code, "learn": False})):
        again = app_client.post(f"/api/addresses/reviews/{first.id}/{action}", json=body, headers=login("admin"))
        assert again.status_code == 409, again.text

    resolve = {"code": b.code, "learn": False}
    ok = app_client.post(f"/api/addresses/reviews/{second.id}/resolve", json=resolve, headers=login("admin"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "resolved"
    twice = app_client.post(f"/api/addresses/reviews/{second.id}/resolve", json=resolve, headers=login(local))
    assert twice.status_code == 409 and twice.json()["error"]["message"] == "该条已处理"
    missing = app_client.post("/api/addresses/reviews/999999999/dismiss", json={}, headers=login("admin"))
    assert missing.status_code == 404


# --- 8. the command line ----------------------------------------------------------------------------------


def test_cli_import_good_and_bad(app_client: TestClient, login: Login, session: Session, tmp_path: Path) -> None:
    p, prefix = _place(session, 15), "ZAMCLI"
    c = p.community.code
    (lon1, lat1, grid), (lon2, lat2, _) = p.points[:2]
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        _csv(
            [
                _row(f"{prefix}C1", "compound", "琦珮苑", "", c, lon=lon1, lat=lat1),
                _row(f"{prefix}B1", "tower", "1栋", f"{prefix}C1", c),
                _row(f"{prefix}B2", "building", "2栋", f"{prefix}NOPE", c, lon="x", lat=lat2),
            ]
        ),
        encoding="utf-8",
    )
    result = runner.invoke(cli_app, ["address", "import", str(bad)])
    assert result.exit_code == 1, result.output
    assert "3 处错误" in result.output and "未写入任何数据" in result.output
    for piece in ("level", "parent_code", "lon"):
        assert piece in result.output
    assert _codes_with_prefix(session, prefix) == []

    good = tmp_path / "good.csv"
    good.write_bytes(
        _csv(
            [
                _row(f"{prefix}C1", "compound", "琦珮苑", "", c, lon=lon1, lat=lat1),
                _row(f"{prefix}B1", "building", "1栋", f"{prefix}C1", c, lon=lon2, lat=lat2),
            ]
        ).encode("gbk")
    )
    result = runner.invoke(cli_app, ["address", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "已导入 2 条" in result.output
    assert _address(session, f"{prefix}C1").grid_id == grid.id
    # the running API sees what the command wrote
    assert _best(app_client, login("admin"), f"{p.community.name}琦珮苑1栋") == f"{prefix}B1"

    assert runner.invoke(cli_app, ["address", "import", str(good), "--crs", "mars"]).exit_code == 2
    unreadable = tmp_path / "a.pdf"
    unreadable.write_bytes(b"%PDF")
    result = runner.invoke(cli_app, ["address", "import", str(unreadable)])
    assert result.exit_code == 1 and "只支持" in result.output


def test_cli_translate_and_stats(session: Session) -> None:
    b = session.scalars(select(Address).where(Address.level == "building").order_by(Address.code)).all()[120]
    runner = CliRunner()
    words = b.full_name.replace("深圳市", "").replace("福田区", "")
    result = runner.invoke(cli_app, ["address", "translate", words, "今天天气不错", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0]["text"] == words and lines[0]["best"]["code"] == b.code and lines[0]["needs_review"] is False
    assert lines[0]["best"]["full_name"] == b.full_name and lines[0]["confidence"] >= 0.6
    assert lines[1]["needs_review"] is True

    piped = runner.invoke(cli_app, ["address", "translate", "--json"], input=f"{words}\n\n")
    assert piped.exit_code == 0, piped.output
    assert [json.loads(x)["best"]["code"] for x in piped.stdout.splitlines() if x.strip()] == [b.code]

    stats = runner.invoke(cli_app, ["address", "stats"])
    assert stats.exit_code == 0, stats.output
    assert "building" in stats.output and "active" in stats.output and "待确认队列" in stats.output


def test_a_centre_teaches_aliases_only_for_addresses_of_its_own_area(
    app_client: TestClient, login: Login, session: Session
) -> None:
    here, there = _place(session, 7), _place(session, 8)
    assert here.community.id != there.community.id
    mine = session.scalar(select(Address.code).where(Address.community_id == here.community.id).order_by(Address.code))
    theirs = session.scalar(
        select(Address.code).where(Address.community_id == there.community.id).order_by(Address.code)
    )
    staff = login(f"cs_{here.community.code}")
    word = f"别名{uuid.uuid4().hex[:6]}"
    r = app_client.post(f"/api/addresses/{theirs}/aliases", json={"alias": word}, headers=staff)
    assert r.status_code == 403 and r.json()["error"]["field"] == "code"
    r = app_client.post(f"/api/addresses/{mine}/aliases", json={"alias": word}, headers=staff)
    assert r.status_code == 200, r.text
    assert word in r.json()["aliases"]
