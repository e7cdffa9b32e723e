"""Repeats at intake (重复诉求): a report close in place, time and meaning to an open case joins it (the system
merges it, the case counts it, its reporter is told when the case closes); a different problem at the same place
is a case of its own; a dispatcher can split a wrong attachment off; the same problem after the case closed is
filed anew with the link in its history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.models import EntityRecord
from gridgov.catalog import cache as catalog_cache
from gridgov.common.events import DomainEvent
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.config import Settings
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event, EventTransition
from gridgov.dispatch.schemas import NoteIn, ReportIn
from gridgov.notify.recipients import Directory
from gridgov.notify.rules import Audience
from gridgov.org.models import Division
from support import People, intake_batch
from support import report as submit_report

AT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def attaching(session: Session, settings: Settings) -> Iterator[Session]:
    """The session with repeats attached at intake (the suite runs with it off: its tests share one database)."""
    session.info["settings"] = settings.model_copy(update={"repeat_attach": True, "repeat_radius_m": 100.0})
    yield session
    session.info.pop("settings", None)


def _place(session: Session, index: int) -> tuple[Division, float, float]:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[index]
    assert grid.center_lon is not None and grid.center_lat is not None
    return grid, grid.center_lon, grid.center_lat


def _dispatcher(session: Session, grid: Division) -> str:
    community = session.get(Division, grid.parent_id)
    assert community is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return f"dsp_{street.code}"


def _report(session: Session, people: People, who: str, title: str, code: str, lon: float, lat: float) -> Event:
    cmd = IntakeCommand(title=title, category_code=code, lon=lon, lat=lat)
    event, created = submit_report(session, people.user(who), cmd, now=AT)
    assert created
    return event


def test_a_repeat_attaches_and_a_different_problem_at_the_same_place_does_not(
    attaching: Session, people: People
) -> None:
    session = attaching
    _grid, lon, lat = _place(session, 70)
    main = _report(session, people, "resident1", "小区门口暴露垃圾好几天没人清理", "01001", lon, lat)
    assert main.status == "reported" and main.repeat_count == 0
    repeat = _report(session, people, "resident2", "小区门口垃圾好几天了没人清理，很臭", "01001", lon + 0.0002, lat)
    assert repeat.status == "merged" and repeat.merged_into_id == main.id
    steps = session.scalars(
        select(EventTransition).where(EventTransition.event_id == repeat.id).order_by(EventTransition.id)
    ).all()
    assert [(s.action, s.actor_role) for s in steps] == [("report", "resident"), ("merge", "system")]
    assert steps[1].data["into"] == main.id and steps[1].data["auto"] is True
    session.refresh(main)
    assert main.repeat_count == 1

    noise = _report(session, people, "resident2", "小区门口夜里施工噪音太吵", "03001", lon, lat)  # other 大类
    far = _report(session, people, "resident2", "小区门口暴露垃圾好几天没人清理", "01001", lon + 0.01, lat)  # ~1 km
    unlike = _report(session, people, "resident2", "楼道里有人扔了一袋装修剩料", "01001", lon, lat)  # same 小类
    for other in (noise, far, unlike):
        assert other.status == "reported" and other.merged_into_id is None
    session.refresh(main)
    assert main.repeat_count == 1


def test_every_reporter_is_told_and_a_dispatcher_splits_a_wrong_attachment(attaching: Session, people: People) -> None:
    session = attaching
    grid, lon, lat = _place(session, 71)
    main = _report(session, people, "resident1", "路口井盖缺失很危险", "05001", lon, lat)
    repeat = _report(session, people, "resident2", "路口井盖不见了，很危险", "05001", lon, lat + 0.0002)
    assert repeat.merged_into_id == main.id
    told = Directory(session).resolve(Audience.REPEAT_REPORTERS, main, {})
    assert [r.user_id for r in told] == [people.user("resident2").user_id]

    dsp = people.user(_dispatcher(session, grid))
    one_action(lc.split_event, session, dsp, repeat.id, NoteIn(note="是另一个路口"), now=AT + timedelta(hours=1))
    session.refresh(repeat)
    session.refresh(main)
    assert repeat.status == "reported" and repeat.merged_into_id is None and main.repeat_count == 0
    assert Directory(session).resolve(Audience.REPEAT_REPORTERS, main, {}) == []


def test_the_ioc_hot_issues_group_reports_by_place_and_topic(
    session: Session, people: People, app_client: TestClient, login: Any
) -> None:
    grid, lon, lat = _place(session, 72)
    now = utcnow()
    texts = ["丽景小区旁搅拌站噪音扰民严重", "丽景小区附近搅拌站噪音扰民", "丽景小区搅拌站噪音扰民，晚上睡不着"]
    for i, (who, text) in enumerate(zip(("resident1", "resident2", "resident1"), texts, strict=True)):
        cmd = IntakeCommand(title=text, category_code="10001", lon=lon + i * 0.0001, lat=lat)
        submit_report(session, people.user(who), cmd, now=now - timedelta(hours=3 - i))
    submit_report(session, people.user("resident2"), IntakeCommand(title="路灯不亮", lon=lon, lat=lat), now=now)
    district = _district_code(session, grid)
    r = app_client.get("/api/dashboard/hot-issues", params={"period": "week"}, headers=login(f"ldr_{district}"))
    assert r.status_code == 200, r.text
    ours = [h for h in r.json()["items"] if any("丽景小区" in t for t in h["texts"])]
    assert len(ours) == 1
    hot = ours[0]
    assert hot["count"] == 3 and hot["spread"] == 2 and hot["places"] == [grid.name]
    assert sum(hot["trend"]) == 3 and hot["texts"][0] in texts and len(hot["numbers"]) == 3
    assert app_client.get("/api/dashboard/hot-issues", params={"limit": 0}, headers=login("admin")).status_code == 422


def _district_code(session: Session, grid: Division) -> str:
    node: Division | None = grid
    while node is not None and node.level != "district":
        node = session.get(Division, node.parent_id) if node.parent_id else None
    assert node is not None
    return node.code


def test_the_same_problem_after_its_case_closed_is_a_new_case_linked_to_it(attaching: Session, people: People) -> None:
    session = attaching
    _grid, lon, lat = _place(session, 73)
    main = _report(session, people, "resident1", "楼道灯坏了一直不亮", "05001", lon, lat)
    # the case was handled and closed (its walk through the loop is the lifecycle tests' business)
    session.execute(update(Event).where(Event.id == main.id).values(status="closed", closed_at=AT))
    session.commit()
    again = _report(session, people, "resident2", "楼道灯坏了又不亮了", "05001", lon, lat)  # a neighbour: links
    assert again.status == "reported" and again.merged_into_id is None
    first = session.scalars(
        select(EventTransition).where(EventTransition.event_id == again.id).order_by(EventTransition.id)
    ).first()
    assert first is not None and first.data["repeat_of"] == main.id
    session.refresh(main)
    assert main.repeat_count == 1


def test_the_resident_reporting_their_closed_case_again_reopens_it(attaching: Session, people: People) -> None:
    session = attaching
    _grid, lon, lat = _place(session, 74)
    main = _report(session, people, "resident1", "单元门禁坏了一直打不开", "05001", lon, lat)
    session.execute(update(Event).where(Event.id == main.id).values(status="closed", closed_at=AT - timedelta(days=1)))
    session.commit()
    again = _report(session, people, "resident1", "单元门禁坏了还是打不开", "05001", lon, lat)
    assert again.status == "merged" and again.merged_into_id == main.id  # no second case
    session.refresh(main)
    assert main.status == "filed" and main.reopen_count == 1 and main.repeat_count == 1 and main.closed_at is None
    steps = session.scalars(
        select(EventTransition).where(EventTransition.event_id == main.id).order_by(EventTransition.id)
    ).all()
    # the reopen service's history row is the case's audit: the resident, not the system, reopened it
    assert (steps[-1].action, steps[-1].actor_role, steps[-1].to_status) == ("reopen", "resident", "filed")
    assert again.number is not None and again.number in (steps[-1].note or "")
    merge = session.scalars(
        select(EventTransition).where(EventTransition.event_id == again.id, EventTransition.action == "merge")
    ).one()
    assert merge.data["reopened"] is True and merge.data["into"] == main.id
    published = session.scalar(
        select(DomainEvent).where(DomainEvent.aggregate_id == main.id, DomainEvent.name.contains("reopen"))
    )
    assert published is not None


def test_a_late_or_reopen_off_repeat_of_ones_own_case_links(attaching: Session, people: People) -> None:
    session = attaching
    settings = session.info["settings"]
    _grid, lon, lat = _place(session, 75)
    late = _report(session, people, "resident1", "消防通道被车辆长期占用", "05001", lon, lat)
    closed = AT - timedelta(days=settings.repeat_reopen_days + 1)  # outside the reopen period, inside the window
    session.execute(update(Event).where(Event.id == late.id).values(status="rated", closed_at=closed))
    session.commit()
    again = _report(session, people, "resident1", "消防通道又被车辆占用了", "05001", lon, lat)
    assert again.status == "reported" and again.merged_into_id is None
    session.refresh(late)
    assert late.status == "rated" and late.reopen_count == 0 and late.repeat_count == 1

    session.info["settings"] = settings.model_copy(update={"repeat_reopen_days": 0})
    _grid, lon, lat = _place(session, 76)
    off = _report(session, people, "resident1", "小区水压太低，高层没水", "05001", lon, lat)
    session.execute(update(Event).where(Event.id == off.id).values(status="closed", closed_at=AT))
    session.commit()
    again = _report(session, people, "resident1", "小区水压低，高层又没水", "05001", lon, lat)
    assert again.status == "reported" and again.merged_into_id is None


def test_a_later_report_of_the_same_batch_attaches_to_an_earlier_one(attaching: Session, people: People) -> None:
    session = attaching
    grid, lon, lat = _place(session, 77)
    tag = uuid.uuid4().hex[:6]
    texts = [
        ("小区东门井盖缺失有安全隐患", "05001", 0.0),
        ("小区深夜KTV噪音扰民", "10001", 0.0),
        ("小区东门井盖不见了，有安全隐患", "05001", 0.0002),
        ("小区东门井盖缺失，很危险", "05001", 0.0001),
    ]
    items = [
        ReportIn(title=t, channel="hotline_12345", category_code=c, lon=lon + d, lat=lat, idempotency_key=f"{tag}-{i}")
        for i, (t, c, d) in enumerate(texts)
    ]
    results = intake_batch(session, people.user(_dispatcher(session, grid)), items, now=AT)
    assert [r.status for r in results] == ["reported", "reported", "merged", "merged"]
    first = session.get(Event, results[0].event_id)
    assert first is not None and first.repeat_count == 2
    for r in results[2:]:
        event = session.get(Event, r.event_id)
        assert event is not None and event.merged_into_id == first.id
        merge = session.scalars(
            select(EventTransition).where(EventTransition.event_id == r.event_id, EventTransition.action == "merge")
        ).one()
        assert merge.data["into"] == first.id and merge.data["into_number"] == first.number
    other = session.get(Event, results[1].event_id)
    assert other is not None and other.merged_into_id is None and other.repeat_count == 0


def test_the_ioc_lists_addresses_with_repeated_complaints(
    session: Session, people: People, app_client: TestClient, login: Any
) -> None:
    grid, lon, lat = _place(session, 78)
    entity = session.scalars(select(EntityRecord).where(EntityRecord.address_id.is_not(None))).first()
    address = (
        session.get(Address, entity.address_id)
        if entity is not None
        else session.scalars(select(Address).order_by(Address.id)).first()
    )
    assert address is not None
    now = utcnow()
    reports = [("resident1", "餐馆油烟直排扰民", "10001", 5), ("resident2", "餐馆油烟太大", "10001", 3)]
    reports += [("resident1", "餐馆门口占道经营", "01001", 1)]
    ids = [
        submit_report(
            session,
            people.user(w),
            IntakeCommand(title=t, category_code=c, lon=lon, lat=lat),
            now=now - timedelta(hours=h),
        )[0].id
        for w, t, c, h in reports
    ]
    session.execute(update(Event).where(Event.id.in_(ids)).values(address_id=address.id))
    session.commit()
    district = _district_code(session, grid)
    r = app_client.get("/api/dashboard/repeat-places", params={"period": "week"}, headers=login(f"ldr_{district}"))
    assert r.status_code == 200, r.text
    ours = [x for x in r.json()["items"] if x["address_code"] == address.code]
    assert len(ours) == 1
    item = ours[0]
    assert item["count"] >= 3 and item["reporters"] >= 2 and item["address"] == address.full_name
    assert item["top_category"] == catalog_cache.snapshot(session).by_code["10001"].name
    assert item["top_category_count"] >= 2
    assert datetime.fromisoformat(item["last"]) >= now - timedelta(hours=1, seconds=1)
    if entity is not None:
        assert entity.name in item["entities"]
    assert (
        app_client.get("/api/dashboard/repeat-places", params={"limit": 0}, headers=login("admin")).status_code == 422
    )
