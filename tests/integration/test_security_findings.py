"""The security review's findings 9, 11 and 12 (issue 12), each pinned by a test that failed before its fix:
a dispatcher placing a case on another street's address, a resident reading the internal history of his own
case, fuzzed inputs answered with 500, error responses missing from the spec, and a replayed public report
invalidating its first follow-up token."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.schemas import CategoryIn, NoteIn
from gridgov.org.models import Division
from support import People, report

Login = Callable[[str], dict[str, str]]


@pytest.fixture
def client(app_client: TestClient) -> Iterator[TestClient]:
    """A client of its own source address: the public rate limits count per source, shared with other tests."""
    with TestClient(app_client.app, client=(f"10.9.{uuid.uuid4().int % 250}.7", 50000)) as c:
        yield c


def _street_of_grid(session: Session, grid: Division) -> Division:
    community = session.get(Division, grid.parent_id)
    assert community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return street


def _grids(session: Session) -> list[Division]:
    return list(session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)))


def _address_outside(session: Session, street: Division) -> Address:
    rows = session.execute(select(Address, Division.path).join(Division, Division.id == Address.community_id)).all()
    found = next(a for a, path in rows if not path.startswith(street.path) and a.status == "active")
    return found


def test_locate_refuses_an_address_of_another_area(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    grid = _grids(session)[3]
    street = _street_of_grid(session, grid)
    case, _ = report(session, people.user("resident1"), IntakeCommand(title="定位越权测试", grid_code=grid.code))
    elsewhere = _address_outside(session, street)
    r = app_client.post(
        f"/api/events/{case.id}/actions/locate",
        json={"address_code": elsewhere.code},
        headers=login(f"dsp_{street.code}"),
    )
    assert r.status_code == 403, r.text
    assert r.json()["error"]["field"] == "address_code"
    session.refresh(case)
    assert case.address_id is None
    # an address of its own street is accepted
    rows = session.execute(select(Address, Division.path).join(Division, Division.id == Address.community_id)).all()
    inside = next(a for a, path in rows if path.startswith(street.path) and a.status == "active")
    ok = app_client.post(
        f"/api/events/{case.id}/actions/locate", json={"address_code": inside.code}, headers=login(f"dsp_{street.code}")
    )
    assert ok.status_code == 200, ok.text


def test_resident_sees_the_public_projection_of_his_case(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    grid = _grids(session)[5]
    street = _street_of_grid(session, grid)
    case, _ = report(session, people.user("resident2"), IntakeCommand(title="路灯不亮", grid_code=grid.code))
    dispatcher = people.user(f"dsp_{street.code}")
    one_action(lc.file_event, session, dispatcher, case.id, CategoryIn(category_code="01001", note="内部立案备注"))
    one_action(lc.dispatch_event, session, dispatcher, case.id, CategoryIn())
    one_action(lc.supervise_event, session, dispatcher, case.id, NoteIn(note="内部督办：请尽快处理"))

    staff = app_client.get(f"/api/events/{case.id}", headers=login(f"dsp_{street.code}")).json()
    assert "supervise" in [h["action"] for h in staff["history"]] and staff["tasks"]
    mine = app_client.get(f"/api/events/{case.id}", headers=login("resident2"))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    actions = [h["action"] for h in body["history"]]
    assert actions == ["report", "file", "dispatch"]  # no 督办
    assert all(h["actor_id"] is None and h["data"] == {} for h in body["history"])
    assert "内部" not in mine.text
    assert body["tasks"] == []


@pytest.mark.parametrize("year", ["0", "-1", "10000"])
def test_calendar_year_out_of_range_is_invalid_input(app_client: TestClient, login: Login, year: str) -> None:
    r = app_client.get("/api/calendar", params={"year": year}, headers=login("admin"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "year"


@pytest.mark.parametrize("title", ["   ", "\t\n", "　"])
def test_whitespace_only_title_names_the_field(client: TestClient, title: str) -> None:
    body = {"title": title, "phone": "13900002222", "address_text": "福田区福华路1号"}
    r = client.post("/api/public/events", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "title"


def test_whitespace_only_required_strings_share_the_rule(app_client: TestClient, login: Login) -> None:
    """The same rule on other required strings: a new API key's name, an address alias."""
    r = app_client.post("/api/users/1/api-keys", json={"name": "  "}, headers=login("admin"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "name", r.text


def test_replayed_public_report_keeps_its_follow_up_token(client: TestClient, session: Session) -> None:
    grid = _grids(session)[7]
    body = {
        "title": "楼道堆放杂物",
        "phone": "13900003333",
        "lon": grid.center_lon,
        "lat": grid.center_lat,
        "idempotency_key": uuid.uuid4().hex,
    }
    first = client.post("/api/public/events", json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/public/events", json=body)
    assert again.status_code in (200, 201), again.text
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["token"] == first.json()["token"]
    number = first.json()["number"]
    assert client.get(f"/api/public/events/{number}", params={"token": first.json()["token"]}).status_code == 200
    # another key of the same phone is another case with another token
    other = client.post("/api/public/events", json={**body, "idempotency_key": uuid.uuid4().hex})
    assert other.json()["token"] != first.json()["token"]
