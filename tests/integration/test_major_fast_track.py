"""重特大 fast track: a 重特大 report alerts the on-duty dispatcher and the district's and the city's leaders at once
(and nobody else); each must acknowledge; an alert not acknowledged is sent again and escalates to the next tier;
the grid-to-leader time is recorded and served to the IOC with the emergency view of the case's area."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.common.errors import Conflict, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.uow import one_action
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.fasttrack import acknowledge_alert
from gridgov.dispatch.models import Event, EventAlert
from gridgov.dispatch.sweeper import sweep
from gridgov.org.models import Division, User
from support import People
from support import report as report_event

SH = ZoneInfo("Asia/Shanghai")
GAS_LEAK = "04004"  # 燃气泄漏: 重特大 by default
Login = Callable[[str], dict[str, str]]


def chain(session: Session, index: int) -> list[Division]:
    grids = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
    out = [grids[index % len(grids)]]
    while out[-1].parent_id is not None:
        parent = session.get(Division, out[-1].parent_id)
        assert parent is not None
        out.append(parent)
    return out  # grid, community, street, district, city


def user_id(session: Session, username: str) -> int:
    uid = session.scalar(select(User.id).where(User.username == username))
    assert uid is not None, username
    return uid


def alerts(session: Session, event_id: int) -> list[EventAlert]:
    session.expire_all()
    return list(session.scalars(select(EventAlert).where(EventAlert.event_id == event_id).order_by(EventAlert.id)))


def test_a_major_case_alerts_the_right_people_repeats_escalates_and_records_the_time(
    session: Session, people: People, app_client: TestClient, login: Login
) -> None:
    grid, _community, _street, district, city = chain(session, 11)
    t0 = datetime(2026, 11, 22, 3, 0, tzinfo=SH).astimezone(UTC)  # Sunday, three in the night
    cmd = IntakeCommand(
        title=f"闻到很浓的煤气味 {uuid.uuid4().hex[:6]}",
        grid_code=grid.code,
        lon=grid.center_lon,
        lat=grid.center_lat,
        category_code=GAS_LEAK,
    )
    ev, _ = report_event(session, people.user("resident2"), cmd, now=t0)
    eid = ev.id
    assert ev.urgency == "major" and ev.clock_basis == "natural"

    duty, leader, city_leader = (
        user_id(session, n) for n in (f"dsp_{district.code}", f"ldr_{district.code}", "city_leader")
    )
    raised = alerts(session, eid)
    assert {(a.user_id, a.tier, a.kind) for a in raised} == {
        (duty, "duty", "major"),
        (leader, "district", "major"),
        (city_leader, "city", "major"),
    }  # not the street's dispatcher, not another district's leader
    assert all(a.raised_at == t0 and a.acknowledged_at is None for a in raised)
    payloads = session.scalars(
        select(DomainEvent.payload).where(
            DomainEvent.name == "alert.raised", DomainEvent.aggregate_id.in_([a.id for a in raised])
        )
    ).all()
    assert sorted(p["recipient_id"] for p in payloads) == sorted([duty, leader, city_leader])

    # four minutes on: nothing repeats yet; at five, every alert is sent again
    one_action(sweep, session, now=t0 + timedelta(minutes=4))
    assert {a.sent_count for a in alerts(session, eid)} == {1}
    one_action(sweep, session, now=t0 + timedelta(minutes=5))
    assert {a.sent_count for a in alerts(session, eid)} == {2}
    assert session.scalar(
        select(DomainEvent.id).where(DomainEvent.name == "alert.repeated", DomainEvent.aggregate_id == raised[0].id)
    )

    # the district leader acknowledges at 03:06: the grid-to-leader time is six minutes
    mine = next(a for a in raised if a.user_id == leader)
    with pytest.raises(NotFound):
        one_action(acknowledge_alert, session, people.user("city_leader"), mine.id)  # only one's own
    one_action(acknowledge_alert, session, people.user(f"ldr_{district.code}"), mine.id, now=t0 + timedelta(minutes=6))
    with pytest.raises(Conflict):
        one_action(acknowledge_alert, session, people.user(f"ldr_{district.code}"), mine.id)
    session.expire_all()
    case = session.get(Event, eid)
    assert case is not None and case.leader_acked_at == t0 + timedelta(minutes=6)

    # a quarter of an hour: what is still unacknowledged repeats and escalates one tier up, once
    one_action(sweep, session, now=t0 + timedelta(minutes=15))
    now_alerts = alerts(session, eid)
    by_user = {(a.user_id, a.kind): a for a in now_alerts}
    assert by_user[(leader, "major")].sent_count == 2  # acknowledged: no longer sent
    assert by_user[(duty, "major")].sent_count == 3 and by_user[(duty, "major")].escalated_at is not None
    escalation = by_user[(leader, "escalation")]  # the dispatcher did not answer: the district leader hears of it
    assert escalation.tier == "district" and escalation.about_alert_id == by_user[(duty, "major")].id
    assert by_user[(city_leader, "major")].escalated_at is not None  # the top tier: nobody above the city
    assert len(now_alerts) == 4
    # half an hour: the escalation nobody acknowledged goes up in turn (to the city); the others not again
    one_action(sweep, session, now=t0 + timedelta(minutes=30))
    later = alerts(session, eid)
    assert len(later) == 5
    assert (later[-1].user_id, later[-1].tier, later[-1].about_alert_id) == (city_leader, "city", escalation.id)
    one_action(sweep, session, now=t0 + timedelta(minutes=45))
    assert len(alerts(session, eid)) == 5  # nothing above the city

    # over HTTP: the bell's list, the acknowledgement, the IOC's emergency list and view
    headers = login("city_leader")
    listed = app_client.get("/api/me/alerts", headers=headers).json()
    assert {(a["kind"], a["about"]) for a in listed if a["event_id"] == eid} == {
        ("major", None),
        ("escalation", f"{district.name}领导"),
    }
    theirs = next(a for a in listed if a["event_id"] == eid and a["kind"] == "major")
    assert theirs["tier_label"] == "市领导" and theirs["sent_count"] == 5
    r = app_client.post(f"/api/alerts/{theirs['id']}/acknowledge", headers=headers)
    assert r.status_code == 200 and r.json()["acknowledged_at"] is not None
    assert app_client.post(f"/api/alerts/{theirs['id']}/acknowledge", headers=headers).status_code == 409
    screen = app_client.get("/api/dashboard/emergency", headers=login(f"ldr_{district.code}")).json()
    item = next(c for c in screen if c["id"] == eid)
    assert item["grid_to_leader_seconds"] == 360 and item["alerts_acknowledged"] == 2 and item["alerts_total"] == 3
    area = app_client.get(f"/api/dashboard/emergency/{eid}", headers=login(f"ldr_{district.code}")).json()
    assert area["case"]["number"] == case.number and area["grid_geometry"]
    assert (
        area["grid_workers"]
        and area["grid_workers"][0]["own_grid"]
        and area["grid_workers"][0]["grid_code"] == grid.code
    )
    labels = [i["label"] for i in area["timeline"]]
    assert labels[0] == "上报" and "重特大告警（区领导）" in labels and "已确认（区领导）" in labels
    assert "告警升级（区领导）" in labels
    # another district's leader does not see it
    other = session.scalar(
        select(User.username).where(User.role == "leader", User.division_id != district.id, User.division_id != city.id)
    )
    if other is not None:
        assert app_client.get(f"/api/dashboard/emergency/{eid}", headers=login(other)).status_code == 404


def test_a_case_flagged_major_by_the_dispatcher_raises_alerts_once(session: Session, people: People) -> None:
    from gridgov.dispatch import lifecycle as lc
    from gridgov.dispatch.schemas import UrgencyIn

    grid, _community, street, district, _city = chain(session, 17)
    t0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    cmd = IntakeCommand(title=f"楼道冒烟 {uuid.uuid4().hex[:6]}", grid_code=grid.code, category_code="04005")
    ev, _ = report_event(session, people.user("resident1"), cmd, now=t0)
    assert ev.urgency == "urgent" and alerts(session, ev.id) == []
    dsp = people.user(f"dsp_{district.code}")
    one_action(lc.set_urgency, session, dsp, ev.id, UrgencyIn(urgency="major", note="有人员被困"), now=t0)
    assert len(alerts(session, ev.id)) == 3
    one_action(lc.set_urgency, session, dsp, ev.id, UrgencyIn(urgency="urgent", note="已救出"), now=t0)
    one_action(lc.set_urgency, session, dsp, ev.id, UrgencyIn(urgency="major", note="复燃"), now=t0)
    assert len(alerts(session, ev.id)) == 3  # each recipient is alerted about a case once
    assert street.level == "street"


def test_a_roster_change_changes_who_is_alerted(session: Session, people: People) -> None:
    """The duty tier follows the district centre's roster at the case's time: with nobody rostered every dispatcher
    of the centre is alerted; rostered, only the one on shift; after the roster changes, the newly rostered one."""
    from gridgov.common.security import hash_password
    from gridgov.org import roster

    grid, _community, _street, district, _city = chain(session, 23)
    usual = user_id(session, f"dsp_{district.code}")
    night = User(
        username=f"dsp_night_{uuid.uuid4().hex[:6]}",
        display_name="夜班分拨员",
        password_hash=hash_password(uuid.uuid4().hex),
        role="dispatcher",
        division_id=district.id,
    )
    session.add(night)
    session.commit()
    t0 = datetime(2031, 5, 10, 14, 0, tzinfo=UTC)  # a Saturday 22:00 in Shanghai, far from other tests' shifts
    admin = people.user("admin")

    def duty_alerted(at: datetime) -> set[int]:
        cmd = IntakeCommand(
            title=f"厂房坍塌 {uuid.uuid4().hex[:6]}",
            grid_code=grid.code,
            lon=grid.center_lon,
            lat=grid.center_lat,
            category_code=GAS_LEAK,
        )
        ev, _ = report_event(session, people.user("resident2"), cmd, now=at)
        return {a.user_id for a in alerts(session, ev.id) if a.tier == "duty"}

    try:
        assert duty_alerted(t0) == {usual, night.id}  # nobody rostered: every dispatcher of the centre
        shifts = one_action(
            roster.add_shifts,
            session,
            admin,
            district,
            [
                roster.NewShift(night.id, t0, t0 + timedelta(hours=10), note="夜班"),
                roster.NewShift(usual, t0 + timedelta(hours=10), t0 + timedelta(hours=22), note="白班"),
            ],
        )
        assert duty_alerted(t0 + timedelta(hours=1)) == {night.id}  # the night shift only
        assert duty_alerted(t0 + timedelta(hours=11)) == {usual}  # the day shift only
        # the night shift is swapped: the usual dispatcher takes it, and the next case at night alerts him
        one_action(roster.remove_shift, session, admin, shifts[0].id)
        one_action(roster.add_shifts, session, admin, district, [roster.NewShift(usual, t0, t0 + timedelta(hours=10))])
        assert duty_alerted(t0 + timedelta(hours=2)) == {usual}
    finally:  # the extra dispatcher must not join other tests' "every dispatcher of the centre"
        session.rollback()
        session.execute(update(User).where(User.id == night.id).values(active=False))
        session.commit()
