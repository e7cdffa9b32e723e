"""Inspections end to end: a source's due inspection lands in its grid worker's queue with the checklist, a
finding becomes a rectification case through the intake port linked back to the source, the next inspection is
planned, and an overdue one escalates one tier at a time — each step audited, in scope, with clear errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.events import DomainEvent
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork, one_action
from gridgov.db import session_factory
from gridgov.dispatch.models import Event
from gridgov.hazards import inspections
from gridgov.hazards.inspection_models import Finding
from gridgov.hazards.models import HazardClass, HazardSource
from gridgov.hazards.registry import SourceIn, load_registry, register_source
from gridgov.org import cache
from gridgov.org.models import User
from hazards_support import pending_inspection, streets_with_buildings

Login = Callable[[str], dict[str, str]]
CHECKLIST = ["消防通道畅通", "灭火器在有效期内", "应急照明完好"]


def _source(engine: Engine, street_index: int = 0) -> tuple[int, str]:
    """A fresh fire source with a checklist; its id and its grid's code."""
    tag = uuid.uuid4().hex[:8]
    with session_factory(engine)() as s, UnitOfWork(s):
        load_registry(s, SYSTEM_PRINCIPAL)
        _street, codes = streets_with_buildings(s)[street_index]
        source = register_source(
            s,
            SYSTEM_PRINCIPAL,
            SourceIn(
                code=f"I{tag}",
                name=f"巡查测试场所{tag}",
                class_code="fire",
                responsible_unit="测试责任单位",
                risk_level="high",
                address_code=codes[int(tag, 16) % len(codes)],
                inspection_days=7,
                checklist=CHECKLIST,
            ),
        )
        assert source.grid_id is not None
        return source.id, cache.snapshot(s).divisions[source.grid_id].code


