"""Every lifecycle path through the service layer, with the clock driven by `now=`.

Times are working-calendar times in Asia/Shanghai (Monday 2026-11-16 and after: no holidays that week).
Each test uses its own grid and its own cases; the database is shared by the whole session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gridgov.catalog.services import load_calendar
from gridgov.common.audit import AuditLog
from gridgov.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.timeutil import to_local
from gridgov.common.uow import one_action
from gridgov.config import Settings
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.attachments import path_for, store_attachment
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event, EventTask, EventTransition
from gridgov.dispatch.queues import my_queue
from gridgov.dispatch.schemas import (
    CategoryIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    NoteIn,
    RateIn,
    ResultIn,
    VerifyIn,
)
from gridgov.dispatch.sweeper import sweep
from gridgov.org.models import Division
from support import People, photo
from support import report as submit_report

SH = ZoneInfo("Asia/Shanghai")


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 wall-clock time in Shanghai, as timezone-aware UTC (16 = Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SH).astimezone(UTC)


@dataclass
class Place:
    grid: Division
    community: Division
    street: Division
    district: Division

    @property
    def gw(self) -> str:
        return f"gw_{self.grid.code}"

    @property
    def cs(self) -> str:
        return f"cs_{self.community.code}"

    @property
    def dsp(self) -> str:
        return f"dsp_{self.street.code}"

    def handler(self, tier: Division, dept_type: str) -> str:
        return f"h_{tier.code}_{dept_type}"


def place(session: Session, index: int) -> Place:
    grids = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
    grid = grids[index % len(grids)]
    community = session.get(Division, grid.parent_id)
    assert community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    district = session.get(Division, street.parent_id)
    assert district is not None
    return Place(grid, community, street, district)


def report(
    session: Session, actor: Principal, p: Place, now: datetime, category: str | None = None, title: str = ""
) -> Event:
    data = IntakeCommand(
        title=title or f"测试事件 {uuid.uuid4().hex[:8]}", grid_code=p.grid.code, category_code=category
    )
    event, created = submit_report(session, actor, data, now=now)
    assert created
    return event


def png(settings: Settings, session: Session, actor: Principal) -> str:
    data = photo()
    row = one_action(store_attachment, session, actor, data, settings.attachments_dir, settings.max_upload_bytes)
    return row.sha256


def lead(event: Event) -> EventTask:
    tasks = [t for t in event.tasks if t.role == "lead" and t.status != "cancelled"]
    assert len(tasks) == 1, [(t.role, t.status) for t in event.tasks]
    return tasks[0]


def transitions(session: Session, event_id: int) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition).where(EventTransition.event_id == event_id).order_by(EventTransition.id)
        )
    )


def actions(session: Session, event_id: int) -> list[str]:
    return [t.action for t in transitions(session, event_id)]


def dispatched(session: Session, people: People, p: Place, category: str, at: datetime) -> Event:
    """A resident's report, filed and dispatched by the street dispatcher at `at`."""
    ev = report(session, people.user("resident1"), p, at)
    dsp = people.user(p.dsp)
    one_action(lc.file_event, session, dsp, ev.id, CategoryIn(category_code=category), now=at)
    return one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(), now=at)


# --- the whole loop, its history rows and its domain events ---------------------------------------------


