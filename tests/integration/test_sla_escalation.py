"""Time limits with the clock driven: yellow warning, red overdue, automatic escalation up the tiers, manual
escalation by the lead, and the `gridgov sla sweep` command.

The sweeper works on the whole (shared) database, so the tests assert on their own cases only, never on
the sweep's counts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov.catalog.services import load_calendar
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event, EventTask, EventTransition
from gridgov.dispatch.queues import my_queue
from gridgov.dispatch.schemas import CategoryIn, ExtensionDecisionIn, ExtensionRequestIn, NoteIn
from gridgov.dispatch.sweeper import sweep
from gridgov.org.models import Division
from support import People
from support import report as report_event

SH = ZoneInfo("Asia/Shanghai")
# 乱晾晒: lead 社区工作站 (shequ), default level grid, 2 working hours in area class A. No department of that
# type exists above the community, so the street and district 综治中心 (the fallback) take it there: the
# case can walk every tier.
GRID_CATEGORY = "01009"
STREET_CATEGORY = "01002"  # 积存垃圾渣土: the street's 综合行政执法队, 4 working hours in area class A


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 wall-clock time in Shanghai, as timezone-aware UTC (16 = Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).astimezone(UTC)


def chain(session: Session, index: int) -> list[Division]:
    """[grid, community, street, district] of the index-th grid."""
    grids = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
    out = [grids[index % len(grids)]]
    for _ in range(3):
        parent = session.get(Division, out[-1].parent_id)
        assert parent is not None
        out.append(parent)
    assert [d.level for d in out] == ["grid", "community", "street", "district"]
    return out


def dispatched(
    session: Session, people: People, grid: Division, street: Division, category: str, at: datetime
) -> Event:
    resident = people.user("resident3")
    ev, _ = report_event(
        session, resident, IntakeCommand(title=f"时限测试 {uuid.uuid4().hex[:8]}", grid_code=grid.code), now=at
    )
    dsp = people.user(f"dsp_{street.code}")
    one_action(lc.file_event, session, dsp, ev.id, CategoryIn(category_code=category), now=at)
    return one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(), now=at)


def fresh(session: Session, event_id: int) -> Event:
    """The case as the database has it now (the sweeper writes warnings in bulk, behind the ORM's back)."""
    session.expire_all()
    ev = session.get(Event, event_id)
    assert ev is not None
    return ev


def rows(session: Session, event_id: int) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition).where(EventTransition.event_id == event_id).order_by(EventTransition.id)
        )
    )


def lead(ev: Event) -> EventTask:
    active = [t for t in ev.tasks if t.role == "lead" and t.status in ("pending", "accepted")]
    assert len(active) == 1, [(t.role, t.status) for t in ev.tasks]
    return active[0]


