"""Verification that always has a verifier: every catalog item handled at every tier reaches 待复核 in the queue of
someone who may verify it, and that person's 复核 closes it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.common.levels import TIERS
from gridgov.common.principal import Principal, Role
from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.guards import lead_task
from gridgov.dispatch.models import Event, EventTask, TaskRole
from gridgov.dispatch.queues import my_queue
from gridgov.dispatch.rules import Status
from gridgov.dispatch.schemas import CategoryIn, NoteIn, ResultIn, VerifyIn
from gridgov.dispatch.verification import may_verify
from gridgov.org.models import Division, GridAssignment, User
from support import People, report


def _a_grid(session: Session) -> Division:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).first()
    assert grid is not None
    return grid


def _lead_principal(session: Session, people: People, event: Event) -> Principal:
    task = lead_task(event)
    assert task is not None
    return _task_principal(session, people, task)


def _task_principal(session: Session, people: People, task: EventTask) -> Principal:
    if task.department_id is not None:
        user = session.scalars(select(User).where(User.department_id == task.department_id).order_by(User.id)).first()
    else:
        user = session.scalars(
            select(User)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .where(GridAssignment.grid_id == task.grid_id)
        ).first()
    assert user is not None, f"nobody handles task {task.id}"
    return people.user(user.username)


def _verifiers(session: Session, people: People, grid: Division) -> list[Principal]:
    """Everyone who could be asked to verify a case of this grid: the community's grid workers and staff, the
    centres above (street, district, city) and the reporter."""
    community = session.get(Division, grid.parent_id)
    assert community is not None
    names = list(
        session.scalars(
            select(User.username)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .join(Division, Division.id == GridAssignment.grid_id)
            .where(Division.parent_id == community.id)
        )
    )
    names += session.scalars(
        select(User.username).where(User.role == Role.COMMUNITY_STAFF.value, User.division_id == community.id)
    )
    names += session.scalars(select(User.username).where(User.role == Role.DISPATCHER.value))
    names.append("resident1")
    return [people.user(n) for n in dict.fromkeys(names)]


def test_every_catalog_item_at_every_tier_is_verifiable_from_some_queue(session: Session, people: People) -> None:
    grid = _a_grid(session)
    resident = people.user("resident1")
    district = session.scalar(select(Division).where(Division.level == "district"))
    assert district is not None
    centre = people.user(f"dsp_{district.code}")
    items = sorted(
        (c for c in catalog_cache.snapshot(session).by_code.values() if len(c.code) == 5), key=lambda c: c.code
    )
    assert len(items) >= 190
    handled: dict[int, tuple[str, str]] = {}
    for item in items:
        for tier in TIERS:
            cmd = IntakeCommand(title=f"复核走查 {item.code} {tier}", grid_code=grid.code, category_code=item.code)
            event, _ = report(session, resident, cmd)
            one_action(lc.file_event, session, centre, event.id, CategoryIn())
            event.level = tier  # as a routing rule or an escalation would put it
            session.commit()
            one_action(lc.dispatch_event, session, centre, event.id, CategoryIn())
            lead = _lead_principal(session, people, event)
            one_action(lc.accept_event, session, lead, event.id, NoteIn())
            for task in [t for t in event.tasks if t.role == TaskRole.CO.value]:
                co = _task_principal(session, people, task)
                one_action(lc.co_report, session, co, event.id, ResultIn(note="协办完成"))
            one_action(lc.handle_event, session, lead, event.id, ResultIn(note="已处置"))
            assert event.status == Status.HANDLED.value and event.verifier is not None
            handled[event.id] = (item.code, tier)
    queued: dict[int, list[Principal]] = {}
    for who in _verifiers(session, people, grid):
        page = my_queue(session, who, limit=len(handled) + 500).get("to_verify")
        for e in page.items if page is not None else []:
            if e.id in handled and may_verify(who, e):
                queued.setdefault(e.id, []).append(who)
    orphans = sorted(handled[i] for i in handled if i not in queued)
    assert not orphans, f"待复核 with nobody to verify: {orphans[:10]}"
    kinds: dict[str | None, int] = {}
    for event_id, (code, tier) in handled.items():
        case = session.get(Event, event_id)
        assert case is not None
        kinds[case.verifier] = kinds.get(case.verifier, 0) + 1
        who = queued[event_id][0]
        one_action(lc.verify_event, session, who, event_id, VerifyIn(passed=True))
        assert case.status == Status.CLOSED.value, (code, tier, who.username)
    # one grid worker per grid and one grid per community here: no peer, so the grid's own cases go to the community
    assert set(kinds) == {"grid", "community", "reporter", "dispatcher"}, kinds
