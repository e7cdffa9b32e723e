"""Possible duplicates (nearby, same 大类, last week) and merging a duplicate into its main case."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.org.models import Division

Login = Callable[[str], dict[str, str]]


def _grid_and_dispatcher(session: Session, index: int) -> tuple[Division, str]:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[index]
    community = session.get(Division, grid.parent_id)
    assert community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return grid, f"dsp_{street.code}"


def test_nearby_report_is_suggested_and_merged(app_client: TestClient, login: Login, session: Session) -> None:
    grid, dispatcher_name = _grid_and_dispatcher(session, 90)
    assert grid.center_lon is not None and grid.center_lat is not None
    lon, lat = grid.center_lon, grid.center_lat
    resident = login("resident1")

    def report(title: str, dlon: float = 0.0) -> int:
        body = {"title": title, "lon": lon + dlon, "lat": lat}
        r = app_client.post("/api/events", json=body, headers=resident)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    main = report("小区门口垃圾堆积发臭")
    dup = report("小区门口垃圾堆积", dlon=0.0003)  # ~30 m away
    far = report("小区门口垃圾堆积", dlon=0.02)  # ~2 km away, another grid
    dispatcher = login(dispatcher_name)
    r = app_client.get(f"/api/events/{dup}/duplicates", headers=dispatcher)
    assert r.status_code == 200, r.text
    found = [d["event"]["id"] for d in r.json()]
    assert main in found and far not in found
    first = next(d for d in r.json() if d["event"]["id"] == main)
    assert first["distance_m"] is not None and first["distance_m"] < 60 and first["similarity"] > 0.5

    merged = app_client.post(f"/api/events/{dup}/actions/merge", json={"into_event_id": main}, headers=dispatcher)
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["status"] == "merged" and body["merged_into_id"] == main
    assert body["history"][-1]["action"] == "merge"
    # a merged case is terminal: nothing more can happen to it but a dispatcher's split
    again = app_client.post(f"/api/events/{dup}/actions/file", json={"category_code": "01002"}, headers=dispatcher)
    assert again.status_code == 409 and again.json()["error"]["allowed"] == ["split"]
    # merging into itself or into a finished case is refused
    self_merge = app_client.post(f"/api/events/{main}/actions/merge", json={"into_event_id": main}, headers=dispatcher)
    assert self_merge.status_code == 422 and self_merge.json()["error"]["field"] == "into_event_id"
    into_merged = app_client.post(f"/api/events/{main}/actions/merge", json={"into_event_id": dup}, headers=dispatcher)
    assert into_merged.status_code == 409


def test_main_case_lists_its_merged_duplicates_and_search_by_number(
    app_client: TestClient, login: Login, session: Session
) -> None:
    grid, dispatcher_name = _grid_and_dispatcher(session, 91)
    resident = login("resident2")
    body = {"title": "路面坑洼", "grid_code": grid.code}
    main = app_client.post("/api/events", json=body, headers=resident).json()
    dup = app_client.post("/api/events", json=body, headers=resident).json()
    dispatcher = login(dispatcher_name)
    r = app_client.post(
        f"/api/events/{dup['id']}/actions/merge", json={"into_event_id": main["id"]}, headers=dispatcher
    )
    assert r.status_code == 200, r.text
    detail = app_client.get(f"/api/events/{main['id']}", headers=dispatcher).json()
    assert [d["number"] for d in detail["duplicates_merged"]] == [dup["number"]]
    found = app_client.get("/api/events", params={"q": dup["number"]}, headers=dispatcher).json()["items"]
    assert [e["id"] for e in found] == [dup["id"]]
    queue = app_client.get("/api/me/queue", headers=resident).json()["queues"]
    assert dup["id"] in [e["id"] for e in queue["done"]["items"]]
    assert dup["id"] not in [e["id"] for e in queue["open"]["items"]]