def test_overdue_case_walks_every_tier_up_to_the_district(session: Session, people: People) -> None:
    grid, community, street, district = chain(session, 40)
    ev = dispatched(session, people, grid, street, GRID_CATEGORY, sh(16, 9, 30))
    eid = ev.id
    assert ev.level == "grid" and lead(ev).grid_id == grid.id
    assert ev.warn_at == sh(16, 11, 6) and ev.deadline_at == sh(16, 11, 30)

    # before the warning point nothing happens
    sweep(session, now=sh(16, 11, 5))
    ev = fresh(session, eid)
    assert ev.sla_state == "normal" and [r.action for r in rows(session, eid)][-1] == "dispatch"

    # the warning point: yellow, one history row and one domain event, written by the system
    sweep(session, now=sh(16, 11, 6))
    ev = fresh(session, eid)
    assert ev.sla_state == "yellow" and ev.status == "dispatched" and ev.level == "grid"
    warn = rows(session, eid)[-1]
    assert (warn.action, warn.from_status, warn.to_status) == ("warn_yellow", "dispatched", "dispatched")
    assert warn.actor_id is None and warn.actor_role == "system" and warn.at == sh(16, 11, 6)
    names = session.scalars(
        select(DomainEvent.name).where(DomainEvent.aggregate == "event", DomainEvent.aggregate_id == eid)
    ).all()
    assert names.count("event.warn_yellow") == 1
    payload = session.scalar(
        select(DomainEvent.payload).where(DomainEvent.aggregate_id == eid, DomainEvent.name == "event.warn_yellow")
    )
    assert payload == {"from": "dispatched", "to": "dispatched", "actor": None}  # the shape of every transition
    sweep(session, now=sh(16, 11, 20))  # a second sweep does not warn twice
    assert [r.action for r in rows(session, eid)].count("warn_yellow") == 1

    # the deadline: red, then escalated to the community's 工作站 with a new clock
    sweep(session, now=sh(16, 11, 30))
    ev = fresh(session, eid)
    shequ = people.department(community.id, "shequ")
    assert ev.status == "dispatched" and ev.level == "community" and ev.owner_division_id == community.id
    assert ev.escalation_count == 1 and ev.ever_overdue and ev.sla_state == "normal"
    assert lead(ev).department_id == shequ.id and lead(ev).status == "pending"
    assert [t.status for t in ev.tasks if t.grid_id == grid.id] == ["cancelled"]
    assert ev.deadline_at == sh(16, 15, 30) and ev.warn_at == sh(16, 15, 6)
    assert ev.first_deadline_at == sh(16, 11, 30)
    red, up = rows(session, eid)[-2:]
    assert (red.action, red.actor_role, red.from_status, red.to_status) == (
        "warn_red",
        "system",
        "dispatched",
        "dispatched",
    )
    assert (up.action, up.actor_role, up.actor_id, up.to_status) == ("escalate", "system", None, "dispatched")
    assert up.data["from_level"] == "grid" and up.data["to_level"] == "community"
    assert up.data["lead_department"] == shequ.name

    # the community accepts but does not finish in time: yellow, then up to the street's 综治中心
    cs = people.user(f"cs_{community.code}")
    one_action(lc.accept_event, session, cs, eid, NoteIn(), now=sh(16, 14, 10))
    sweep(session, now=sh(16, 15, 6))
    assert fresh(session, eid).sla_state == "yellow"
    sweep(session, now=sh(16, 15, 30))
    ev = fresh(session, eid)
    zongzhi_street = people.department(street.id, "zongzhi")
    assert ev.status == "dispatched" and ev.level == "street" and ev.escalation_count == 2
    assert lead(ev).department_id == zongzhi_street.id
    assert ev.deadline_at == sh(16, 17, 30)
    up = rows(session, eid)[-1]
    assert (up.action, up.from_status, up.to_status) == ("escalate", "accepted", "dispatched")
    assert (up.data["from_level"], up.data["to_level"]) == ("community", "street")
    with pytest.raises(Forbidden):  # the community is no longer the lead
        one_action(lc.accept_event, session, cs, eid, NoteIn(), now=sh(16, 15, 40))
    session.rollback()

    # nobody accepts at the street: up to the district's 综治中心, over the night
    sweep(session, now=sh(16, 17, 30))
    ev = fresh(session, eid)
    zongzhi_district = people.department(district.id, "zongzhi")
    assert ev.level == "district" and ev.escalation_count == 3 and ev.status == "dispatched"
    assert lead(ev).department_id == zongzhi_district.id
    assert ev.deadline_at == sh(17, 10, 30)  # 30 minutes on Monday, 90 on Tuesday morning
    cal = load_calendar(session)
    assert cal.working_seconds_between(sh(16, 17, 30), ev.deadline_at) == 2 * 3600

    # the district is the top tier: overdue there, it stays red where it is
    one_action(lc.accept_event, session, people.user(f"h_{district.code}_zongzhi"), eid, NoteIn(), now=sh(17, 9, 10))
    sweep(session, now=sh(17, 10, 30))
    ev = fresh(session, eid)
    assert ev.sla_state == "red" and ev.ever_overdue
    assert ev.status == "accepted" and ev.level == "district" and ev.escalation_count == 3
    assert lead(ev).department_id == zongzhi_district.id
    sweep(session, now=sh(17, 15, 0))  # red once only
    assert [r.action for r in rows(session, eid)] == [
        "report",
        "file",
        "dispatch",
        "warn_yellow",
        "warn_red",
        "escalate",
        "accept",
        "warn_yellow",
        "warn_red",
        "escalate",
        "warn_red",
        "escalate",
        "accept",
        "warn_red",
    ]
    assert [(r.data["from_level"], r.data["to_level"]) for r in rows(session, eid) if r.action == "escalate"] == [
        ("grid", "community"),
        ("community", "street"),
        ("street", "district"),
    ]
    dsp_district = people.user(f"dsp_{district.code}")
    assert eid in [e.id for e in my_queue(session, dsp_district, limit=200)["overdue"].items]


