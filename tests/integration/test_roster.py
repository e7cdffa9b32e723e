"""On-duty rosters of the centres: shifts kept by the admin (or the centre's leader), "who is on duty now"
(`on_duty`, read by the 重特大 fast track) and its fallback to the centre's dispatchers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.errors import Conflict, Forbidden, InvalidInput
from gridgov.common.events import DomainEvent
from gridgov.common.uow import one_action
from gridgov.org import roster
from gridgov.org.models import Division, DutyPost, User
from support import People

T = datetime(2030, 3, 2, 14, 0, tzinfo=UTC)  # Saturday 22:00 in Shanghai, far from every other test

Login = Callable[[str], dict[str, str]]


def _street(session: Session, index: int) -> Division:
    streets = session.scalars(select(Division).where(Division.level == "street").order_by(Division.code)).all()
    return streets[index % len(streets)]


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def test_who_is_on_duty_now(session: Session, people: People) -> None:
    street = _street(session, 3)
    admin = people.user("admin")
    dispatcher = _user(session, f"dsp_{street.code}")
    night = roster.NewShift(dispatcher.id, T - timedelta(hours=2), T + timedelta(hours=10), note="夜班")
    day = roster.NewShift(dispatcher.id, T + timedelta(hours=10), T + timedelta(hours=22))
    rows = one_action(roster.add_shifts, session, admin, street, [night, day])
    assert len(rows) == 2
    found = roster.on_duty(session, street.id, T)
    assert [(p.user_id, p.shift_id, p.rostered) for p in found] == [(dispatcher.id, rows[0].id, True)]
    assert roster.on_duty(session, street.id, T + timedelta(hours=30)) == []
    fallback = roster.duty_contacts(session, street.id, T + timedelta(hours=30))
    assert [(p.user_id, p.rostered) for p in fallback] == [(dispatcher.id, False)]
    assert roster.on_duty(session, street.id, T, post=DutyPost.LEADER) == []
    assert session.scalars(
        select(AuditLog).where(AuditLog.action == "duty.add", AuditLog.entity_id == str(street.id))
    ).all()
    assert session.scalars(
        select(DomainEvent).where(DomainEvent.name == "org.duty_rostered", DomainEvent.aggregate_id == street.id)
    ).all()

    with pytest.raises(Conflict):  # the same person twice at once
        one_action(
            roster.add_shifts, session, admin, street, [roster.NewShift(dispatcher.id, T, T + timedelta(hours=1))]
        )
    session.rollback()
    one_action(roster.remove_shift, session, admin, rows[0].id)
    assert roster.on_duty(session, street.id, T) == []


def test_bad_shifts_are_refused_with_the_field(session: Session, people: People) -> None:
    street = _street(session, 4)
    admin = people.user("admin")
    dispatcher = _user(session, f"dsp_{street.code}")
    stranger = _user(session, f"dsp_{_street(session, 5).code}")
    cases = [
        (roster.NewShift(dispatcher.id, T, T - timedelta(hours=1)), "ends_at"),
        (roster.NewShift(dispatcher.id, T, T + timedelta(hours=60)), "ends_at"),
        (roster.NewShift(stranger.id, T, T + timedelta(hours=8)), "user_id"),
        (roster.NewShift(dispatcher.id, T, T + timedelta(hours=8), post=DutyPost.LEADER), "user_id"),
    ]
    for shift, field in cases:
        with pytest.raises(InvalidInput) as err:
            one_action(roster.add_shifts, session, admin, street, [shift])
        assert err.value.field == field
        session.rollback()
    with pytest.raises(Forbidden):  # a dispatcher does not keep the roster
        one_action(roster.add_shifts, session, people.user(dispatcher.username), street, [cases[0][0]])
    session.rollback()
    community = session.scalars(select(Division).where(Division.level == "community")).first()
    assert community is not None
    with pytest.raises(InvalidInput):
        roster.centre(session, community.code)


def test_roster_over_http(app_client: TestClient, login: Login, session: Session) -> None:
    street = _street(session, 6)
    dispatcher = _user(session, f"dsp_{street.code}")
    now = datetime.now(UTC)
    body = {
        "division_code": street.code,
        "shifts": [
            {
                "user_id": dispatcher.id,
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            }
        ],
    }
    post = app_client.post
    get = app_client.get
    r = post("/api/duty/shifts", json=body, headers=login("admin"))
    assert r.status_code == 201, r.text
    r = get("/api/duty/now", params={"division_code": street.code}, headers=login(f"dsp_{street.code}"))
    assert r.status_code == 200
    assert [(p["user_id"], p["rostered"], p["post_label"]) for p in r.json()["on_duty"]] == [
        (dispatcher.id, True, "值班分拨员")
    ]
    bad = post(
        "/api/duty/shifts",
        json={"division_code": street.code, "shifts": [{"user_id": dispatcher.id}]},
        headers=login("admin"),
    )
    assert bad.status_code == 422 and "starts_at" in bad.text
    r = get("/api/duty/shifts", params={"division_code": street.code}, headers=login("admin"))
    assert r.status_code == 200 and r.json()[0]["user_name"] == dispatcher.display_name
    r = app_client.delete(f"/api/duty/shifts/{r.json()[0]['id']}", headers=login("admin"))
    assert r.status_code == 204
