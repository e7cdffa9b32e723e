"""随手拍 without an account: report with a phone number, follow up with the case number and token."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.ratelimit import RateLimiter, TooManyRequests
from gridgov.dispatch.models import Event
from gridgov.org.models import Division
from support import People
from support import photo as make_photo

Login = Callable[[str], dict[str, str]]
PNG = make_photo()


def _grid(session: Session, index: int) -> Division:
    return session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[index]


def test_anonymous_report_track_rate_reopen(app_client: TestClient, session: Session) -> None:
    grid = _grid(session, 55)
    lon, lat = grid.center_lon, grid.center_lat
    up = app_client.post("/api/public/attachments", files={"file": ("p.png", PNG, "image/png")})
    assert up.status_code == 201, up.text
    key = uuid.uuid4().hex
    body = {
        "title": "路边井盖缺失",
        "phone": "139 0000 1111",
        "lon": lon,
        "lat": lat,
        "attachments": [up.json()["sha256"]],
        "idempotency_key": key,
    }
    r = app_client.post("/api/public/events", json=body)
    assert r.status_code == 201, r.text
    receipt = r.json()
    number, token = receipt["number"], receipt["token"]
    assert receipt["status"] == "reported" and len(token) >= 24

    event = session.scalar(select(Event).where(Event.number == number))
    assert event is not None and event.grid_id == grid.id and event.reporter_id is None
    assert event.public_token_digest and token not in event.public_token_digest

    case = app_client.get(f"/api/public/events/{number}", params={"token": token})
    assert case.status_code == 200 and case.json()["status"] == "reported"
    assert app_client.get(f"/api/public/events/{number}", params={"token": "x" * 32}).status_code == 404
    # a retry of the same submission creates nothing new
    again = app_client.post("/api/public/events", json=body)
    assert again.json()["number"] == number
    token = again.json()["token"]

    # not closed yet: rating is refused with the allowed actions listed
    r = app_client.post(f"/api/public/events/{number}/rate", params={"token": token}, json={"rating": 5})
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"

    # the token opens this case only, never another one
    other = app_client.post("/api/public/events", json={**body, "idempotency_key": uuid.uuid4().hex})
    other_number = other.json()["number"]
    assert app_client.get(f"/api/public/events/{other_number}", params={"token": token}).status_code == 404


def test_public_report_validation(app_client: TestClient) -> None:
    r = app_client.post("/api/public/events", json={"title": "x", "phone": "12345"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "phone"
    r = app_client.post("/api/public/events", json={"title": "x", "phone": "13900001111"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "address_text"


def test_rate_limiter_window() -> None:
    limiter = RateLimiter("test_window", limit=2, window_seconds=10)
    limiter.hit("a", now=0)
    limiter.hit("a", now=1)
    try:
        limiter.hit("a", now=2)
    except TooManyRequests as exc:
        assert exc.status == 429 and "秒后再试" in exc.message
    else:
        raise AssertionError("third hit inside the window must be refused")
    limiter.hit("a", now=20.5)  # both windows of those hits are over
    limiter.hit("b", now=2)


def test_anonymous_reporter_rates_the_closed_case(app_client: TestClient, session: Session, people: People) -> None:
    from gridgov.common.uow import one_action
    from gridgov.dispatch import lifecycle as lc
    from gridgov.dispatch.schemas import CategoryIn, NoteIn, ResultIn, VerifyIn
    from gridgov.org.models import Department, GridAssignment, User

    grid = _grid(session, 56)
    r = app_client.post(
        "/api/public/events",
        json={"title": "楼道堆放杂物", "phone": "13900002222", "lon": grid.center_lon, "lat": grid.center_lat},
    )
    number, token = r.json()["number"], r.json()["token"]
    event = session.scalar(select(Event).where(Event.number == number))
    assert event is not None
    admin = people.user("admin")
    one_action(lc.file_event, session, admin, event.id, CategoryIn(category_code="01002"))
    one_action(lc.dispatch_event, session, admin, event.id, CategoryIn())
    session.refresh(event)
    lead = next(t for t in event.tasks if t.role == "lead")
    if lead.department_id is not None:
        dept = session.get(Department, lead.department_id)
        assert dept is not None
        handler_name = session.scalars(select(User.username).where(User.department_id == dept.id)).first()
    else:
        handler_name = session.scalar(
            select(User.username)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .where(GridAssignment.grid_id == lead.grid_id)
        )
    assert handler_name is not None
    handler = people.user(handler_name)
    one_action(lc.accept_event, session, handler, event.id, NoteIn())
    one_action(lc.handle_event, session, handler, event.id, ResultIn(note="已清理"))
    community_staff = session.scalar(
        select(User.username).where(User.role == "community_staff", User.division_id == grid.parent_id)
    )
    assert community_staff is not None
    one_action(lc.verify_event, session, people.user(community_staff), event.id, VerifyIn(passed=True))

    case = app_client.get(f"/api/public/events/{number}", params={"token": token}).json()
    assert case["status"] == "closed" and case["can_rate"] and case["result_note"] == "已清理"
    rated = app_client.post(
        f"/api/public/events/{number}/rate", params={"token": token}, json={"rating": 2, "note": "不太满意"}
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 2
    reopened = app_client.post(
        f"/api/public/events/{number}/reopen", params={"token": token}, json={"note": "过两天又堆上了"}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "filed"
    assert [s["action"] for s in reopened.json()["steps"]][-2:] == ["rate", "reopen"]


def test_anonymous_reporter_sees_the_case_photos_only(app_client: TestClient, session: Session) -> None:
    grid = _grid(session, 57)
    photo = app_client.post("/api/public/attachments", files={"file": ("q.png", make_photo(), "image/png")}).json()
    r = app_client.post(
        "/api/public/events",
        json={
            "title": "路灯不亮",
            "phone": "13900003333",
            "lon": grid.center_lon,
            "lat": grid.center_lat,
            "attachments": [photo["sha256"]],
        },
    )
    number, token = r.json()["number"], r.json()["token"]
    case = app_client.get(f"/api/public/events/{number}", params={"token": token}).json()
    assert case["steps"][0]["photos"] == [photo["sha256"]]
    ok = app_client.get(f"/api/public/events/{number}/photos/{photo['sha256']}", params={"token": token})
    assert ok.status_code == 200 and ok.content.startswith(b"\x89PNG")
    other = app_client.post("/api/public/attachments", files={"file": ("o.png", make_photo(), "image/png")}).json()
    refused = app_client.get(f"/api/public/events/{number}/photos/{other['sha256']}", params={"token": token})
    assert refused.status_code == 404
