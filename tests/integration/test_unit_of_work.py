"""One action, one transaction: a crash between two writes of an action leaves nothing of it behind (on
SQLite and on PostgreSQL), and the address library's review resolution reaches dispatch through the event bus."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.address.models import Address, AddressAlias, AddressReview
from gridgov.address.reviews import REVIEW_RESOLVED, resolve_review
from gridgov.common.audit import AuditLog
from gridgov.common.events import DomainEvent, Published, bus
from gridgov.common.principal import Principal
from gridgov.common.uow import UnitOfWork, after_commit, one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.dispatch.models import Event, EventTask, EventTransition
from gridgov.dispatch.schemas import CategoryIn
from gridgov.org.models import Division
from support import People

Login = Callable[[str], dict[str, str]]


class Crash(RuntimeError):
    """What the injected fault raises (a process killed mid-action looks the same to the database)."""


@pytest.fixture
def crash_on() -> Iterator[Callable[[str], None]]:
    """Make the next publication of an event name crash the action, after the action's earlier writes (once)."""
    added: list[tuple[str, Callable[[Session, Published], None]]] = []

    def arm(name: str) -> None:
        armed = [True]

        def boom(_session: Session, _event: Published) -> None:
            if armed.pop() if armed else False:
                raise Crash(name)

        bus.subscribe(name, boom)
        added.append((name, boom))

    yield arm
    for name, handler in added:
        bus.handlers[name].remove(handler)


def _unmatched_case(app_client: TestClient, login: Login, session: Session) -> tuple[int, AddressReview]:
    strange = f"那棵老榕树往里走 {uuid.uuid4().hex[:6]}"
    r = app_client.post("/api/events", json={"title": "噪音扰民", "address_text": strange}, headers=login("resident3"))
    assert r.status_code == 201, r.text
    case_id = int(r.json()["id"])
    review = session.scalar(select(AddressReview).where(AddressReview.source_id == case_id))
    assert review is not None and review.status == "pending"
    return case_id, review


def _building(session: Session, index: int) -> Address:
    return session.scalars(select(Address).where(Address.level == "building").order_by(Address.code)).all()[index]


def _city_admin(people: People) -> Principal:
    admin: Principal = people.user("admin")
    return admin


def test_a_crash_inside_the_review_resolution_leaves_the_review_the_case_and_the_library_as_they_were(
    app_client: TestClient, login: Login, session: Session, people: People, crash_on: Callable[[str], None]
) -> None:
    case_id, review = _unmatched_case(app_client, login, session)
    target = _building(session, 410)
    audits_before = session.scalar(select(func.count()).select_from(AuditLog))
    outbox_before = session.scalar(select(func.max(DomainEvent.id)))
    crash_on("event.locate")  # after the review row changed and the case was placed, before the alias is learned
    with pytest.raises(Crash), UnitOfWork(session):
        resolve_review(session, _city_admin(people), review.id, target.code)
    session.expire_all()
    assert session.get(AddressReview, review.id).status == "pending"  # type: ignore[union-attr]
    case = session.get(Event, case_id)
    assert case is not None and case.grid_id is None and case.address_id is None
    steps = session.scalars(
        select(EventTransition.action).where(EventTransition.event_id == case_id).order_by(EventTransition.id)
    ).all()
    assert steps == ["report"]
    learned = select(AddressAlias.id).where(AddressAlias.address_id == target.id, AddressAlias.kind == "learned")
    assert session.scalar(learned) is None
    assert session.scalar(select(func.count()).select_from(AuditLog)) == audits_before
    assert session.scalar(select(func.max(DomainEvent.id))) == outbox_before


