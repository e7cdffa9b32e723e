"""Event intake through the standard address library: text or coordinates → address, grid and tier;
weak matches land in the review queue, and a human's choice places the case and teaches the matcher."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.geo import wgs84_to_gcj02
from gridgov.address.models import Address, AddressAlias, AddressReview
from gridgov.org.models import Division

Login = Callable[[str], dict[str, str]]


def _building(session: Session, index: int) -> Address:
    rows = session.scalars(select(Address).where(Address.level == "building").order_by(Address.code)).all()
    return rows[index]


def test_report_by_address_text_gets_address_grid_and_tier(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b = _building(session, 200)
    text = b.full_name.replace("深圳市", "") + "门口垃圾堆了三天"
    r = app_client.post("/api/events", json={"title": "垃圾堆积", "address_text": text}, headers=login("resident1"))
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["address_code"] == b.code and ev["address_full_name"] == b.full_name
    assert ev["address_confidence"] is not None and ev["address_confidence"] >= 0.6
    assert ev["grid_id"] == b.grid_id and ev["lon"] == b.lon


def test_report_by_gcj02_coordinates_finds_grid_and_nearest_address(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b = _building(session, 300)
    assert b.lon is not None and b.lat is not None
    glon, glat = wgs84_to_gcj02(b.lon, b.lat)
    body = {"title": "井盖缺失", "lon": glon, "lat": glat, "coord_system": "gcj02"}
    ev = app_client.post("/api/events", json=body, headers=login("resident2")).json()
    assert ev["grid_id"] == b.grid_id
    assert ev["address_code"] == b.code
    assert abs(ev["lon"] - b.lon) < 1e-5 and abs(ev["lat"] - b.lat) < 1e-5


def test_unmatched_text_goes_to_review_and_the_choice_places_the_case(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b = _building(session, 400)
    strange = "福田区老街坊说的那个大榕树底下"  # names its district: 福田区's centre holds it
    r = app_client.post("/api/events", json={"title": "噪音扰民", "address_text": strange}, headers=login("resident3"))
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["grid_id"] is None and ev["address_code"] is None
    review = session.scalar(select(AddressReview).where(AddressReview.source_id == ev["id"]))
    assert review is not None and review.status == "pending"

    district = session.scalar(select(Division).where(Division.level == "district"))
    assert district is not None
    dispatcher = login(f"dsp_{district.code}")
    listed = app_client.get("/api/addresses/reviews", headers=dispatcher).json()
    assert any(x["id"] == review.id for x in listed)
    # a case that is not placed cannot be dispatched yet
    app_client.post(f"/api/events/{ev['id']}/actions/file", json={"category_code": "10001"}, headers=dispatcher)
    refused = app_client.post(f"/api/events/{ev['id']}/actions/dispatch", json={}, headers=dispatcher)
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "address"

    done = app_client.post(f"/api/addresses/reviews/{review.id}/resolve", json={"code": b.code}, headers=dispatcher)
    assert done.status_code == 200, done.text
    placed = app_client.get(f"/api/events/{ev['id']}", headers=dispatcher).json()
    assert placed["grid_id"] == b.grid_id and placed["address_code"] == b.code
    assert placed["history"][-1]["action"] == "locate"
    assert session.scalar(
        select(AddressAlias.id).where(AddressAlias.address_id == b.id, AddressAlias.kind == "learned")
    )
    # the matcher learned the phrase: the same words now find the building
    again = app_client.post("/api/addresses/translate", json={"text": strange}, headers=dispatcher).json()
    assert again["best"]["code"] == b.code
    assert app_client.post(f"/api/events/{ev['id']}/actions/dispatch", json={}, headers=dispatcher).status_code == 200


def test_bad_address_inputs_never_crash(app_client: TestClient, login: Login) -> None:
    headers = login("admin")
    for text in ["", "x" * 2000, "😀😀😀", "hello world", "'; DROP TABLE address; --", "<script>alert(1)</script>"]:
        r = app_client.post("/api/addresses/translate", json={"text": text}, headers=headers)
        assert r.status_code == 200, (text[:20], r.text)
        assert r.json()["needs_review"] is True
    r = app_client.post("/api/addresses/translate", json={"text": "x" * 2001}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "text"


def test_parse_endpoint_labels_components(app_client: TestClient, login: Login, session: Session) -> None:
    b = _building(session, 120)
    headers = login("admin")
    r = app_client.post("/api/addresses/parse", json={"text": b.full_name + "2单元501门口"}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    labels = {c["label"] for c in body["components"]}
    assert {"city", "district"} <= labels and ({"road", "poi"} & labels)
    for c in body["components"]:
        assert body["text"][c["start"] : c["end"]] == c["text"]
    for text in ["", "😀", "'; DROP TABLE x; --", "x" * 2000]:
        assert app_client.post("/api/addresses/parse", json={"text": text}, headers=headers).status_code == 200