def test_full_loop_history_and_domain_events(session: Session, people: People, settings: Settings) -> None:
    p = place(session, 10)
    resident, dsp = people.user("resident1"), people.user(p.dsp)
    gw, cs = people.user(p.gw), people.user(p.cs)

    photo = png(settings, session, resident)
    assert path_for(settings.attachments_dir, photo).exists()
    ev, created = submit_report(
        session,
        resident,
        IntakeCommand(title="楼下垃圾堆积", grid_code=p.grid.code, attachments=(photo,)),
        now=sh(16, 7, 50),  # still Sunday 23:50 in UTC
    )
    assert created and ev.status == "reported" and ev.level == "street" and ev.category_id is None
    assert ev.number is not None and ev.number.startswith("20261116")  # numbered by the local date

    ev = one_action(
        lc.file_event, session, dsp, ev.id, CategoryIn(category_code="01001", note="属实"), now=sh(16, 9, 10)
    )
    assert ev.status == "filed" and ev.level == "grid" and ev.filed_at == sh(16, 9, 10)

    ev = one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(), now=sh(16, 9, 30))
    assert ev.status == "dispatched"
    task = lead(ev)
    assert task.grid_id == p.grid.id and task.department_id is None and task.status == "pending"
    # 暴露垃圾, area class A: 2 working hours; yellow at 80 %
    assert ev.area_class == "A"
    assert ev.deadline_at == sh(16, 11, 30) == ev.first_deadline_at
    assert ev.warn_at == sh(16, 11, 6)
    assert ev.sla_state == "normal"

    ev = one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 40))
    assert ev.status == "accepted" and lead(ev).status == "accepted"

    result_photo = png(settings, session, gw)
    with pytest.raises(InvalidInput) as err:
        one_action(lc.handle_event, session, gw, ev.id, ResultIn(attachments=(result_photo,)), now=sh(16, 10, 0))
    assert err.value.field == "note"
    session.rollback()
    ev = one_action(
        lc.handle_event, session, gw, ev.id, ResultIn(note="已清理干净", attachments=(result_photo,)), now=sh(16, 10, 0)
    )
    assert ev.status == "handled" and ev.handled_by_id == gw.user_id and ev.result_note == "已清理干净"
    assert lead(ev).status == "reported"

    ev = one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=True, note="现场已整洁"), now=sh(16, 10, 30))
    assert ev.status == "closed" and ev.closed_at == sh(16, 10, 30)
    assert lead(ev).status == "done"

    with pytest.raises(NotFound):  # another resident does not see the case at all
        one_action(lc.rate_event, session, people.user("resident2"), ev.id, RateIn(rating=5), now=sh(16, 11, 0))
    session.rollback()
    with pytest.raises(ValidationError) as missing:
        RateIn.model_validate({"note": "挺快"})
    assert missing.value.errors()[0]["loc"] == ("rating",)
    ev = one_action(lc.rate_event, session, resident, ev.id, RateIn(rating=4, note="挺快"), now=sh(16, 11, 0))
    assert ev.status == "rated" and ev.rating == 4 and ev.rating_comment == "挺快"

    rows = transitions(session, ev.id)
    expected = [
        ("report", "new", "reported", resident, None, [photo]),
        ("file", "reported", "filed", dsp, "属实", []),
        ("dispatch", "filed", "dispatched", dsp, None, []),
        ("accept", "dispatched", "accepted", gw, None, []),
        ("handle", "accepted", "handled", gw, "已清理干净", [result_photo]),
        ("verify_pass", "handled", "closed", cs, "现场已整洁", []),
        ("rate", "closed", "rated", resident, "挺快", []),
    ]
    assert len(rows) == len(expected)
    for row, (action, before, after, actor, note, files) in zip(rows, expected, strict=True):
        assert (row.action, row.from_status, row.to_status) == (action, before, after)
        assert row.actor_id == actor.user_id and row.actor_role == actor.role.value
        assert row.note == note
        assert row.attachments == files
    assert rows[2].data["category"] == "01001" and rows[2].data["level"] == "grid"
    assert rows[-1].data == {"rating": 4}
    assert [r.at for r in rows] == sorted(r.at for r in rows)

    domain = session.scalars(
        select(DomainEvent)
        .where(DomainEvent.aggregate == "event", DomainEvent.aggregate_id == ev.id)
        .order_by(DomainEvent.id)
    ).all()
    assert [d.name for d in domain] == [f"event.{a}" for a, *_ in expected]
    for d, row in zip(domain, rows, strict=True):
        assert d.payload["from"] == row.from_status and d.payload["to"] == row.to_status
        assert d.payload["actor"] == row.actor_id
        assert d.at == row.at


# --- reject, return, extension, hold -----------------------------------------------------------------------


