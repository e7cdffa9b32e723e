"""Enterprise risk grading end to end: a legal entity of the block data with a hazard source at its address and
an open inspection finding is graded with those factors shown, appears on its regulators' lists (the regulating
department's handlers, the area's staff) and nobody else's, and its grade shortens the inspection period."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.models import EntityRecord
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork, one_action
from gridgov.db import session_factory
from gridgov.hazards import inspections
from gridgov.hazards.registry import SourceIn, load_registry, register_source
from gridgov.org import cache
from hazards_support import pending_inspection

Login = Callable[[str], dict[str, str]]
CHECKLIST = ["危化品储存符合规范", "应急物资到位"]


def test_an_entity_is_graded_with_its_factors_for_its_regulators_and_inspected_more_often(
    app_client: TestClient, engine: Engine, session: Session, login: Login
) -> None:
    entity, code = session.execute(
        select(EntityRecord, Address.code)
        .join(Address, Address.id == EntityRecord.address_id)
        .where(EntityRecord.grid_id.is_not(None), EntityRecord.uscc != "")
        .order_by(EntityRecord.id)
    ).first() or (None, None)
    assert entity is not None and code is not None, "the demo's block data places legal entities on addresses"
    tag = uuid.uuid4().hex[:8]
    with session_factory(engine)() as s, UnitOfWork(s):
        load_registry(s, SYSTEM_PRINCIPAL)
        source = register_source(
            s,
            SYSTEM_PRINCIPAL,
            SourceIn(
                code=f"R{tag}",
                name=f"分级测试危化品仓库{tag}",
                class_code="hazchem",
                responsible_unit=entity.name,
                risk_level="major",
                address_code=code,
                inspection_days=30,
                checklist=CHECKLIST,
            ),
        )
        source_id, grid_id = source.id, source.grid_id
    assert grid_id is not None
    snap = cache.snapshot(session)
    grid_code = snap.divisions[grid_id].code
    street = snap.divisions[snap.ancestor_at(grid_id, "street") or -1].code
    other_street = next(d.code for d in snap.divisions.values() if d.level == "street" and d.code != street)

    one_action(inspections.schedule_due, session, utcnow())
    first = pending_inspection(session, source_id)
    worker = login(f"gw_{grid_code}")
    answers = [{"item": CHECKLIST[0], "ok": False, "note": "危化品与普通货物混放"}, {"item": CHECKLIST[1], "ok": True}]
    done = app_client.post(f"/api/hazards/inspections/{first.id}/complete", json={"results": answers}, headers=worker)
    assert done.status_code == 200, done.text

    admin = login("admin")
    assert app_client.post("/api/hazards/risk-grades/run", headers=worker).status_code == 403
    run = app_client.post("/api/hazards/risk-grades/run", headers=admin)
    assert run.status_code == 200, run.text
    assert run.json()["graded"] >= 1
    listed = app_client.get("/api/hazards/risk-grades", params={"regulator": "yingji", "limit": 1000}, headers=admin)
    row = next(r for r in listed.json() if r["subject"] == f"entity:{entity.uscc}")
    names = [f["name"] for f in row["factors"]]
    assert "隐患源" in names and "巡查发现" in names and ("行业" in names or not entity.industry)
    assert row["score"] == sum(f["points"] for f in row["factors"])
    assert "yingji" in row["regulators"] and row["grade"] in ("medium", "high")
    assert {"name": "巡查发现", "detail": "1 项未整改", "points": 10} in row["factors"]

    def subjects(who: str, **params: str) -> set[str]:
        r = app_client.get("/api/hazards/risk-grades", params={"limit": "1000", **params}, headers=login(who))
        assert r.status_code == 200, r.text
        return {x["subject"] for x in r.json()}

    mine = f"entity:{entity.uscc}"
    assert mine in subjects(f"h_{street}_yingji")  # the regulating department's own list
    assert mine not in subjects(f"h_{street}_chengguan", regulator="yingji")  # a handler is held to his own
    assert mine in subjects(f"dsp_{street}", regulator="yingji")
    assert mine not in subjects(f"dsp_{other_street}")

    # the grade shortens the plan: the next inspection after this one is due in the grade's days, not 30
    days = row["inspection_days"]
    assert days < 30
    following = pending_inspection(session, source_id)
    again = app_client.post(
        f"/api/hazards/inspections/{following.id}/complete",
        json={"results": [{"item": c, "ok": True} for c in CHECKLIST]},
        headers=worker,
    )
    assert again.status_code == 200, again.text
    latest = pending_inspection(session, source_id)
    assert latest.done_at is None and following.id != latest.id
    assert timedelta(days=days - 1) < latest.due_at - utcnow() <= timedelta(days=days)
