"""吹哨报到: a street (or community) summons chosen departments onto a live case of its own with a note and a
deadline; each summoned department reports in — its response time is measured and appears on the IOC's
response ranking — and then reports its result; other streets cannot summon onto the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.dashboard import rankings
from gridgov.dashboard.schemas import Period
from gridgov.dashboard.view import period_window, resolve_view
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.models import EventSummons, EventTransition
from gridgov.dispatch.queues import my_queue
from gridgov.dispatch.schemas import SummonIn, SummonsStepIn
from gridgov.org.models import Division
from summons_support import live_case, street_at
from support import People

Login = Callable[[str], dict[str, str]]


def test_summoned_departments_report_in_and_their_time_is_ranked(session: Session, people: People) -> None:
    street, grid, district = street_at(session, 7)
    t0 = utcnow() - timedelta(minutes=40)
    event = live_case(session, people, street, grid, t0)
    dsp = people.user(f"dsp_{street.code}")
    zhujian = people.department(district.id, "zhujian")
    police = people.department(street.id, "gongan")

    note = "占道夜市阻断消防通道，请区住建局、街道派出所到场"
    cmd = SummonIn(department_ids=[zhujian.id, police.id], note=note, respond_within_minutes=30)
    event = one_action(lc.summon_departments, session, dsp, event.id, cmd, now=t0 + timedelta(minutes=1))
    rows = session.scalars(
        select(EventSummons).where(EventSummons.event_id == event.id).order_by(EventSummons.id)
    ).all()
    assert [(r.department_id, r.status, r.note) for r in rows] == [
        (zhujian.id, "summoned", note),
        (police.id, "summoned", note),
    ]
    assert rows[0].respond_by == t0 + timedelta(minutes=31)
    step = session.scalars(
        select(EventTransition).where(EventTransition.event_id == event.id, EventTransition.action == "summon")
    ).one()
    assert step.note == note and step.data["department_ids"] == [zhujian.id, police.id]
    outbox = session.scalars(
        select(DomainEvent).where(DomainEvent.aggregate_id == event.id, DomainEvent.name == "event.summon")
    ).one()
    assert outbox.payload["department_ids"] == [zhujian.id, police.id]  # the notifications find the people
    assert session.scalars(
        select(AuditLog).where(AuditLog.action == "summons.create", AuditLog.entity_id == str(event.id))
    ).one()

    district_handler = people.handler(district.code, "zhujian")
    assert event.id in [e.id for e in my_queue(session, district_handler)["summons"].items]
    with pytest.raises(IllegalTransition) as early:  # a result before reporting in: the step allowed is named
        one_action(
            lc.report_summons_result,
            session,
            district_handler,
            event.id,
            SummonsStepIn(summons_id=rows[0].id, note="x"),
        )
    assert early.value.extra["allowed"] == ["report_in"]
    session.rollback()
    one_action(
        lc.report_in,
        session,
        district_handler,
        event.id,
        SummonsStepIn(summons_id=rows[0].id),
        now=t0 + timedelta(minutes=13),
    )
    late = people.handler(street.code, "gongan")
    one_action(
        lc.report_in, session, late, event.id, SummonsStepIn(summons_id=rows[1].id), now=t0 + timedelta(minutes=37)
    )
    with pytest.raises(Forbidden):  # not the summoned department
        one_action(lc.report_in, session, late, event.id, SummonsStepIn(summons_id=rows[0].id))
    session.rollback()
    with pytest.raises(InvalidInput) as no_note:
        one_action(lc.report_summons_result, session, district_handler, event.id, SummonsStepIn(summons_id=rows[0].id))
    assert no_note.value.field == "note"
    session.rollback()
    one_action(
        lc.report_summons_result,
        session,
        district_handler,
        event.id,
        SummonsStepIn(summons_id=rows[0].id, note="已联合清理占道摊位"),
        now=t0 + timedelta(minutes=39),
    )
    session.expire_all()
    first, second = (session.get(EventSummons, r.id) for r in rows)
    assert first is not None and second is not None
    assert (first.status, first.result_note) == ("done", "已联合清理占道摊位")
    report_step = session.scalars(
        select(EventTransition)
        .where(EventTransition.event_id == event.id, EventTransition.action == "report_in")
        .order_by(EventTransition.id)  # the first department's report-in (PostgreSQL keeps no insertion order)
    ).first()
    assert report_step is not None and report_step.data["response_minutes"] == 12.0 and report_step.data["on_time"]

    leader = people.user(f"ldr_{district.code}")
    view = resolve_view(session, leader, street.code)
    ranked = {i.key: i for i in rankings.summons_response(session, view, period_window(Period.MONTH)).items}
    a, b = ranked[zhujian.code], ranked[police.code]
    assert (a.summoned, a.reported_in, a.done, a.median_minutes, a.on_time_rate) == (1, 1, 1, 12.0, 1.0)
    assert (b.summoned, b.reported_in, b.median_minutes, b.on_time_rate) == (1, 1, 36.0, 0.0)  # 36 > 30 minutes
    assert list(ranked).index(zhujian.code) < list(ranked).index(police.code)  # the faster first


def test_a_street_summons_only_onto_its_own_cases(session: Session, people: People) -> None:
    street, grid, district = street_at(session, 8)
    other, _, _ = street_at(session, 9)
    event = live_case(session, people, street, grid, utcnow() - timedelta(minutes=5))
    cmd = SummonIn(department_ids=[people.department(district.id, "shuiwu").id], note="请到场")
    with pytest.raises(NotFound):  # another street does not even see it
        one_action(lc.summon_departments, session, people.user(f"dsp_{other.code}"), event.id, cmd)
    session.rollback()
    community = session.get(Division, grid.parent_id)
    assert community is not None
    foreign = session.scalars(
        select(Division).where(Division.level == "community", Division.parent_id == other.id)
    ).first()
    assert foreign is not None
    with pytest.raises((NotFound, Forbidden)):  # nor a community of another street
        one_action(lc.summon_departments, session, people.user(f"cs_{foreign.code}"), event.id, cmd)
    session.rollback()
    own = people.user(f"cs_{community.code}")  # the case's own community may blow the whistle
    one_action(lc.summon_departments, session, own, event.id, cmd)
    with pytest.raises(Conflict):  # already summoned and not reported back
        one_action(lc.summon_departments, session, people.user(f"dsp_{street.code}"), event.id, cmd)
    session.rollback()
    lead = next(t for t in event.tasks if t.role == "lead")
    for bad, field in ((SummonIn(department_ids=[lead.department_id or 0], note="x"), "department_ids"),):
        with pytest.raises(InvalidInput) as err:
            one_action(lc.summon_departments, session, people.user(f"dsp_{street.code}"), event.id, bad)
        assert err.value.field == field
        session.rollback()


def test_summons_over_http(app_client: TestClient, login: Login, session: Session, people: People) -> None:
    street, grid, district = street_at(session, 10)
    event = live_case(session, people, street, grid, utcnow() - timedelta(minutes=5))
    headers = login(f"dsp_{street.code}")
    post = app_client.post
    url = f"/api/events/{event.id}/actions/summon"
    r = post(url, json={"department_ids": [], "note": "请到场"}, headers=headers)
    assert r.status_code == 422 and "department_ids" in r.text
    r = post(url, json={"department_ids": [people.department(district.id, "yingji").id]}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    body = {
        "department_ids": [people.department(district.id, "yingji").id],
        "note": "请应急局到场",
        "respond_within_minutes": 20,
    }
    r = post(url, json=body, headers=headers)
    assert r.status_code == 200, r.text
    summons = r.json()["summons"]
    assert [(s["status"], s["status_label"], s["department_name"]) for s in summons] == [
        ("summoned", "待报到", people.department(district.id, "yingji").name)
    ]
    handler = login(f"h_{district.code}_yingji")
    r = post(f"/api/events/{event.id}/actions/report_in", json={"summons_id": summons[0]["id"]}, headers=handler)
    assert r.status_code == 200, r.text
    got = r.json()["summons"][0]
    assert got["status"] == "reported_in" and got["response_minutes"] is not None and got["on_time"] is True
    r = post(f"/api/events/{event.id}/actions/report_in", json={"summons_id": summons[0]["id"]}, headers=handler)
    assert r.status_code == 409 and r.json()["error"]["allowed"] == ["summons_result"]
    ioc = app_client.get(
        "/api/dashboard/summons-response",
        params={"period": "month"},
        headers=login(f"ldr_{district.code}"),
    )
    assert ioc.status_code == 200
    assert any(i["label"] == people.department(district.id, "yingji").name for i in ioc.json()["items"])