def test_reject_requires_a_reason(session: Session, people: People) -> None:
    p = place(session, 11)
    dsp = people.user(p.dsp)
    ev = report(session, people.user("resident2"), p, sh(16, 9, 30))

    for payload in (NoteIn(), NoteIn(note="   ")):
        with pytest.raises(InvalidInput) as err:
            one_action(lc.reject_event, session, dsp, ev.id, payload, now=sh(16, 9, 40))
        assert err.value.field == "note"
        assert "说明" in err.value.message
        session.rollback()
    session.refresh(ev)
    assert ev.status == "reported" and actions(session, ev.id) == ["report"]

    ev = one_action(lc.reject_event, session, dsp, ev.id, NoteIn(note="不属于受理范围"), now=sh(16, 9, 45))
    assert ev.status == "rejected" and ev.reject_reason == "不属于受理范围" and ev.closed_at == sh(16, 9, 45)
    row = transitions(session, ev.id)[-1]
    assert (row.action, row.from_status, row.to_status, row.note) == (
        "reject",
        "reported",
        "rejected",
        "不属于受理范围",
    )
    with pytest.raises(IllegalTransition) as illegal:
        one_action(lc.file_event, session, dsp, ev.id, CategoryIn(category_code="01001"), now=sh(16, 9, 50))
    assert illegal.value.extra["allowed"] == []
    session.rollback()


def test_return_goes_back_to_the_dispatcher_and_is_redispatched(session: Session, people: People) -> None:
    p = place(session, 12)
    dsp, gw = people.user(p.dsp), people.user(p.gw)
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    first = lead(ev)
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))

    with pytest.raises(InvalidInput) as err:
        one_action(lc.return_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 40))
    assert err.value.field == "note"
    session.rollback()

    ev = one_action(lc.return_event, session, gw, ev.id, NoteIn(note="不是本网格的事，派错了"), now=sh(16, 9, 40))
    assert ev.status == "returned" and ev.return_count == 1
    assert first.status == "cancelled" and first.done_at == sh(16, 9, 40)
    assert all(t.status == "cancelled" for t in ev.tasks)

    queues = my_queue(session, dsp, limit=100)
    assert ev.id in [e.id for e in queues["returned"].items]
    assert ev.id not in [e.id for e in my_queue(session, gw, limit=100)["in_progress"].items]

    ev = one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(note="重新派遣"), now=sh(16, 10, 0))
    assert ev.status == "dispatched"
    second = lead(ev)
    assert second.id != first.id and second.status == "pending"
    assert ev.deadline_at == sh(16, 12, 0)  # the clock restarts at the re-dispatch
    assert ev.id not in [e.id for e in my_queue(session, dsp, limit=100)["returned"].items]
    assert actions(session, ev.id) == ["report", "file", "dispatch", "accept", "return", "dispatch"]
    ret = transitions(session, ev.id)[4]
    assert (ret.from_status, ret.to_status, ret.actor_id, ret.note) == (
        "accepted",
        "returned",
        gw.user_id,
        "不是本网格的事，派错了",
    )


def test_returned_case_reclassified_goes_to_the_new_categorys_tier(session: Session, people: People) -> None:
    p = place(session, 13)
    dsp, gw = people.user(p.dsp), people.user(p.gw)
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))  # 暴露垃圾 → the grid
    one_action(lc.return_event, session, gw, ev.id, NoteIn(note="是建筑渣土，网格处理不了"), now=sh(16, 9, 40))
    # 积存垃圾渣土 is handled by the street's 综合行政执法队 (default level street)
    ev = one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(category_code="01002"), now=sh(16, 9, 50))
    chengguan = people.department(p.street.id, "chengguan")
    assert lead(ev).department_id == chengguan.id
    assert ev.level == "street"


