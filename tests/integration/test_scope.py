"""Data scope through the HTTP API: every role sees (and acts on) only its own part of the cases.

Five dispatched cases and one fresh report are laid out once for the module over two streets:

    street S1: grid gA  — A (暴露垃圾 → grid gA), C (积存垃圾渣土 → S1 综合行政执法队)
               grid gA2 — A2 (暴露垃圾 → grid gA2)
    street S2: grid gB  — B (暴露垃圾 → grid gB), D (积存垃圾渣土 → S2 综合行政执法队), E (reported only)

Lists are filtered by a token unique to this run, so cases of other tests never get in the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.schemas import CategoryIn
from gridgov.org.models import Division, User
from gridgov.org.services import principal_for
from support import report as report_event

Login = Callable[[str], dict[str, str]]


@dataclass
class World:
    token: str
    ids: dict[str, int]
    gA: Division
    gA2: Division
    gB: Division
    cA: Division
    cB: Division
    s1: Division
    s2: Division
    district: Division

    def names(self, ids: list[int]) -> set[str]:
        back = {v: k for k, v in self.ids.items()}
        return {back[i] for i in ids if i in back}


def _who(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return principal_for(session, user)


def _parent(session: Session, d: Division) -> Division:
    parent = session.get(Division, d.parent_id)
    assert parent is not None
    return parent


@pytest.fixture(scope="module")
def world(engine: Engine, demo: DemoResult) -> World:
    token = f"范围{uuid.uuid4().hex[:10]}"
    with session_factory(engine)() as s:
        grids = s.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
        by_street: dict[int, list[Division]] = {}
        for g in grids:
            by_street.setdefault(_parent(s, _parent(s, g)).id, []).append(g)
        multi = [gs for gs in by_street.values() if len(gs) >= 2]
        s1_grids = multi[len(multi) // 2]
        gA, gA2 = s1_grids[-1], s1_grids[-2]
        s1 = _parent(s, _parent(s, gA))
        gB = next(gs[-1] for sid, gs in by_street.items() if sid != s1.id and gs[-1].id != gA.id)
        s2 = _parent(s, _parent(s, gB))
        district = _parent(s, s1)
        assert s1.id != s2.id and _parent(s, s2).id == district.id

        def case(key: str, who: str, grid: Division, street: Division, category: str | None) -> None:
            ev, _ = report_event(s, _who(s, who), IntakeCommand(title=f"{token} {key}", grid_code=grid.code))
            if category:
                dsp = _who(s, f"dsp_{street.code}")
                one_action(lc.file_event, s, dsp, ev.id, CategoryIn(category_code=category))
                one_action(lc.dispatch_event, s, dsp, ev.id, CategoryIn())
            ids[key] = ev.id

        ids: dict[str, int] = {}
        case("A", "resident1", gA, s1, "01001")
        case("A2", "resident2", gA2, s1, "01001")
        case("C", "resident1", gA, s1, "01002")
        case("B", "resident2", gB, s2, "01001")
        case("D", "resident3", gB, s2, "01002")
        case("E", "resident3", gB, s2, None)
        return World(token, ids, gA, gA2, gB, _parent(s, gA), _parent(s, gB), s1, s2, district)


def listed(client: TestClient, headers: dict[str, str], world: World) -> set[str]:
    r = client.get("/api/events", params={"q": world.token, "limit": 200}, headers=headers)
    assert r.status_code == 200, r.text
    return world.names([e["id"] for e in r.json()["items"]])


def queues(client: TestClient, headers: dict[str, str], world: World) -> dict[str, set[str]]:
    r = client.get("/api/me/queue", params={"limit": 100}, headers=headers)
    assert r.status_code == 200, r.text
    return {name: world.names([e["id"] for e in page["items"]]) for name, page in r.json()["queues"].items()}


def visible(client: TestClient, headers: dict[str, str], world: World, key: str) -> bool:
    r = client.get(f"/api/events/{world.ids[key]}", headers=headers)
    assert r.status_code in (200, 404), r.text
    if r.status_code == 404:
        assert r.json()["error"]["code"] == "not_found"
    return r.status_code == 200


ALL = {"A", "A2", "B", "C", "D", "E"}


def test_grid_worker_sees_only_his_grid(app_client: TestClient, login: Login, world: World) -> None:
    gw = login(f"gw_{world.gA.code}")
    assert listed(app_client, gw, world) == {"A", "C"}
    assert {k for k in ALL if visible(app_client, gw, world, k)} == {"A", "C"}
    q = queues(app_client, gw, world)
    assert q["to_accept"] == {"A"}  # C is led by the street department, not by the grid
    assert set().union(*q.values()) <= {"A", "C"}

    other = login(f"gw_{world.gB.code}")
    assert listed(app_client, other, world) == {"B", "D", "E"}
    assert queues(app_client, other, world)["to_accept"] == {"B"}


def test_handler_sees_only_his_departments_cases(app_client: TestClient, login: Login, world: World) -> None:
    h1 = login(f"h_{world.s1.code}_chengguan")
    assert listed(app_client, h1, world) == {"C"}
    assert {k for k in ALL if visible(app_client, h1, world, k)} == {"C"}
    q = queues(app_client, h1, world)
    assert q["to_accept"] == {"C"} and set().union(*q.values()) == {"C"}

    assert listed(app_client, login(f"h_{world.s2.code}_chengguan"), world) == {"D"}
    # another department of the same street sees none of them
    gongan = login(f"h_{world.s1.code}_gongan")
    assert listed(app_client, gongan, world) == set()
    assert not visible(app_client, gongan, world, "C")


def test_resident_sees_only_own_reports(app_client: TestClient, login: Login, world: World) -> None:
    expected = {"resident1": {"A", "C"}, "resident2": {"A2", "B"}, "resident3": {"D", "E"}}
    for username, own in expected.items():
        headers = login(username)
        assert listed(app_client, headers, world) == own, username
        assert {k for k in ALL if visible(app_client, headers, world, k)} == own, username
        assert set().union(*queues(app_client, headers, world).values()) == own, username


def test_street_dispatcher_sees_its_street_only(app_client: TestClient, login: Login, world: World) -> None:
    d1, d2 = login(f"dsp_{world.s1.code}"), login(f"dsp_{world.s2.code}")
    assert listed(app_client, d1, world) == {"A", "A2", "C"}
    assert listed(app_client, d2, world) == {"B", "D", "E"}
    assert {k for k in ALL if visible(app_client, d1, world, k)} == {"A", "A2", "C"}
    assert "E" in queues(app_client, d2, world)["to_file"]
    assert "E" not in queues(app_client, d1, world)["to_file"]
    # filtering by another street's code does not widen the scope
    r = app_client.get("/api/events", params={"q": world.token, "division_code": world.s2.code}, headers=d1)
    assert r.status_code == 200 and r.json()["items"] == []
    # the district sees both streets; community staff see their community
    assert listed(app_client, login(f"dsp_{world.district.code}"), world) == ALL
    assert listed(app_client, login(f"cs_{world.cA.code}"), world) == {"A", "C"}
    assert listed(app_client, login(f"cs_{world.cB.code}"), world) == {"B", "D", "E"}


def test_acting_out_of_scope_is_refused(app_client: TestClient, login: Login, world: World) -> None:
    def act(username: str, key: str, action: str, body: dict[str, object] | None = None) -> int:
        r = app_client.post(f"/api/events/{world.ids[key]}/actions/{action}", json=body or {}, headers=login(username))
        assert r.status_code >= 400, (username, key, action, r.text)
        assert "message" in r.json()["error"]
        return r.status_code

    assert act(f"gw_{world.gB.code}", "A", "accept") == 404
    assert act(f"gw_{world.gA2.code}", "A", "return", {"note": "不是我的"}) == 404
    assert act(f"h_{world.s2.code}_chengguan", "C", "accept") == 404
    assert act(f"h_{world.s1.code}_gongan", "C", "escalate", {"note": "上报"}) == 404
    assert act(f"dsp_{world.s2.code}", "A", "supervise", {"note": "督办"}) == 404
    assert act(f"dsp_{world.s1.code}", "E", "file", {"category_code": "01001"}) == 404
    assert act("resident1", "B", "reopen", {"note": "重办"}) == 404
    # in sight but not theirs to act on
    assert act(f"gw_{world.gA.code}", "C", "accept") == 403
    assert act(f"h_{world.s1.code}_chengguan", "C", "co_report", {"note": "反馈"}) == 403
    assert (
        act(f"cs_{world.cB.code}", "E", "file", {"category_code": "01002"}) == 403
    )  # a street-level case: the street files

    # nothing moved
    admin = login("admin")
    status = {k: app_client.get(f"/api/events/{i}", headers=admin).json()["status"] for k, i in world.ids.items()}
    assert status == {"A": "dispatched", "A2": "dispatched", "B": "dispatched", "C": "dispatched"} | {
        "D": "dispatched",
        "E": "reported",
    }