def test_an_inspection_finding_becomes_a_case_linked_to_its_source(
    app_client: TestClient, engine: Engine, session: Session, login: Login
) -> None:
    source_id, grid_code = _source(engine)
    _other_id, other_grid = _source(engine, street_index=1)
    one_action(inspections.sweep, session, utcnow())
    due = pending_inspection(session, source_id)
    assert due.checklist == CHECKLIST and due.tier == 0
    assert one_action(inspections.schedule_due, session, utcnow()) == 0  # one pending inspection per source

    worker, stranger = login(f"gw_{grid_code}"), login(f"gw_{other_grid}")
    queue = app_client.get("/api/hazards/inspections", headers=worker)
    assert queue.status_code == 200, queue.text
    task = next(t for t in queue.json() if t["id"] == due.id)
    assert task["checklist"] == CHECKLIST and task["status"] == "due" and task["status_label"] == "待巡查"
    assert due.id not in {t["id"] for t in app_client.get("/api/hazards/inspections", headers=stranger).json()}
    soon = app_client.get("/api/hazards/inspections", params={"within_days": 0}, headers=worker).json()
    assert due.id not in {t["id"] for t in soon}  # due in three days: not within today
    week = app_client.get("/api/hazards/inspections", params={"within_days": 7}, headers=worker).json()
    assert due.id in {t["id"] for t in week}
    url = f"/api/hazards/inspections/{due.id}/complete"
    answers = [
        {"item": "消防通道畅通", "ok": False, "note": "安全出口堆放纸箱，通道堵塞"},
        {"item": "灭火器在有效期内", "ok": True},
        {"item": "应急照明完好", "ok": True},
    ]
    assert app_client.post(url, json={"results": answers}, headers=stranger).status_code == 404
    half = app_client.post(url, json={"results": answers[:2]}, headers=worker)
    assert half.status_code == 422 and half.json()["error"]["field"] == "results"
    assert "应急照明完好" in half.json()["error"]["message"]
    silent = [{**answers[0], "note": ""}, *answers[1:]]
    r = app_client.post(url, json={"results": silent}, headers=worker)
    assert r.status_code == 422 and r.json()["error"]["field"] == "results[0].note"
    assert pending_inspection(session, source_id).id == due.id  # nothing half-written

    done = app_client.post(url, json={"results": answers}, headers=worker)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "done" and [f["item"] for f in body["findings"]] == ["消防通道畅通"]
    finding = session.get(Finding, body["findings"][0]["id"])
    assert finding is not None and finding.source_id == source_id and finding.case_id is not None
    assert finding.rectify_by - finding.found_at == timedelta(days=3)  # high risk: three days to rectify
    case = session.get(Event, finding.case_id)
    source = session.get(HazardSource, source_id)
    assert case is not None and source is not None
    klass = session.get(HazardClass, source.class_id)
    assert case.channel == "grid_patrol" and case.origin is not None
    assert case.origin["inspection_id"] == due.id and case.origin["source"] == source.code
    assert source.name in case.title and "安全出口堆放纸箱" in case.description
    assert klass is not None and case.category_id is not None
    reporter = session.get(User, case.reporter_id)
    assert reporter is not None and reporter.username == f"gw_{grid_code}"  # 复核 comes back to the inspector
    assert body["findings"][0]["case_number"] == case.number
    # the rectification deadline is the case's own SLA deadline: the clock started at dispatch ends there
    assert case.fixed_deadline_at == finding.rectify_by
    assert klass.category_code is not None
    dispatcher = login(f"dsp_{streets_with_buildings(session)[0][0]}")
    actions_url = f"/api/events/{case.id}/actions"
    filed = app_client.post(f"{actions_url}/file", json={"category_code": klass.category_code}, headers=dispatcher)
    assert filed.status_code == 200, filed.text
    sent = app_client.post(f"{actions_url}/dispatch", json={}, headers=dispatcher)
    assert sent.status_code == 200, sent.text
    session.refresh(case)
    assert case.deadline_at == finding.rectify_by and case.first_deadline_at == finding.rectify_by
    assert case.clock_started_at is not None and case.warn_at is not None
    assert case.clock_started_at < case.warn_at < case.deadline_at
    assert app_client.post(url, json={"results": answers}, headers=worker).status_code == 409

    following = pending_inspection(session, source_id)  # the next one, a plan's period after this one
    assert following.id != due.id
    assert timedelta(days=6, hours=23) < following.due_at - finding.found_at <= timedelta(days=7)
    actions = set(
        session.scalars(select(AuditLog.action).where(AuditLog.entity.in_(["hazard_inspection", "hazard_finding"])))
    )
    assert {"hazards.inspection_schedule", "hazards.inspection_done", "hazards.finding_report"} <= actions
    names = set(session.scalars(select(DomainEvent.name).where(DomainEvent.aggregate_id == finding.id)))
    assert "hazards.finding_reported" in names


def test_an_overdue_inspection_escalates_one_tier_at_a_time(engine: Engine, session: Session) -> None:
    source_id, _grid = _source(engine)
    one_action(inspections.schedule_due, session, utcnow())
    due = pending_inspection(session, source_id)
    at = due.due_at
    assert one_action(inspections.escalate_overdue, session, at - timedelta(minutes=1)) >= 0
    assert pending_inspection(session, source_id).tier == 0
    one_action(inspections.escalate_overdue, session, at + timedelta(hours=1))
    assert pending_inspection(session, source_id).tier == 1
    one_action(inspections.escalate_overdue, session, at + timedelta(hours=2))  # still the 社区 tier: no repeat
    one_action(inspections.escalate_overdue, session, at + timedelta(days=4))
    assert pending_inspection(session, source_id).tier == 2
    steps = session.scalars(
        select(DomainEvent)
        .where(DomainEvent.name == "hazards.inspection_escalated", DomainEvent.aggregate_id == due.id)
        .order_by(DomainEvent.id)
    ).all()
    assert [(e.payload["tier"], e.payload["level"]) for e in steps] == [(1, "community"), (2, "street")]
    snap = cache.snapshot(session)
    assert due.grid_id is not None
    assert steps[1].payload["division_id"] == snap.ancestor_at(due.grid_id, "street")
