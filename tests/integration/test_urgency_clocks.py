"""Urgency and clocks: natural-time limits run through nights, weekends and holidays; the SLA sweeper warns and
escalates on them that same night; a dispatcher changes a case's urgency only with a reason and the right role,
and the running clock follows the documented rule (`sla.rebase_clock`).

The sweeper works on the whole (shared) database, so the tests assert on their own cases only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.services import load_calendar
from gridgov.common.audit import AuditLog
from gridgov.common.errors import IllegalTransition, InvalidInput
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event, EventTransition
from gridgov.dispatch.schemas import NoteIn, UrgencyIn
from gridgov.dispatch.sweeper import sweep
from gridgov.org.models import Division
from support import People
from support import report as report_event

SH = ZoneInfo("Asia/Shanghai")
Login = Callable[[str], dict[str, str]]
FIRE = "04005"  # 火情: 1 working hour (area class A/B), street tier, urgent and natural time by default
TREE = "04003"  # 树木倒伏: 1 working hour, street 执法队, urgent and natural time by default
STREET_CATEGORY = "01002"  # 积存垃圾渣土: 4 working hours in area class A, working calendar, normal


def at_sh(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


def grid_chain(session: Session, area_class: str, index: int) -> list[Division]:
    """[grid, community, street, district] of the index-th grid of this area class."""
    grids = session.scalars(
        select(Division).where(Division.level == "grid", Division.area_class == area_class).order_by(Division.code)
    ).all()
    out = [grids[index % len(grids)]]
    for _ in range(3):
        parent = session.get(Division, out[-1].parent_id)
        assert parent is not None
        out.append(parent)
    return out


def auto_dispatched(session: Session, actor: Principal, grid: Division, category: str, now: datetime) -> Event:
    cmd = IntakeCommand(
        title=f"时限 {uuid.uuid4().hex[:8]}", grid_code=grid.code, category_code=category, auto_dispatch=True
    )
    ev, _ = report_event(session, actor, cmd, now=now)
    return ev


def fresh(session: Session, event_id: int) -> Event:
    session.expire_all()
    ev = session.get(Event, event_id)
    assert ev is not None
    return ev


def actions(session: Session, event_id: int) -> list[tuple[str, datetime]]:
    rows = session.scalars(
        select(EventTransition).where(EventTransition.event_id == event_id).order_by(EventTransition.id)
    )
    return [(r.action, r.at) for r in rows]


def test_fire_on_saturday_night_is_due_at_23_and_escalates_that_night(session: Session, people: People) -> None:
    grid, _community, street, _district = grid_chain(session, "A", 3)
    saturday = at_sh(2026, 11, 21, 22)
    assert saturday.astimezone(SH).weekday() == 5
    dsp = people.user(f"dsp_{street.code}")
    fire = auto_dispatched(session, dsp, grid, FIRE, saturday)
    # 火情 goes to the district's 消防救援大队 (no street has one), on natural time
    assert (fire.urgency, fire.clock_basis, fire.level, fire.status) == ("urgent", "natural", "district", "dispatched")
    assert fire.deadline_at == at_sh(2026, 11, 21, 23)  # not Monday 10:00, as the working calendar would have it
    assert fire.warn_at == at_sh(2026, 11, 21, 22, 48)
    # 树木倒伏: urgent, natural time, one hour, handled by the street: it can walk a tier up
    tree = auto_dispatched(session, dsp, grid, TREE, saturday)
    assert (tree.level, tree.deadline_at) == ("street", at_sh(2026, 11, 21, 23))

    sweep(session, now=at_sh(2026, 11, 21, 22, 47))
    assert fresh(session, fire.id).sla_state == "normal"
    sweep(session, now=at_sh(2026, 11, 21, 22, 48))
    assert fresh(session, fire.id).sla_state == "yellow"
    sweep(session, now=at_sh(2026, 11, 21, 23))
    # the fire is overdue at 23:00 that night: red at the top tier (the district), with its domain event
    ev = fresh(session, fire.id)
    assert (ev.sla_state, ev.ever_overdue, ev.level) == ("red", True, "district")
    assert ("warn_red", at_sh(2026, 11, 21, 23)) in actions(session, fire.id)
    assert session.scalar(
        select(DomainEvent.at).where(DomainEvent.aggregate_id == fire.id, DomainEvent.name == "event.warn_red")
    ) == at_sh(2026, 11, 21, 23)
    # the street's case is escalated to the district that night, on a fresh natural-time clock (due by midnight)
    ev = fresh(session, tree.id)
    assert actions(session, tree.id)[-1] == ("escalate", at_sh(2026, 11, 21, 23))
    assert (ev.level, ev.status, ev.clock_basis) == ("district", "dispatched", "natural")
    assert ev.deadline_at == at_sh(2026, 11, 22, 0) and ev.ever_overdue


def test_a_holiday_does_not_stop_an_urgent_clock(session: Session, people: People) -> None:
    national_day = date(2026, 10, 1)
    assert not load_calendar(session).is_working_day(national_day)  # seeded from chinese_calendar
    grid, _community, street, _district = grid_chain(session, "A", 5)
    dsp = people.user(f"dsp_{street.code}")
    start = at_sh(2026, 10, 1, 10)

    fire = auto_dispatched(session, dsp, grid, FIRE, start)
    assert fire.deadline_at == at_sh(2026, 10, 1, 11)

    # a working-calendar case waits for the end of the holiday ...
    ev = auto_dispatched(session, dsp, grid, STREET_CATEGORY, start)
    assert (ev.urgency, ev.clock_basis) == ("normal", "working")
    assert ev.deadline_at is not None and ev.deadline_at.astimezone(SH).date() > date(2026, 10, 7)
    # ... until a dispatcher marks it urgent: its four working hours left become four natural hours
    ev = one_action(
        lc.set_urgency, session, dsp, ev.id, UrgencyIn(urgency="urgent", note="暴雨前须清运，防止堵塞排水"), now=start
    )
    assert (ev.urgency, ev.clock_basis, ev.urgency_reason) == ("urgent", "natural", "暴雨前须清运，防止堵塞排水")
    assert ev.deadline_at == at_sh(2026, 10, 1, 14) and ev.warn_at == at_sh(2026, 10, 1, 13, 12)
    sweep(session, now=at_sh(2026, 10, 1, 14))
    ev = fresh(session, ev.id)
    assert ev.ever_overdue and ev.escalation_count == 1 and ev.level == "district"
    assert ev.deadline_at is not None and ev.deadline_at.astimezone(SH).date() == national_day

    # back to normal: the hours left are counted on the working calendar again
    later = at_sh(2026, 10, 1, 15)
    ev = one_action(lc.set_urgency, session, dsp, ev.id, UrgencyIn(urgency="normal", note="已清运大部分"), now=later)
    assert ev.clock_basis == "working"
    assert ev.deadline_at is not None  # at 15:00 three of the four hours were left
    assert load_calendar(session).working_seconds_between(later, ev.deadline_at) == pytest.approx(3 * 3600)


def test_urgency_change_needs_a_reason_and_the_right(
    session: Session, people: People, app_client: TestClient, login: Login
) -> None:
    grid, community, street, district = grid_chain(session, "A", 7)
    dsp = people.user(f"dsp_{street.code}")
    ev = auto_dispatched(session, dsp, grid, STREET_CATEGORY, at_sh(2026, 11, 17, 10))
    eid = ev.id
    with pytest.raises(InvalidInput) as no_reason:
        one_action(lc.set_urgency, session, dsp, eid, UrgencyIn(urgency="urgent", note="  "))
    assert no_reason.value.field == "note"
    with pytest.raises(InvalidInput) as bad_level:
        one_action(lc.set_urgency, session, dsp, eid, UrgencyIn(urgency="panic", note="理由"))
    assert bad_level.value.field == "urgency" and "major" in str(bad_level.value)
    lead = people.handler(street.code, "chengguan")
    # the lead department, the district's leader and the community see the case but may not change its urgency
    for who in (lead, people.user(f"ldr_{district.code}"), people.user(f"cs_{community.code}")):
        with pytest.raises(IllegalTransition, match="不能执行“调整紧急程度”"):
            one_action(lc.set_urgency, session, who, eid, UrgencyIn(urgency="urgent", note="理由"))
    assert fresh(session, eid).urgency == "normal"

    # over HTTP: a 4xx naming the field, in Chinese
    r = app_client.post(
        f"/api/events/{eid}/actions/set_urgency", json={"urgency": "urgent"}, headers=login(f"dsp_{street.code}")
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "note" and "说明" in r.json()["error"]["message"], (
        r.text
    )
    r = app_client.post(
        f"/api/events/{eid}/actions/set_urgency",
        json={"urgency": "urgent", "note": "理由"},
        headers=login(f"h_{street.code}_chengguan"),
    )
    assert r.status_code == 409 and "调整紧急程度" in r.json()["error"]["message"], r.text

    # a change with a reason: history row, domain event, audit row
    one_action(lc.set_urgency, session, dsp, eid, UrgencyIn(urgency="urgent", note="涉及学校门口"))
    step = session.scalars(
        select(EventTransition).where(EventTransition.event_id == eid).order_by(EventTransition.id.desc())
    ).first()
    assert step is not None and (step.action, step.note) == ("set_urgency", "涉及学校门口")
    assert step.data["urgency_from"] == "normal" and step.data["urgency"] == "urgent"
    assert session.scalar(
        select(DomainEvent.id).where(DomainEvent.aggregate_id == eid, DomainEvent.name == "event.set_urgency")
    )
    audit = session.scalar(
        select(AuditLog).where(AuditLog.action == "event.set_urgency", AuditLog.entity_id == str(eid))
    )
    assert audit is not None and audit.detail["reason"] == "涉及学校门口"
    # the same level again is refused
    with pytest.raises(Exception, match="已是"):
        one_action(lc.set_urgency, session, dsp, eid, UrgencyIn(urgency="urgent", note="再次"))
    # the hold keeps working on natural time: resume moves the deadline by the natural time held
    one_action(lc.accept_event, session, lead, eid, NoteIn())
    before = fresh(session, eid).deadline_at
    assert before is not None
    t0 = datetime.now(UTC)
    one_action(lc.hold_event, session, dsp, eid, NoteIn(note="等待材料"), now=t0)
    ev = one_action(lc.resume_event, session, dsp, eid, NoteIn(), now=t0 + timedelta(hours=2))
    assert ev.deadline_at == before + timedelta(hours=2)