@pytest.mark.parametrize(
    ("index", "start", "deadline"),
    [
        (44, (11, 20, 17, 30), (11, 23, 10, 30)),  # Friday evening → Monday morning
        (45, (9, 30, 17, 0), (10, 8, 10, 0)),  # the eve of National Day → after the seven days off
        (46, (10, 9, 17, 0), (10, 10, 10, 0)),  # Friday → Saturday 2026-10-10, an adjusted working day (调休)
    ],
)
def test_deadline_follows_the_working_calendar(
    session: Session, people: People, index: int, start: tuple[int, ...], deadline: tuple[int, ...]
) -> None:
    def at(month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=SH).astimezone(UTC)

    grid, _community, street, _district = chain(session, index)
    ev = dispatched(session, people, grid, street, "01001", at(*start))  # 暴露垃圾: 2 working hours
    assert ev.deadline_at == at(*deadline)
    assert load_calendar(session).working_seconds_between(at(*start), ev.deadline_at) == 2 * 3600
    # in between, off-duty time does not count: no warning yet just before the deadline's day starts
    sweep(session, now=at(*deadline) - timedelta(hours=1, minutes=1))
    assert fresh(session, ev.id).sla_state == "normal"


def test_case_still_overdue_after_an_extension_is_escalated(session: Session, people: People) -> None:
    grid, _community, street, _district = chain(session, 47)
    ev = dispatched(session, people, grid, street, "01001", sh(18, 9, 30))  # deadline Wednesday 11:30
    eid = ev.id
    gw = people.user(f"gw_{grid.code}")
    one_action(lc.accept_event, session, gw, eid, NoteIn(), now=sh(18, 9, 35))
    one_action(
        lc.request_extension, session, gw, eid, ExtensionRequestIn(hours=0.25, note="再给一刻钟"), now=sh(18, 9, 40)
    )
    # approved after lunch, before any sweep: the new deadline (11:45) is already past
    ev = one_action(
        lc.approve_extension, session, people.user(f"dsp_{street.code}"), eid, ExtensionDecisionIn(), now=sh(18, 14)
    )
    assert ev.deadline_at == sh(18, 11, 45)
    sweep(session, now=sh(18, 14, 5))
    ev = fresh(session, eid)
    assert ev.ever_overdue
    assert "warn_red" in [r.action for r in rows(session, eid)]
    assert ev.escalation_count == 1 and ev.level != "grid"