def test_extension_approve_moves_deadline_deny_keeps_it(session: Session, people: People) -> None:
    p = place(session, 14)
    dsp, gw = people.user(p.dsp), people.user(p.gw)
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))
    assert ev.deadline_at == sh(16, 11, 30)

    with pytest.raises(InvalidInput) as err:
        one_action(lc.request_extension, session, gw, ev.id, ExtensionRequestIn(hours=4), now=sh(16, 10, 0))
    assert err.value.field == "note"
    session.rollback()
    with pytest.raises(ValidationError) as missing:  # the hours are part of the action's input shape
        ExtensionRequestIn.model_validate({"note": "需要协调物业"})
    assert missing.value.errors()[0]["loc"] == ("hours",)
    with pytest.raises(Conflict):  # nothing to decide yet
        one_action(lc.approve_extension, session, dsp, ev.id, ExtensionDecisionIn(), now=sh(16, 10, 0))
    session.rollback()

    ev = one_action(
        lc.request_extension, session, gw, ev.id, ExtensionRequestIn(hours=4, note="需要协调物业"), now=sh(16, 10, 0)
    )
    assert ev.extension_requested == 4 and ev.status == "accepted"
    with pytest.raises(Conflict):
        one_action(
            lc.request_extension, session, gw, ev.id, ExtensionRequestIn(hours=2, note="再申请"), now=sh(16, 10, 5)
        )
    session.rollback()
    assert ev.id in [e.id for e in my_queue(session, dsp, limit=100)["extension_requests"].items]

    ev = one_action(lc.approve_extension, session, dsp, ev.id, ExtensionDecisionIn(), now=sh(16, 10, 10))
    # 11:30 + 4 working hours: 30 minutes before lunch, 3.5 hours after it
    assert ev.deadline_at == sh(16, 17, 30)
    cal = load_calendar(session)
    assert cal.working_seconds_between(sh(16, 11, 30), ev.deadline_at) == 4 * 3600
    assert ev.warn_at == cal.add_working_seconds(sh(16, 9, 30), 0.8 * 6 * 3600)
    assert ev.extension_requested is None and ev.extension_granted_hours == 4
    assert ev.first_deadline_at == sh(16, 11, 30)
    approved = transitions(session, ev.id)[-1]
    assert approved.action == "approve_extension" and approved.data["hours"] == 4
    assert approved.actor_id == dsp.user_id

    one_action(
        lc.request_extension, session, gw, ev.id, ExtensionRequestIn(hours=8, note="还要一天"), now=sh(16, 15, 0)
    )
    with pytest.raises(InvalidInput) as err:  # a denial needs its reason
        one_action(lc.deny_extension, session, dsp, ev.id, ExtensionDecisionIn(), now=sh(16, 15, 10))
    assert err.value.field == "note"
    session.rollback()
    ev = one_action(lc.deny_extension, session, dsp, ev.id, ExtensionDecisionIn(note="时限足够"), now=sh(16, 15, 10))
    assert ev.deadline_at == sh(16, 17, 30)
    assert ev.extension_requested is None and ev.extension_granted_hours == 4
    assert actions(session, ev.id)[-4:] == [
        "request_extension",
        "approve_extension",
        "request_extension",
        "deny_extension",
    ]
    assert transitions(session, ev.id)[-1].data["hours"] == 0


def test_hold_stops_the_clock_and_resume_shifts_the_deadline(session: Session, people: People) -> None:
    p = place(session, 15)
    dsp, gw = people.user(p.dsp), people.user(p.gw)
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))

    with pytest.raises(InvalidInput) as err:
        one_action(lc.hold_event, session, dsp, ev.id, NoteIn(), now=sh(16, 9, 40))
    assert err.value.field == "note"
    session.rollback()
    with pytest.raises(IllegalTransition):  # a grid worker cannot put a case on hold
        one_action(lc.hold_event, session, gw, ev.id, NoteIn(note="挂账"), now=sh(16, 9, 40))
    session.rollback()

    ev = one_action(lc.hold_event, session, dsp, ev.id, NoteIn(note="等待产权单位答复"), now=sh(16, 9, 40))
    assert ev.status == "on_hold" and ev.hold_started_at == sh(16, 9, 40)

    # the original deadline (11:30) passes while the case is on hold: no warning, no escalation
    sweep(session, now=sh(16, 14, 30))
    session.expire_all()
    fresh = session.get(Event, ev.id)
    assert fresh is not None
    ev = fresh
    assert ev.status == "on_hold" and ev.sla_state == "normal" and ev.escalation_count == 0
    assert actions(session, ev.id)[-1] == "hold"

    ev = one_action(lc.resume_event, session, dsp, ev.id, NoteIn(), now=sh(16, 15, 0))
    # held 09:40-12:00 and 14:00-15:00: 3 h 20 min of working time
    assert ev.status == "accepted" and ev.hold_started_at is None
    resumed = transitions(session, ev.id)[-1]
    assert resumed.action == "resume" and resumed.data["held_working_hours"] == round(12000 / 3600, 2)
    assert ev.deadline_at == sh(16, 16, 50)  # 11:30 + 3 h 20 min of working time
    cal = load_calendar(session)
    assert cal.working_seconds_between(sh(16, 11, 30), ev.deadline_at) == 12000
    assert ev.warn_at == sh(16, 15, 46)  # 80 % of the 5 h 20 min from the dispatch
    assert ev.sla_state == "normal"
    assert lead(ev).status == "accepted"
    one_action(lc.handle_event, session, gw, ev.id, ResultIn(note="已处置"), now=sh(16, 15, 30))


