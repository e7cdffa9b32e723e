"""撤回吹哨: the summoning centre calls a summoned department off with a reason while it has not reported in; a
summons already reported in is refused with the steps it allows; a withdrawn summons leaves the department's
queue, is not counted in the IOC's report-in figures, and the department may be summoned again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
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


def test_the_centre_withdraws_a_summons_not_yet_reported_in(session: Session, people: People) -> None:
    street, grid, district = street_at(session, 11)
    other, _, _ = street_at(session, 12)
    t0 = utcnow() - timedelta(minutes=30)
    event = live_case(session, people, street, grid, t0)
    dsp = people.user(f"dsp_{street.code}")
    zhujian = people.department(district.id, "zhujian")
    police = people.department(street.id, "gongan")
    cmd = SummonIn(department_ids=[zhujian.id, police.id], note="占道经营堵塞消防通道，请到场")
    one_action(lc.summon_departments, session, dsp, event.id, cmd, now=t0 + timedelta(minutes=1))
    first, second = session.scalars(
        select(EventSummons).where(EventSummons.event_id == event.id).order_by(EventSummons.id)
    ).all()
    ids = (first.id, second.id)
    zhujian_handler = people.handler(district.code, "zhujian")
    assert event.id in [e.id for e in my_queue(session, zhujian_handler)["summons"].items]

    def withdraw(actor: Principal, summons_id: int, note: str | None = "已由街道自行处置，无需到场") -> None:
        one_action(
            lc.withdraw_summons,
            session,
            actor,
            event.id,
            SummonsStepIn(summons_id=summons_id, note=note),
            now=t0 + timedelta(minutes=10),
        )

    with pytest.raises(InvalidInput) as no_reason:
        withdraw(dsp, ids[0], note="  ")
    assert no_reason.value.field == "note"
    session.rollback()
    with pytest.raises(NotFound):  # another street does not see the case
        withdraw(people.user(f"dsp_{other.code}"), ids[0])
    session.rollback()
    community = session.get(Division, grid.parent_id)
    assert community is not None
    with pytest.raises(Forbidden):  # the case's community sees it, but did not blow this whistle
        withdraw(people.user(f"cs_{community.code}"), ids[0])
    session.rollback()
    with pytest.raises(IllegalTransition):  # the summoned department cannot withdraw its own summons
        withdraw(zhujian_handler, ids[0])
    session.rollback()

    # the street police reports in: its summons can no longer be withdrawn, and the refusal names what is allowed
    one_action(lc.report_in, session, people.handler(street.code, "gongan"), event.id, SummonsStepIn(summons_id=ids[1]))
    with pytest.raises(IllegalTransition) as reported:
        withdraw(dsp, ids[1])
    assert reported.value.extra["allowed"] == [] and "已报到" in str(reported.value)
    assert "待被召集部门：报到反馈" in str(reported.value)  # what the summons waits for now
    session.rollback()

    withdraw(dsp, ids[0])
    session.expire_all()
    row = session.get(EventSummons, ids[0])
    assert row is not None
    reason = "已由街道自行处置，无需到场"
    assert (row.status, row.withdraw_note, row.withdrawn_by_id) == ("withdrawn", reason, dsp.user_id)
    assert row.withdrawn_at == t0 + timedelta(minutes=10)
    step = session.scalars(
        select(EventTransition).where(
            EventTransition.event_id == event.id, EventTransition.action == "withdraw_summons"
        )
    ).one()
    assert step.note == "已由街道自行处置，无需到场" and step.data["department_id"] == zhujian.id
    assert session.scalars(
        select(DomainEvent).where(DomainEvent.aggregate_id == event.id, DomainEvent.name == "event.withdraw_summons")
    ).one()
    assert session.scalars(
        select(AuditLog).where(AuditLog.action == "summons.withdraw", AuditLog.entity_id == str(ids[0]))
    ).one()
    with pytest.raises(IllegalTransition) as again:  # withdrawn: nothing more to do with it
        withdraw(dsp, ids[0])
    assert again.value.extra["allowed"] == []
    session.rollback()
    with pytest.raises(IllegalTransition):  # nor can the department report in to it
        one_action(lc.report_in, session, zhujian_handler, event.id, SummonsStepIn(summons_id=ids[0]))
    session.rollback()
    assert event.id not in [e.id for e in my_queue(session, zhujian_handler)["summons"].items]

    # the IOC's report-in figures count the police's summons and not the withdrawn one
    view = resolve_view(session, people.user(f"ldr_{district.code}"), street.code)
    ranked = {i.key: i for i in rankings.summons_response(session, view, period_window(Period.MONTH)).items}
    assert zhujian.code not in ranked
    assert (ranked[police.code].summoned, ranked[police.code].reported_in) == (1, 1)

    # withdrawn, the department may be summoned onto the case again
    again_cmd = SummonIn(department_ids=[zhujian.id], note="现场复杂，仍请住建到场")
    one_action(lc.summon_departments, session, dsp, event.id, again_cmd)
    assert event.id in [e.id for e in my_queue(session, zhujian_handler)["summons"].items]


def test_withdrawal_over_http(app_client: TestClient, login: Login, session: Session, people: People) -> None:
    street, grid, district = street_at(session, 13)
    event = live_case(session, people, street, grid, utcnow() - timedelta(minutes=5))
    headers = login(f"dsp_{street.code}")
    body = {"department_ids": [people.department(district.id, "yingji").id], "note": "请应急局到场"}
    r = app_client.post(f"/api/events/{event.id}/actions/summon", json=body, headers=headers)
    assert r.status_code == 200, r.text
    summons = r.json()["summons"][0]
    assert summons["may_withdraw"] is True and "withdraw_summons" in r.json()["allowed_actions"]
    handler = login(f"h_{district.code}_yingji")
    seen = app_client.get(f"/api/events/{event.id}", headers=handler).json()
    assert seen["summons"][0]["may_withdraw"] is False  # the summoned department sees it, may not withdraw it
    url = f"/api/events/{event.id}/actions/withdraw_summons"
    r = app_client.post(url, json={"summons_id": summons["id"]}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "note"
    r = app_client.post(url, json={"summons_id": summons["id"], "note": "误召集"}, headers=headers)
    assert r.status_code == 200, r.text
    got = r.json()["summons"][0]
    assert (got["status"], got["status_label"], got["withdraw_note"], got["may_withdraw"]) == (
        "withdrawn",
        "已撤回",
        "误召集",
        False,
    )
    r = app_client.post(url, json={"summons_id": summons["id"], "note": "误召集"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["allowed"] == []
    r = app_client.post(url, json={"summons_id": 10**9, "note": "x"}, headers=headers)
    assert r.status_code == 404
