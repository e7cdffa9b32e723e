"""Every case has an owner: a report that cannot be placed is held by exactly one centre — that of the most specific
division its text names (else the city) — the reporter is told at once, and a point on the map places it."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.dispatch.queues import my_queue
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
STAFF = ("dispatcher", "community_staff", "leader", "grid_worker", "admin", "handler")


def _holders(session: Session, people: People, event_id: int) -> list[str]:
    """Every active staff user whose work queues list the case (an account another test deactivated has none)."""
    staff = select(User.username).where(User.role.in_(STAFF), User.active.is_(True)).order_by(User.username)
    names = session.scalars(staff).all()
    out = []
    for name in names:
        queues = my_queue(session, people.user(name), limit=500)
        if any(event_id in {e.id for e in page.items} for page in queues.values()):
            out.append(name)
    return out


def _inside(session: Session) -> tuple[Division, float, float]:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).first()
    assert grid is not None and grid.geometry is not None
    point = shape(grid.geometry).representative_point()
    return grid, point.x, point.y


def test_an_unplaceable_report_reaches_one_queue_and_the_reporter_is_told(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    district = session.scalar(select(Division).where(Division.name == "福田区"))
    assert district is not None
    r = app_client.post(
        "/api/events",
        json={"title": "路灯不亮", "address_text": "深圳市福田区不存在大道99999号"},
        headers=login("resident1"),
    )
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["grid_id"] is None and ev["owner_division_id"] == district.id
    assert ev["place_needed"] is True and "福田区" in ev["place_note"] and "地图" in ev["place_note"]
    assert "place" in ev["allowed_actions"]
    assert _holders(session, people, ev["id"]) == [f"dsp_{district.code}"]

    # the reporter marks the place on the map: the case moves to that grid and is told nothing more
    grid, lon, lat = _inside(session)
    placed = app_client.post(
        f"/api/events/{ev['id']}/actions/place", json={"lon": lon, "lat": lat}, headers=login("resident1")
    )
    assert placed.status_code == 200, placed.text
    body = placed.json()
    assert body["grid_code"] == grid.code and body["place_needed"] is False and body["place_note"] is None
    again = app_client.post(
        f"/api/events/{ev['id']}/actions/place", json={"lon": lon, "lat": lat}, headers=login("resident1")
    )
    assert again.status_code == 409
    other = app_client.post(
        f"/api/events/{ev['id']}/actions/place", json={"lon": lon, "lat": lat}, headers=login("resident2")
    )
    assert other.status_code == 404  # not hers: not even visible


def test_a_report_naming_no_division_is_held_by_the_city_centre(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    city = session.scalar(select(Division).where(Division.level == "city"))
    assert city is not None
    r = app_client.post(
        "/api/events",
        json={"title": "噪音扰民", "address_text": "那个没有名字的小卖部后面"},
        headers=login("resident2"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["owner_division_id"] == city.id and r.json()["place_needed"] is True
    assert _holders(session, people, r.json()["id"]) == [f"dsp_{city.code}"]


def test_the_public_reporter_is_told_and_sends_a_point(app_client: TestClient, session: Session) -> None:
    r = app_client.post(
        "/api/public/events",
        json={"title": "井盖缺失", "phone": "13800000017", "address_text": "福田区不存在大道99999号"},
    )
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["place_needed"] is True and "福田区" in receipt["place_note"]
    number, token = receipt["number"], receipt["token"]
    case = app_client.get(f"/api/public/events/{number}", params={"token": token}).json()
    assert case["place_needed"] is True
    bad = app_client.post(
        f"/api/public/events/{number}/place", params={"token": token}, json={"lon": 100.0, "lat": 20.0}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "lon"
    _grid, lon, lat = _inside(session)
    done = app_client.post(f"/api/public/events/{number}/place", params={"token": token}, json={"lon": lon, "lat": lat})
    assert done.status_code == 200, done.text
    assert done.json()["place_needed"] is False and done.json()["steps"][-1]["action"] == "place"