def test_verify_fail_goes_back_to_the_handler(session: Session, people: People) -> None:
    p = place(session, 16)
    gw, cs = people.user(p.gw), people.user(p.cs)
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))
    one_action(lc.handle_event, session, gw, ev.id, ResultIn(note="已清理"), now=sh(16, 10, 0))

    with pytest.raises(Forbidden):  # the handler cannot verify his own work
        one_action(lc.verify_event, session, gw, ev.id, VerifyIn(passed=True), now=sh(16, 10, 10))
    session.rollback()
    with pytest.raises(ValidationError) as missing:
        VerifyIn.model_validate({})
    assert missing.value.errors()[0]["loc"] == ("passed",)
    with pytest.raises(InvalidInput) as err:
        one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=False), now=sh(16, 10, 10))
    assert err.value.field == "note"
    session.rollback()

    ev = one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=False, note="垃圾还在"), now=sh(16, 10, 15))
    assert ev.status == "accepted" and ev.handled_at is None and ev.closed_at is None
    assert lead(ev).status == "accepted" and lead(ev).done_at is None

    one_action(lc.handle_event, session, gw, ev.id, ResultIn(note="已彻底清理"), now=sh(16, 10, 40))
    ev = one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=True), now=sh(16, 10, 50))
    assert ev.status == "closed" and ev.result_note == "已彻底清理"
    assert actions(session, ev.id)[3:] == ["accept", "handle", "verify_fail", "handle", "verify_pass"]
    fail = transitions(session, ev.id)[5]
    assert (fail.from_status, fail.to_status, fail.note, fail.actor_id) == (
        "handled",
        "accepted",
        "垃圾还在",
        cs.user_id,
    )


def test_reopen_by_the_reporting_resident(session: Session, people: People) -> None:
    p = place(session, 17)
    gw, cs, resident = people.user(p.gw), people.user(p.cs), people.user("resident1")
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))
    one_action(lc.handle_event, session, gw, ev.id, ResultIn(note="已清理"), now=sh(16, 10, 0))
    one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=True), now=sh(16, 10, 10))

    with pytest.raises(NotFound):  # another resident does not even see the case
        one_action(lc.reopen_event, session, people.user("resident2"), ev.id, NoteIn(note="没弄好"), now=sh(16, 11, 0))
    session.rollback()
    with pytest.raises(InvalidInput) as err:
        one_action(lc.reopen_event, session, resident, ev.id, NoteIn(), now=sh(16, 11, 0))
    assert err.value.field == "note"
    session.rollback()

    ev = one_action(lc.reopen_event, session, resident, ev.id, NoteIn(note="又堆起来了"), now=sh(16, 11, 0))
    assert ev.status == "filed" and ev.reopen_count == 1
    assert ev.closed_at is None and ev.handled_at is None and ev.deadline_at is None
    row = transitions(session, ev.id)[-1]
    assert (row.action, row.from_status, row.to_status, row.actor_id) == (
        "reopen",
        "closed",
        "filed",
        resident.user_id,
    )
    # it is dispatched again like any filed case
    ev = one_action(lc.dispatch_event, session, people.user(p.dsp), ev.id, CategoryIn(), now=sh(16, 14, 0))
    assert ev.status == "dispatched" and ev.deadline_at == sh(16, 16, 0)
    assert ev.first_deadline_at == sh(16, 11, 30)


