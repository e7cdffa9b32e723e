"""Block data protection: ID numbers and phones masked in every response for a caller without the privilege,
revealed (with an audit row) for one with it, found by exact lookup through the blind index, and read only
inside the caller's data scope (a grid worker his grids, community staff their community)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from blockdata_support import buildings, new_id, new_phone
from gridgov.blockdata import importing, profile, queries
from gridgov.common.audit import AuditLog
from gridgov.common.uow import one_action
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult
from gridgov.org.models import Division
from support import People

Login = Callable[[str], dict[str, str]]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Pair:
    """Two people in two buildings of different communities (and grids)."""

    a_code: str
    b_code: str
    a_id: str
    b_id: str
    a_phone: str
    a_person: int
    b_person: int
    a_grid: str
    a_community: str


@pytest.fixture(scope="module")
def pair(engine: Engine, demo: DemoResult) -> Pair:
    with session_factory(engine)() as s:
        people = People(s)
        found_buildings = buildings(s)
        a = found_buildings[5]
        b = next(x for x in reversed(found_buildings) if x.community_id != a.community_id and x.grid_id != a.grid_id)
        a_id, b_id, a_phone = new_id("19600101"), new_id("19700101"), new_phone()
        rows = [
            {"name": "冯甲", "id_number": a_id, "phone": a_phone, "address": a.full_name + "1单元101"},
            {"name": "冯乙", "id_number": b_id, "phone": new_phone(), "address": b.full_name},
        ]
        report = one_action(
            importing.import_records,
            s,
            people.user("admin"),
            department="公安",
            kind="person",
            filename="p.csv",
            rows=rows,
        )
        assert report.ok, report.errors
        found = queries.find_people(s, people.user("admin"), id_number=a_id)
        other = queries.find_people(s, people.user("admin"), id_number=b_id)
        grid = s.get(Division, a.grid_id)
        assert grid is not None and grid.parent_id is not None
        community = s.get(Division, grid.parent_id)
        assert community is not None
        return Pair(a.code, b.code, a_id, b_id, a_phone, found[0].id, other[0].id, grid.code, community.code)


def test_an_unprivileged_caller_sees_only_masked_numbers(app_client: TestClient, login: Login, pair: Pair) -> None:
    headers = login("ldr_440304000000")  # the district's leader: in scope, no unmask privilege
    r = app_client.get("/api/blockdata/people", params={"id_number": pair.a_id}, headers=headers)
    assert r.status_code == 200, r.text
    [person] = r.json()
    assert person["id_masked"] == pair.a_id[:4] + "**********" + pair.a_id[-4:]
    assert person["sex"] == ("M" if int(pair.a_id[16]) % 2 else "F")
    prof = app_client.get(f"/api/blockdata/profile/{pair.a_code}", headers=headers)
    assert prof.status_code == 200 and prof.json()["can_unmask"] is False
    phones = [p["masked"] for p in prof.json()["phones"] if p["owner_id"] == pair.a_person]
    assert phones == [pair.a_phone[:3] + "****" + pair.a_phone[-4:]]
    for text in (r.text, prof.text):
        assert pair.a_id not in text and pair.a_phone not in text
    denied = app_client.post(f"/api/blockdata/person/{pair.a_person}/reveal", headers=headers)
    assert denied.status_code == 403 and denied.json()["error"]["field"] == "reveal"


def test_an_unmasked_read_is_audited(app_client: TestClient, login: Login, pair: Pair, session: Session) -> None:
    before = session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) or 0
    r = app_client.post(f"/api/blockdata/person/{pair.a_person}/reveal", headers=login("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["id_number"] == pair.a_id and r.json()["phones"] == [pair.a_phone]
    rows = session.scalars(select(AuditLog).where(AuditLog.id > before, AuditLog.action == "pii.read")).all()
    assert [(a.entity, a.entity_id, a.actor_role) for a in rows] == [("bd_person", str(pair.a_person), "admin")]
    assert rows[0].detail == {"fields": ["id_number", "phones"]}
    assert pair.a_id not in str(rows[0].detail) and pair.a_phone not in str(rows[0].detail)


def test_exact_lookup_through_the_blind_index(session: Session, people: People, pair: Pair) -> None:
    admin = people.user("admin")
    messy = f" {pair.a_id.lower().translate(FULL_WIDTH)} "
    assert [p.id for p in queries.find_people(session, admin, id_number=messy)] == [pair.a_person]
    spaced = f"+86 {pair.a_phone[:3]} {pair.a_phone[3:7]} {pair.a_phone[7:]}"
    assert [p.id for p in queries.find_people(session, admin, phone=spaced)] == [pair.a_person]
    assert queries.find_people(session, admin, id_number=new_id("19990909")) == []


def test_a_grid_worker_reads_his_grid_only(session: Session, people: People, pair: Pair) -> None:
    worker = people.user(f"gw_{pair.a_grid}")
    own = profile.address_profile(session, worker, pair.a_code)
    assert [p["id"] for p in own.residents] == [pair.a_person]
    other = profile.address_profile(session, worker, pair.b_code)
    assert other.residents == [] and other.phones == [] and other.address["code"] == pair.b_code
    assert queries.find_people(session, worker, id_number=pair.b_id) == []
    assert [p.id for p in queries.find_people(session, worker, id_number=pair.a_id)] == [pair.a_person]


def test_community_staff_read_their_community_only(app_client: TestClient, login: Login, pair: Pair) -> None:
    headers = login(f"cs_{pair.a_community}")
    mine = app_client.get(f"/api/blockdata/profile/{pair.a_code}", headers=headers).json()
    assert pair.a_person in [p["id"] for p in mine["residents"]]
    theirs = app_client.get(f"/api/blockdata/profile/{pair.b_code}", headers=headers).json()
    assert pair.b_person not in [p["id"] for p in theirs["residents"]]
    assert app_client.get("/api/blockdata/people", params={"id_number": pair.b_id}, headers=headers).json() == []


def test_residents_and_handlers_read_no_block_data(app_client: TestClient, login: Login, pair: Pair) -> None:
    for username in ("resident1", "h_440304000000_chengguan"):
        r = app_client.get(f"/api/blockdata/profile/{pair.a_code}", headers=login(username))
        assert r.status_code == 403, (username, r.text)