def test_the_review_resolution_reaches_dispatch_through_the_bus(
    app_client: TestClient, login: Login, session: Session, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, review = _unmatched_case(app_client, login, session)
    target = _building(session, 420)
    admin = _city_admin(people)

    # without dispatch's subscriber the library resolves the review and publishes, and nobody places the case
    monkeypatch.setattr(bus, "handlers", {k: v for k, v in bus.handlers.items() if k != REVIEW_RESOLVED})
    one_action(resolve_review, session, admin, review.id, target.code, learn=False)
    assert session.get(Event, case_id).grid_id is None  # type: ignore[union-attr]
    published = session.scalars(
        select(DomainEvent).where(DomainEvent.name == REVIEW_RESOLVED, DomainEvent.aggregate_id == review.id)
    ).all()
    assert [p.payload["source_id"] for p in published] == [case_id]
    assert published[0].payload["address_code"] == target.code
    monkeypatch.undo()

    # with it (as wired at start-up), the same resolution places the case in the same transaction
    case_id, review = _unmatched_case(app_client, login, session)
    one_action(resolve_review, session, admin, review.id, target.code, learn=False)
    session.expire_all()
    case = session.get(Event, case_id)
    assert case is not None and case.grid_id == target.grid_id and case.address_id == target.id
    last = session.scalars(
        select(EventTransition).where(EventTransition.event_id == case_id).order_by(EventTransition.id.desc())
    ).first()
    assert last is not None and last.action == "locate" and last.data["address"] == target.code


def _filed_case(session: Session, people: People, index: int) -> tuple[int, Principal]:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[index]
    street = session.get(Division, session.get(Division, grid.parent_id).parent_id)  # type: ignore[union-attr]
    assert street is not None
    dsp: Principal = people.user(f"dsp_{street.code}")
    resident: Principal = people.user("resident1")
    reported = one_action(
        submit, session, resident, IntakeCommand(title=f"井盖缺失 {uuid.uuid4().hex[:6]}", grid_code=grid.code)
    )
    one_action(lc.file_event, session, dsp, reported.event_id, CategoryIn(category_code="01001"))
    return reported.event_id, dsp


def test_a_crash_after_the_case_changed_but_before_its_event_is_published_leaves_it_filed(
    session: Session, people: People, crash_on: Callable[[str], None]
) -> None:
    case_id, dsp = _filed_case(session, people, 7)
    crash_on("event.dispatch")  # tasks added, clock started, history row added: then the crash
    with pytest.raises(Crash):
        one_action(lc.dispatch_event, session, dsp, case_id, CategoryIn())
    session.expire_all()
    case = session.get(Event, case_id)
    assert case is not None and case.status == "filed" and case.deadline_at is None and case.dispatched_at is None
    assert session.scalar(select(func.count()).where(EventTask.event_id == case_id)) == 0
    steps = session.scalars(
        select(EventTransition.action).where(EventTransition.event_id == case_id).order_by(EventTransition.id)
    ).all()
    assert steps == ["report", "file"]
    assert one_action(lc.dispatch_event, session, dsp, case_id, CategoryIn()).status == "dispatched"  # and later works


def test_a_crash_while_a_report_is_written_leaves_no_case(
    session: Session, people: People, crash_on: Callable[[str], None]
) -> None:
    resident: Principal = people.user("resident2")
    title = f"路灯不亮 {uuid.uuid4().hex[:6]}"
    crash_on("event.report")  # the case row, its number and its history row are written by then
    command = IntakeCommand(title=title, address_text="老榕树底下那个路口", idempotency_key=f"crash-{uuid.uuid4().hex}")
    with pytest.raises(Crash):
        one_action(submit, session, resident, command)
    assert session.scalar(select(func.count()).where(Event.title == title)) == 0
    assert session.scalar(select(func.count()).where(AddressReview.input_text == command.address_text)) == 0


def test_after_commit_work_runs_once_committed_and_never_after_a_rollback(session: Session) -> None:
    ran: list[str] = []
    with pytest.raises(Crash), UnitOfWork(session):
        after_commit(session, lambda: ran.append("rolled back"))
        raise Crash("before the commit")
    with UnitOfWork(session):
        after_commit(session, lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
