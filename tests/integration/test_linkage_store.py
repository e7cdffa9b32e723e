"""The stored linkage against the real database: a link run stores clusters with stable keys and golden records
(PII masked), an incremental run keeps every key, stewards' splits and merges are services with audit and event
that survive relinking (incremental and full), and the CLI links with its progress bar."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from blockdata_support import buildings, new_id
from gridgov.blockdata import importing
from gridgov.blockdata.access import may_see
from gridgov.blockdata.linkage import store
from gridgov.blockdata.linkage.tables import LinkCluster, LinkMember
from gridgov.blockdata.models import PersonRecord
from gridgov.cli import app
from gridgov.common.audit import AuditLog
from gridgov.common.errors import Forbidden
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.org.models import User
from support import People

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华玉萍红"
Login = Callable[[str], dict[str, str]]
HOMOPHONE = {"伟": "玮", "芳": "方", "静": "靖", "丽": "莉", "明": "鸣", "华": "桦", "红": "虹"}


def _import(session: Session, actor: Principal, department: str, rows: list[dict[str, str]]) -> list[int]:
    report = one_action(
        importing.import_records, session, actor, department=department, kind="person", filename="p.csv", rows=rows
    )
    assert report.ok, report.errors[:3]
    ids = session.scalars(select(PersonRecord.id).where(PersonRecord.batch_id == report.batch_id))
    return sorted(ids)


def _cluster_of(session: Session, person_id: int) -> str:
    key = session.scalar(
        select(LinkCluster.key)
        .join(LinkMember, LinkMember.cluster_id == LinkCluster.id)
        .where(LinkMember.person_id == person_id)
    )
    assert key is not None
    return key


def population(session: Session, people: People) -> dict[str, list[int]]:
    """120 people from 公安; 40 of them again from 住建 (same ID, a homophone name, another room)."""
    admin = people.user("admin")
    rng = random.Random(13)
    every = buildings(session)  # the middle of the list: other tests count residents at the first and last ones
    places = every[len(every) // 2 : len(every) // 2 + 6]
    base: list[dict[str, str]] = []
    for i in range(120):
        born = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        place = places[i % len(places)]
        base.append({"name": name, "id_number": new_id(born), "phone": f"138{i:08d}", "address": place.full_name})
    copies = [dict(row, name="".join(HOMOPHONE.get(c, c) for c in row["name"]), phone="") for row in base[:40]]
    return {"base": _import(session, admin, "公安", base), "copies": _import(session, admin, "住建", copies)}


def test_link_split_merge_and_relink_against_the_store(session: Session, people: People) -> None:
    admin = people.user("admin")
    made = population(session, people)
    base, copies = made["base"], made["copies"]
    summary = one_action(store.run_link, session, admin, full=True)
    assert summary.mode == "full" and summary.records >= 160
    for original, copy in zip(base[:40], copies, strict=True):
        assert _cluster_of(session, original) == _cluster_of(session, copy)
    assert len({_cluster_of(session, p) for p in base}) == 120
    key = _cluster_of(session, base[0])
    row = session.scalar(select(LinkCluster).where(LinkCluster.key == key))
    assert row is not None and row.record_count == 2
    assert "*" in row.golden["id_number"] and row.golden["id_number_why"].startswith("校验通过")
    assert row.golden["id_number_from"] == str(base[0])  # 公安 wins the ID

    # a steward splits the copy out: audit, event, a new key; the original keeps its key
    split = one_action(store.split, session, admin, [copies[0]], "不同的人")
    assert split.key != key and _cluster_of(session, base[0]) == key and _cluster_of(session, copies[0]) == split.key
    audit = session.scalar(
        select(AuditLog).where(AuditLog.action == "blockdata.cluster_split").order_by(AuditLog.id.desc())
    )
    assert audit is not None and audit.detail["into"] == split.key
    assert session.scalar(select(DomainEvent).where(DomainEvent.name == store.SPLIT)) is not None

    # a new batch links incrementally: no stored key changes, the split holds, the new copy joins its person
    before = {p: _cluster_of(session, p) for p in [*base, *copies]}
    later = _import(session, admin, "人社", [dict(people_row(session, base[1]), phone="")])
    again = one_action(store.run_link, session, admin)
    assert again.mode == "incremental" and again.new_records == 1
    assert {p: _cluster_of(session, p) for p in before} == before
    assert _cluster_of(session, later[0]) == before[base[1]]

    # a full relink retrains, keeps the keys and still honours the split
    one_action(store.run_link, session, admin, full=True)
    assert {p: _cluster_of(session, p) for p in before} == before

    # the steward merges them back; that survives a full relink too
    merged = one_action(store.merge, session, admin, [key, split.key], "核实为同一人")
    assert merged.key == min(key, split.key) and _cluster_of(session, copies[0]) == _cluster_of(session, base[0])
    one_action(store.run_link, session, admin, full=True)
    assert _cluster_of(session, copies[0]) == _cluster_of(session, base[0]) == merged.key


def people_row(session: Session, person_id: int) -> dict[str, str]:
    frame = store.load_records(session, [person_id])
    row = frame.iloc[0]
    place = session.scalar(select(PersonRecord.address_text).where(PersonRecord.id == person_id))
    return {"name": str(row["name"]), "id_number": str(row["id_number"]), "address": str(place)}


def test_only_importers_link_and_steward(session: Session, people: People) -> None:
    worker = people.grid_worker()
    with pytest.raises(Forbidden):
        one_action(store.run_link, session, worker)
    with pytest.raises(Forbidden):
        one_action(store.merge, session, worker, ["P000000001", "P000000002"])


def test_the_cli_links_with_a_progress_bar(session: Session, people: People) -> None:
    population(session, people)
    done = CliRunner().invoke(app, ["blockdata", "link"])
    assert done.exit_code == 0, done.output
    assert "增量关联" in done.output or "全量关联" in done.output


def test_the_api_serves_clusters_waterfalls_and_steward_decisions(
    session: Session, people: People, app_client: TestClient, login: Login
) -> None:
    made = population(session, people)
    one_action(store.run_link, session, people.user("admin"))
    admin = login("admin")
    original, copy = made["base"][2], made["copies"][2]
    key = _cluster_of(session, original)
    got = app_client.get(f"/api/blockdata/clusters/{key}", headers=admin)
    assert got.status_code == 200, got.text
    body = got.json()
    assert {original, copy} <= set(body["members"]) and "*" in body["golden"]["id_number"]
    fall = app_client.get("/api/blockdata/waterfall", params={"left": original, "right": copy}, headers=admin)
    assert fall.status_code == 200, fall.text
    steps = fall.json()["steps"]
    assert steps[0]["column"] == "prior" and steps[-1]["cumulative_weight"] == pytest.approx(
        fall.json()["match_weight"]
    )
    ids = next(s for s in steps if s["column"] == "id_number")
    assert ids["label"] == "身份证号相同且校验通过" and "*" in ids["left"]  # masked
    assert fall.json()["match_probability"] > 0.9
    split = app_client.post("/api/blockdata/clusters/split", json={"person_ids": [copy]}, headers=admin)
    assert split.status_code == 200, split.text
    new_key = split.json()["key"]
    assert new_key != key and split.json()["members"] == [copy]
    merged = app_client.post("/api/blockdata/clusters/merge", json={"keys": [new_key, key]}, headers=admin)
    assert merged.status_code == 200 and merged.json()["key"] == key
    bad = app_client.post("/api/blockdata/clusters/merge", json={"keys": [key, key]}, headers=admin)
    assert bad.status_code == 422
    missing = app_client.get("/api/blockdata/clusters/P999999999", headers=admin)
    assert missing.status_code == 404
    record = session.get(PersonRecord, original)
    assert record is not None
    neighbour = _cluster_of(session, made["base"][8])  # same building as the original
    streets = session.scalars(select(User.username).where(User.username.like("dsp_%")).order_by(User.username))
    stranger = next(u for u in streets if not may_see(people.user(u), record.division_path, record.grid_id))
    outside = app_client.post("/api/blockdata/clusters/merge", json={"keys": [key, neighbour]}, headers=login(stranger))
    assert outside.status_code == 404, outside.text  # a dispatcher of another street cannot touch it
    cut = app_client.post("/api/blockdata/clusters/split", json={"person_ids": [copy]}, headers=login(stranger))
    assert cut.status_code == 404, cut.text
    worker = login(people_in_other_grid(session, people, original))
    assert app_client.get(f"/api/blockdata/clusters/{key}", headers=worker).status_code == 404
    denied = app_client.get("/api/blockdata/waterfall", params={"left": original, "right": copy}, headers=worker)
    assert denied.status_code == 404


def people_in_other_grid(session: Session, people: People, person_id: int) -> str:
    """A grid worker whose grids hold neither record of the person."""
    grid = session.scalar(select(PersonRecord.grid_id).where(PersonRecord.id == person_id))
    from gridgov.org.models import GridAssignment

    for user in session.scalars(select(User).where(User.role == "grid_worker").order_by(User.username)):
        grids = set(session.scalars(select(GridAssignment.grid_id).where(GridAssignment.user_id == user.id)))
        if grid not in grids:
            return user.username
    raise AssertionError("no grid worker outside the record's grid")