def test_reopened_case_is_accepted_by_the_new_lead(session: Session, people: People) -> None:
    p = place(session, 25)
    gw, cs, resident = people.user(p.gw), people.user(p.cs), people.user("resident1")
    ev = dispatched(session, people, p, "01001", sh(16, 9, 30))
    one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 9, 35))
    one_action(lc.handle_event, session, gw, ev.id, ResultIn(note="已清理"), now=sh(16, 10, 0))
    one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=True), now=sh(16, 10, 10))
    one_action(lc.reopen_event, session, resident, ev.id, NoteIn(note="其实是建筑渣土"), now=sh(16, 11, 0))
    # re-classified as 积存垃圾渣土: the street's 综合行政执法队 now leads
    ev = one_action(
        lc.dispatch_event, session, people.user(p.dsp), ev.id, CategoryIn(category_code="01002"), now=sh(16, 14, 0)
    )
    new_lead = [t for t in ev.tasks if t.role == "lead" and t.status == "pending"]
    assert len(new_lead) == 1 and new_lead[0].department_id == people.department(p.street.id, "chengguan").id

    with pytest.raises(Forbidden):  # the former grid assignee is no longer the lead
        one_action(lc.accept_event, session, gw, ev.id, NoteIn(), now=sh(16, 14, 10))
    session.rollback()
    ev = one_action(
        lc.accept_event, session, people.user(p.handler(p.street, "chengguan")), ev.id, NoteIn(), now=sh(16, 14, 10)
    )
    assert ev.status == "accepted" and new_lead[0].status == "accepted"


def test_supervise_increments_the_count(session: Session, people: People) -> None:
    p = place(session, 18)
    dsp, leader = people.user(p.dsp), people.user(f"ldr_{p.district.code}")
    ev = report(session, people.user("resident3"), p, sh(16, 9, 0))
    with pytest.raises(IllegalTransition):  # not before it is filed
        one_action(lc.supervise_event, session, dsp, ev.id, NoteIn(note="尽快"), now=sh(16, 9, 5))
    session.rollback()
    one_action(lc.file_event, session, dsp, ev.id, CategoryIn(category_code="01001"), now=sh(16, 9, 10))
    one_action(lc.dispatch_event, session, dsp, ev.id, CategoryIn(), now=sh(16, 9, 30))

    with pytest.raises(InvalidInput) as err:
        one_action(lc.supervise_event, session, dsp, ev.id, NoteIn(), now=sh(16, 10, 0))
    assert err.value.field == "note"
    session.rollback()
    with pytest.raises(IllegalTransition):  # grid workers do not supervise
        one_action(lc.supervise_event, session, people.user(p.gw), ev.id, NoteIn(note="催"), now=sh(16, 10, 0))
    session.rollback()

    ev = one_action(lc.supervise_event, session, dsp, ev.id, NoteIn(note="请尽快处置"), now=sh(16, 10, 0))
    assert ev.supervised_count == 1 and ev.status == "dispatched"
    ev = one_action(lc.supervise_event, session, leader, ev.id, NoteIn(note="领导督办"), now=sh(16, 10, 30))
    assert ev.supervised_count == 2 and ev.status == "dispatched"
    rows = transitions(session, ev.id)[-2:]
    assert [(r.action, r.from_status, r.to_status, r.data["count"]) for r in rows] == [
        ("supervise", "dispatched", "dispatched", 1),
        ("supervise", "dispatched", "dispatched", 2),
    ]
    assert rows[1].actor_role == "leader"


# --- 自行处置 -------------------------------------------------------------------------------------------------