def test_handler_escalates_a_case_beyond_its_means(session: Session, people: People) -> None:
    grid, _community, street, district = chain(session, 41)
    ev = dispatched(session, people, grid, street, STREET_CATEGORY, sh(16, 9, 30))
    eid = ev.id
    chengguan_street = people.department(street.id, "chengguan")
    chengguan_district = people.department(district.id, "chengguan")
    assert ev.level == "street" and lead(ev).department_id == chengguan_street.id
    assert ev.deadline_at == sh(16, 15, 30)

    h_street = people.user(f"h_{street.code}_chengguan")
    one_action(lc.accept_event, session, h_street, eid, NoteIn(), now=sh(16, 9, 40))

    with pytest.raises(NotFound):  # another department of the street does not see the case
        one_action(
            lc.escalate_event, session, people.user(f"h_{street.code}_gongan"), eid, NoteIn(note="上报"), now=sh(16, 10)
        )
    session.rollback()
    with pytest.raises(Forbidden):  # the grid worker sees it but does not lead it
        one_action(lc.escalate_event, session, people.user(f"gw_{grid.code}"), eid, NoteIn(note="上报"), now=sh(16, 10))
    session.rollback()
    with pytest.raises(InvalidInput) as err:
        one_action(lc.escalate_event, session, h_street, eid, NoteIn(), now=sh(16, 10))
    assert err.value.field == "note"
    session.rollback()

    ev = one_action(
        lc.escalate_event, session, h_street, eid, NoteIn(note="渣土量大，超出街道处置能力"), now=sh(16, 10)
    )
    assert ev.status == "dispatched" and ev.level == "district" and ev.owner_division_id == district.id
    assert ev.escalation_count == 1 and not ev.ever_overdue and ev.sla_state == "normal"
    assert lead(ev).department_id == chengguan_district.id
    assert ev.deadline_at == sh(16, 16, 0)  # a new 4-hour clock from the escalation
    row = rows(session, eid)[-1]
    assert (row.action, row.from_status, row.to_status, row.actor_id, row.actor_role, row.note) == (
        "escalate",
        "accepted",
        "dispatched",
        h_street.user_id,
        "handler",
        "渣土量大，超出街道处置能力",
    )
    assert row.data["from_level"] == "street" and row.data["to_level"] == "district"
    assert row.data["lead_department"] == chengguan_district.name

    with pytest.raises(Forbidden):  # the street office is no longer the lead
        one_action(lc.accept_event, session, h_street, eid, NoteIn(), now=sh(16, 10, 10))
    session.rollback()
    h_district = people.user(f"h_{district.code}_chengguan")
    one_action(lc.accept_event, session, h_district, eid, NoteIn(), now=sh(16, 10, 10))
    with pytest.raises(Conflict) as top:
        one_action(lc.escalate_event, session, h_district, eid, NoteIn(note="再上报"), now=sh(16, 10, 20))
    assert top.value.field == "level" and "区级" in top.value.message
    session.rollback()
    ev = fresh(session, eid)
    assert ev.level == "district" and ev.escalation_count == 1 and ev.status == "accepted"


def test_dispatcher_escalates_a_filed_case_before_dispatch(session: Session, people: People) -> None:
    grid, community, street, _district = chain(session, 42)
    resident: Principal = people.user("resident3")
    ev, _ = report_event(session, resident, IntakeCommand(title="阳台晾晒", grid_code=grid.code), now=sh(16, 9, 0))
    dsp = people.user(f"dsp_{street.code}")
    one_action(lc.file_event, session, dsp, ev.id, CategoryIn(category_code=GRID_CATEGORY), now=sh(16, 9, 5))
    ev = one_action(lc.escalate_event, session, dsp, ev.id, NoteIn(note="网格力量不足"), now=sh(16, 9, 10))
    assert ev.status == "filed" and ev.level == "community" and ev.owner_division_id == community.id
    ev = one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(), now=sh(16, 9, 30))
    assert lead(ev).department_id == people.department(community.id, "shequ").id


def test_sla_sweep_command(session: Session, people: People) -> None:
    from gridgov.cli import app
    from gridgov.db import get_engine

    grid, community, street, _district = chain(session, 43)
    # dispatched a month ago: long overdue by the real clock the command uses
    ev = dispatched(session, people, grid, street, GRID_CATEGORY, datetime.now(UTC) - timedelta(days=30))
    eid = ev.id
    session.commit()

    result = CliRunner().invoke(app, ["sla", "sweep"])
    get_engine().dispose()  # the command opened its own engine; release its connections
    assert result.exit_code == 0, result.output
    assert "红灯超时" in result.output and "自动上报上级" in result.output

    ev = fresh(session, eid)
    assert ev.ever_overdue and ev.escalation_count == 1
    assert ev.level == "community" and ev.status == "dispatched"
    assert lead(ev).department_id == people.department(community.id, "shequ").id
    assert [r.action for r in rows(session, eid)][-2:] == ["warn_red", "escalate"]
    assert ev.deadline_at is not None and ev.deadline_at > datetime.now(UTC)
