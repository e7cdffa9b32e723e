"""The whole closed loop through the HTTP API: report → file → dispatch → accept → handle → verify → rate."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.org.models import Department, Division, GridAssignment, User
from support import photo

Login = Callable[[str], dict[str, str]]
PNG = photo()


def _grid_with_worker(session: Session) -> tuple[Division, str]:
    row = session.execute(
        select(Division, User.username)
        .join(GridAssignment, GridAssignment.grid_id == Division.id)
        .join(User, User.id == GridAssignment.user_id)
        .order_by(Division.code)
    ).first()
    assert row is not None
    return row[0], row[1]


def _street_of(session: Session, grid: Division) -> Division:
    community = session.get(Division, grid.parent_id)
    assert community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return street


def test_resident_report_to_rating(app_client: TestClient, login: Login, session: Session) -> None:
    grid, worker = _grid_with_worker(session)
    street = _street_of(session, grid)
    resident = login("resident1")

    up = app_client.post("/api/attachments", headers=resident, files={"file": ("a.png", PNG, "image/png")})
    assert up.status_code == 201, up.text
    photo = up.json()["sha256"]

    key = uuid.uuid4().hex
    body = {
        "title": "福民路123号门口垃圾堆了三天",
        "channel": "photo",
        "grid_code": grid.code,
        "reporter_phone": "１３８１２３４５６７８",
        "attachments": [photo],
    }
    r = app_client.post("/api/events", json=body, headers={**resident, "Idempotency-Key": key})
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["status"] == "reported"
    assert event["reporter_phone"] == "138****5678"
    again = app_client.post("/api/events", json=body, headers={**resident, "Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["id"] == event["id"]

    eid = event["id"]
    dispatcher = login(f"dsp_{street.code}")
    r = app_client.post(f"/api/events/{eid}/actions/file", json={"category_code": "01001"}, headers=dispatcher)
    assert r.status_code == 200, r.text
    r = app_client.post(f"/api/events/{eid}/actions/dispatch", json={}, headers=dispatcher)
    assert r.status_code == 200, r.text
    ev = r.json()
    assert ev["status"] == "dispatched" and ev["deadline_at"] is not None
    lead = next(t for t in ev["tasks"] if t["role"] == "lead")

    if lead["department_id"] is not None:
        dept = session.get(Department, lead["department_id"])
        assert dept is not None
        handler_name = session.scalars(select(User.username).where(User.department_id == dept.id)).first()
    else:
        handler_name = worker
    assert handler_name is not None
    handler = login(handler_name)
    assert app_client.post(f"/api/events/{eid}/actions/accept", json={}, headers=handler).status_code == 200
    r = app_client.post(
        f"/api/events/{eid}/actions/handle", json={"note": "已清理", "attachments": [photo]}, headers=handler
    )
    assert r.status_code == 200, r.text

    # the verifier must be someone other than the handler
    verifier = (
        login(worker)
        if handler_name != worker
        else login(
            session.scalars(
                select(User.username).where(User.role == "community_staff", User.division_id == grid.parent_id)
            ).one()
        )
    )
    r = app_client.post(f"/api/events/{eid}/actions/verify", json={"passed": True}, headers=verifier)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"

    r = app_client.post(f"/api/events/{eid}/actions/rate", json={"rating": 5, "note": "很快"}, headers=resident)
    assert r.status_code == 200, r.text
    final = app_client.get(f"/api/events/{eid}", headers=resident).json()
    assert final["status"] == "rated" and final["rating"] == 5
    actions = [h["action"] for h in final["history"]]
    assert actions == ["report", "file", "dispatch", "accept", "handle", "verify_pass", "rate"]


def test_illegal_transition_is_409_with_allowed(app_client: TestClient, login: Login, session: Session) -> None:
    grid, _ = _grid_with_worker(session)
    resident = login("resident2")
    r = app_client.post("/api/events", json={"title": "路灯不亮", "grid_code": grid.code}, headers=resident)
    eid = r.json()["id"]
    street = _street_of(session, grid)
    r = app_client.post(f"/api/events/{eid}/actions/dispatch", json={}, headers=login(f"dsp_{street.code}"))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "illegal_transition"
    assert set(err["allowed"]) >= {"file", "reject"}
    assert "立案" in err["message"]


def test_validation_errors_name_the_field_in_chinese(app_client: TestClient, login: Login) -> None:
    r = app_client.post("/api/events", json={"title": ""}, headers=login("resident1"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "title"
    assert "字段" in err["message"]
    r = app_client.get("/api/events")
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"


def test_departments_list_the_work_they_own(app_client: TestClient, login: Login) -> None:
    r = app_client.get("/api/org/departments", params={"division_code": "440304000000"}, headers=login("admin"))
    assert r.status_code == 200
    by_type = {d["dept_type"]: d for d in r.json()}
    assert "chengguan" in by_type and by_type["chengguan"]["level"] == "district"
    assert by_type["chengguan"]["owns"], "城管 owns some 小类"
    assert all(len(code) == 5 for code in by_type["chengguan"]["owns"])


def test_routing_rule_overrides_the_catalog_in_its_subtree(
    app_client: TestClient, login: Login, session: Session
) -> None:
    # the last community of the demo, so no other test's cases are affected
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code.desc())).first()
    assert grid is not None
    community = session.get(Division, grid.parent_id)
    assert community is not None
    admin = login("admin")
    rule = {"category_code": "01002", "division_code": community.code, "lead_dept_type": "shichang", "level": "street"}
    assert app_client.post("/api/routing-rules", json=rule, headers=admin).status_code == 201
    bad = app_client.post("/api/routing-rules", json={**rule, "division_code": "999"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "division_code"
    refused = app_client.post("/api/routing-rules", json=rule, headers=login("resident1"))
    assert refused.status_code == 403

    r = app_client.post("/api/events", json={"title": "积存垃圾", "grid_code": grid.code}, headers=login("resident3"))
    eid = r.json()["id"]
    street = _street_of(session, grid)
    dispatcher = login(f"dsp_{street.code}")
    app_client.post(f"/api/events/{eid}/actions/file", json={"category_code": "01002"}, headers=dispatcher)
    ev = app_client.post(f"/api/events/{eid}/actions/dispatch", json={}, headers=dispatcher).json()
    lead = next(t for t in ev["tasks"] if t["role"] == "lead")
    dept = session.get(Department, lead["department_id"])
    assert dept is not None and dept.dept_type == "shichang" and dept.division_id == street.id


def test_each_action_has_its_own_input_shape(app_client: TestClient, login: Login, session: Session) -> None:
    grid, _worker = _grid_with_worker(session)
    dispatcher = login(f"dsp_{_street_of(session, grid).code}")
    r = app_client.post("/api/events", json={"title": "占道经营", "grid_code": grid.code}, headers=login("resident2"))
    eid = r.json()["id"]
    missing = app_client.post(
        f"/api/events/{eid}/actions/request_extension", json={"note": "要协调"}, headers=dispatcher
    )
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "hours"
    unknown = app_client.post(f"/api/events/{eid}/actions/teleport", json={}, headers=dispatcher)
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "action"
    assert "dispatch" in unknown.json()["error"]["allowed"]
    spec = app_client.app.openapi()  # type: ignore[attr-defined]
    body = spec["paths"]["/api/events/{event_id}/actions/verify"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "passed" in spec["components"]["schemas"][ref]["required"]