def test_self_handle_needs_another_verifier(session: Session, people: People, settings: Settings) -> None:
    p, other = place(session, 19), place(session, 20)
    gw, cs = people.user(p.gw), people.user(p.cs)
    photo = png(settings, session, gw)

    with pytest.raises(InvalidInput) as err:
        submit_report(
            session, gw, IntakeCommand(title="垃圾", category_code="01001", self_handle=True), now=sh(16, 9, 0)
        )
    assert err.value.field == "result_note"
    with pytest.raises(Forbidden) as forbidden:  # not his grid
        submit_report(
            session,
            gw,
            IntakeCommand(
                title="垃圾", category_code="01001", grid_code=other.grid.code, result_note="已清理", self_handle=True
            ),
            now=sh(16, 9, 0),
        )
    assert forbidden.value.field == "grid_code"
    session.rollback()

    body = IntakeCommand(
        title="巡查发现暴露垃圾",
        category_code="01001",
        result_note="已现场清理",
        attachments=(photo,),
        idempotency_key=f"sh-{uuid.uuid4().hex}",
        self_handle=True,
    )
    ev, created = submit_report(session, gw, body, now=sh(16, 9, 0))
    assert created
    assert ev.number == f"{to_local(sh(16, 9, 0)):%Y%m%d}{ev.id:08d}"
    again, created_again = submit_report(session, gw, body, now=sh(16, 9, 5))  # the phone retried
    assert (again.id, created_again) == (ev.id, False)
    assert ev.status == "handled" and ev.self_handled and ev.level == "grid"
    assert ev.grid_id == p.grid.id and ev.handled_by_id == gw.user_id and ev.result_note == "已现场清理"
    assert ev.deadline_at is None
    row = transitions(session, ev.id)[0]
    assert (row.action, row.from_status, row.to_status, row.note, row.attachments) == (
        "self_handle",
        "new",
        "handled",
        "已现场清理",
        [photo],
    )

    with pytest.raises(Forbidden):
        one_action(lc.verify_event, session, gw, ev.id, VerifyIn(passed=True), now=sh(16, 9, 30))
    session.rollback()
    with pytest.raises(NotFound):  # another grid's worker does not see it
        one_action(lc.verify_event, session, people.user(other.gw), ev.id, VerifyIn(passed=True), now=sh(16, 9, 30))
    session.rollback()
    assert ev.id not in [e.id for e in my_queue(session, gw, limit=100)["to_verify"].items]
    assert ev.id in [e.id for e in my_queue(session, cs, limit=100)["to_verify"].items]

    ev = one_action(lc.verify_event, session, cs, ev.id, VerifyIn(passed=True), now=sh(16, 9, 30))
    assert ev.status == "closed"
    assert actions(session, ev.id) == ["self_handle", "verify_pass"]
    assert [t.status for t in ev.tasks] == ["done"]
    assert (
        session.scalar(select(func.count()).select_from(Event).where(Event.idempotency_key == body.idempotency_key))
        == 1
    )


def test_self_handle_refused_for_a_category_that_does_not_allow_it(session: Session, people: People) -> None:
    p = place(session, 21)
    gw = people.user(p.gw)
    title = f"渣土 {uuid.uuid4().hex[:8]}"
    with pytest.raises(Forbidden) as err:  # 积存垃圾渣土: self_handle 0
        submit_report(
            session,
            gw,
            IntakeCommand(title=title, category_code="01002", result_note="已清理", self_handle=True),
            now=sh(16, 9, 0),
        )
    assert err.value.field == "category_code" and "不允许" in err.value.message
    session.rollback()
    assert session.scalar(select(Event.id).where(Event.title == title)) is None


# --- 吹哨报到 -----------------------------------------------------------------------------------------------


