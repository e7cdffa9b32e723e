"""Batch intake (12345 work orders, IoT alarms): same rules as one-at-a-time, bulk writes, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.errors import Forbidden, IllegalTransition, InvalidInput
from gridgov.common.events import DomainEvent
from gridgov.dispatch.models import Event, EventTask, EventTransition
from gridgov.dispatch.schemas import ReportIn
from gridgov.org.models import Division
from support import People, intake_batch

NOW = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tue 10:00 Asia/Shanghai


def _street_grids(session: Session, index: int) -> tuple[Division, list[Division]]:
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.code)).all()
    street = streets[index]
    grids = session.scalars(
        select(Division).where(Division.level == "grid", Division.path.startswith(street.path)).order_by(Division.code)
    ).all()
    return street, list(grids)


def _items(grids: list[Division], tag: str, n: int = 3) -> list[ReportIn]:
    return [
        ReportIn(
            title=f"{tag} 工单{i}",
            channel="hotline_12345",
            category_code="01002",
            grid_code=grids[i % len(grids)].code,
            idempotency_key=f"{tag}-{i}",
        )
        for i in range(n)
    ]


def test_auto_dispatch_writes_every_step(session: Session, people: People) -> None:
    street, grids = _street_grids(session, 3)
    dispatcher = people.user(f"dsp_{street.code}")
    tag = uuid.uuid4().hex[:8]
    results = intake_batch(session, dispatcher, _items(grids, tag), auto_dispatch=True, now=NOW)
    assert [r.created for r in results] == [True, True, True]
    assert {r.status for r in results} == {"dispatched"}
    for r in results:
        event = session.get(Event, r.event_id)
        assert event is not None and event.deadline_at is not None and event.number
        actions = session.scalars(
            select(EventTransition.action).where(EventTransition.event_id == r.event_id).order_by(EventTransition.id)
        ).all()
        assert actions == ["report", "file", "dispatch"]
        assert (
            session.scalar(
                select(func.count()).where(DomainEvent.aggregate_id == r.event_id, DomainEvent.aggregate == "event")
            )
            == 3
        )
        lead = session.scalars(select(EventTask).where(EventTask.event_id == r.event_id, EventTask.role == "lead"))
        assert len(list(lead)) == 1

    again = intake_batch(session, dispatcher, _items(grids, tag), auto_dispatch=True, now=NOW)
    assert [r.event_id for r in again] == [r.event_id for r in results]
    assert not any(r.created for r in again)
    assert session.scalar(select(func.count()).where(Event.title.startswith(tag))) == 3


def test_one_bad_item_writes_nothing(session: Session, people: People) -> None:
    street, grids = _street_grids(session, 3)
    dispatcher = people.user(f"dsp_{street.code}")
    tag = uuid.uuid4().hex[:8]
    items = _items(grids, tag)
    items[1] = items[1].model_copy(update={"grid_code": "999999999999999"})
    with pytest.raises(InvalidInput) as err:
        intake_batch(session, dispatcher, items, auto_dispatch=True, now=NOW)
    assert err.value.field == "items[1].grid_code"
    assert "第 2 条" in err.value.message
    session.rollback()
    assert session.scalar(select(func.count()).where(Event.title.startswith(tag))) == 0


def test_scope_and_roles_are_checked(session: Session, people: People) -> None:
    street, _ = _street_grids(session, 3)
    _, other_grids = _street_grids(session, 4)
    dispatcher = people.user(f"dsp_{street.code}")
    with pytest.raises(Forbidden):
        intake_batch(session, dispatcher, _items(other_grids, uuid.uuid4().hex[:8]), auto_dispatch=True, now=NOW)
    session.rollback()
    resident = people.user("resident1")
    with pytest.raises(IllegalTransition):
        intake_batch(session, resident, _items(other_grids, uuid.uuid4().hex[:8]), auto_dispatch=True, now=NOW)
    plain = intake_batch(session, resident, _items(other_grids, uuid.uuid4().hex[:8], 2), now=NOW)
    assert {r.status for r in plain} == {"reported"}


def test_batch_over_http(app_client: TestClient, login: Callable[[str], dict[str, str]], session: Session) -> None:
    street, grids = _street_grids(session, 3)
    body = {"auto_dispatch": True, "items": [i.model_dump(mode="json") for i in _items(grids, uuid.uuid4().hex[:8])]}
    r = app_client.post("/api/events/batch", json=body, headers=login(f"dsp_{street.code}"))
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()] == ["dispatched"] * 3
    r = app_client.post("/api/events/batch", json={"items": []}, headers=login(f"dsp_{street.code}"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "items"


def test_a_constraint_violation_that_is_no_key_race_is_raised(
    session: Session, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from gridgov.dispatch import intake

    calls = []

    def broken(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise IntegrityError("INSERT", {}, Exception("FOREIGN KEY constraint failed"))

    monkeypatch.setattr(intake, "write_batch", broken)
    street, grids = _street_grids(session, 3)
    with pytest.raises(IntegrityError):
        intake_batch(session, people.user(f"dsp_{street.code}"), _items(grids, uuid.uuid4().hex[:8]), now=NOW)
    assert len(calls) == 2  # the first retry looks for a concurrent report with the same key; no endless retries


def test_community_staff_auto_dispatch_only_community_level_cases(session: Session, people: People) -> None:
    _, grids = _street_grids(session, 3)
    community = session.get(Division, grids[0].parent_id)
    assert community is not None
    staff = people.user(f"cs_{community.code}")
    mine = [g for g in grids if g.parent_id == community.id]
    street_level = _items(mine, uuid.uuid4().hex[:8], 1)  # 01002 积存垃圾渣土: a street-level 小类
    with pytest.raises(Forbidden) as err:
        intake_batch(session, staff, street_level, auto_dispatch=True, now=NOW)
    assert err.value.field == "items[0].category_code"
    session.rollback()
    community_level = [i.model_copy(update={"category_code": "01003"}) for i in _items(mine, uuid.uuid4().hex[:8], 1)]
    [ok] = intake_batch(session, staff, community_level, auto_dispatch=True, now=NOW)
    assert ok.status == "dispatched"