def test_joint_handling_waits_for_every_co_department(session: Session, people: People) -> None:
    p = place(session, 22)
    ev = dispatched(session, people, p, "03005", sh(16, 9, 30))  # 违法建设: chengguan, co guihua;zhujian
    chengguan = people.department(p.street.id, "chengguan")
    zhujian = people.department(p.street.id, "zhujian")
    guihua = people.department(p.district.id, "guihua")  # no 规划 office at street level
    assert ev.level == "street"
    assert lead(ev).department_id == chengguan.id
    co = sorted(t.department_id or 0 for t in ev.tasks if t.role == "co")
    assert co == sorted([zhujian.id, guihua.id])
    dispatch_row = transitions(session, ev.id)[-1]
    assert set(dispatch_row.data["co_departments"]) == {zhujian.name, guihua.name}

    boss = people.user(p.handler(p.street, "chengguan"))
    h_zhujian = people.user(p.handler(p.street, "zhujian"))
    h_guihua = people.user(p.handler(p.district, "guihua"))
    one_action(lc.accept_event, session, boss, ev.id, NoteIn(), now=sh(16, 9, 40))

    with pytest.raises(Conflict) as err:
        one_action(lc.handle_event, session, boss, ev.id, ResultIn(note="已拆除"), now=sh(16, 10, 0))
    assert err.value.field == "co_departments"
    assert zhujian.name in err.value.message and guihua.name in err.value.message
    assert sorted(err.value.extra["pending"]) == sorted([zhujian.id, guihua.id])
    session.rollback()

    with pytest.raises(Forbidden):  # the lead is not a co-department
        one_action(lc.co_report, session, boss, ev.id, ResultIn(note="我来反馈"), now=sh(16, 10, 0))
    session.rollback()
    with pytest.raises(InvalidInput) as bad:
        one_action(lc.co_report, session, h_zhujian, ev.id, ResultIn(), now=sh(16, 10, 0))
    assert bad.value.field == "note"
    session.rollback()

    ev = one_action(lc.co_report, session, h_zhujian, ev.id, ResultIn(note="无建设审批手续"), now=sh(16, 10, 10))
    assert ev.status == "accepted"
    with pytest.raises(Forbidden):  # already reported
        one_action(lc.co_report, session, h_zhujian, ev.id, ResultIn(note="再报一次"), now=sh(16, 10, 15))
    session.rollback()
    with pytest.raises(Conflict) as err:
        one_action(lc.handle_event, session, boss, ev.id, ResultIn(note="已拆除"), now=sh(16, 10, 20))
    assert guihua.name in err.value.message and zhujian.name not in err.value.message
    assert err.value.extra["pending"] == [guihua.id]
    session.rollback()

    one_action(lc.co_report, session, h_guihua, ev.id, ResultIn(note="不符合规划，建议拆除"), now=sh(16, 10, 30))
    ev = one_action(lc.handle_event, session, boss, ev.id, ResultIn(note="已依法拆除"), now=sh(16, 11, 0))
    assert ev.status == "handled"
    ev = one_action(lc.verify_event, session, people.user(p.gw), ev.id, VerifyIn(passed=True), now=sh(16, 14, 0))
    assert ev.status == "closed"
    assert sorted(t.status for t in ev.tasks) == ["done", "done", "done"]
    assert actions(session, ev.id) == [
        "report",
        "file",
        "dispatch",
        "accept",
        "co_report",
        "co_report",
        "handle",
        "verify_pass",
    ]
    co_rows = [r for r in transitions(session, ev.id) if r.action == "co_report"]
    assert [(r.actor_id, r.data["department_id"], r.from_status, r.to_status) for r in co_rows] == [
        (h_zhujian.user_id, zhujian.id, "accepted", "accepted"),
        (h_guihua.user_id, guihua.id, "accepted", "accepted"),
    ]


# --- the audit tables are append-only ------------------------------------------------------------------------


def test_event_transition_refuses_orm_update_and_delete(session: Session, people: People) -> None:
    p = place(session, 23)
    ev = report(session, people.user("resident1"), p, sh(16, 9, 0))
    row = transitions(session, ev.id)[0]

    row.note = "篡改"
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()
    session.rollback()

    session.delete(row)
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()
    session.rollback()

    audit = session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    audit.action = "篡改"
    with pytest.raises(PermissionError, match="append-only"):
        session.flush()
    session.rollback()

    session.expire_all()
    assert transitions(session, ev.id)[0].note is None


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE event_transition SET note = 'x' WHERE event_id = :eid",
        "DELETE FROM event_transition WHERE event_id = :eid",
        "UPDATE audit_log SET action = 'x' WHERE id = (SELECT MAX(id) FROM audit_log)",
        "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
    ],
)
def test_audit_tables_refuse_raw_sql_changes(session: Session, people: People, sql: str) -> None:
    p = place(session, 24)
    ev = report(session, people.user("resident1"), p, sh(16, 9, 0))
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(sql), {"eid": ev.id})
    session.rollback()
    row = transitions(session, ev.id)[0]
    assert row.note is None and row.action == "report"
