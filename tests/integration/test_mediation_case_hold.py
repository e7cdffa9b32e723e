"""The case a dispute files (or is referred from) is held by mediation: filed on arrival, in no dispatcher's 待立案 or
待派遣 queue, its history naming mediation; and it closes — once — with the dispute's outcome when the dispute closes.
Dispatch reacts to the mediation events through the bus; a redelivered event changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.events import DomainEvent, Published
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.dispatch import intake, lifecycle
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel, Event, EventTransition
from gridgov.dispatch.queues import my_queue
from gridgov.dispatch.rules import Action, Status, allowed_actions
from gridgov.dispatch.schemas import CategoryIn
from gridgov.dispatch.subscribers import close_disputed_case, hold_disputed_case
from gridgov.mediation import assignment, services
from gridgov.mediation.channel import refer_case, submit_dispute
from gridgov.mediation.models import Dispute
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import Source
from gridgov.org.models import Division
from gridgov.wiring import wire
from integration.test_mediation_intake import _cmd, _community_and_grid
from support import People


@pytest.fixture(autouse=True)
def _wired() -> None:
    wire()  # dispatch's reactions to the mediation events, registered as every entrypoint does


def _steps(session: Session, case_id: int, action: Action) -> list[EventTransition]:
    query = select(EventTransition).where(EventTransition.event_id == case_id, EventTransition.action == action.value)
    return list(session.scalars(query))


def _queued(session: Session, actor: Principal, case_id: int) -> list[str]:
    return [
        name for name, page in my_queue(session, actor, limit=500).items() if any(e.id == case_id for e in page.items)
    ]


def _through_to_close(session: Session, actor: Principal, dispute: Dispute, now: datetime) -> Dispute:
    one_action(assignment.assign_dispute, session, actor, dispute.id, None, now)
    one_action(services.hold_session, session, actor, dispute.id, now, "双方到场，释法明理", None, now)
    one_action(services.agree, session, actor, dispute.id, "一、楼上住户赔偿维修费 3000 元。", now)
    one_action(services.follow_up, session, actor, dispute.id, "已履行", now)
    closed: Dispute = one_action(services.close, session, actor, dispute.id, now)
    return closed


def test_a_disputes_case_is_held_by_mediation_and_closes_with_it_once(session: Session, people: People) -> None:
    community, grid = _community_and_grid(session)
    actor = people.user(f"cs_{community.code}")
    street = session.get(Division, community.parent_id)
    assert street is not None
    now = utcnow()
    dispute = one_action(submit_dispute, session, actor, _cmd(grid, Source.WALK_IN), now)
    case = session.get(Event, dispute.source_event_id)
    assert case is not None
    assert case.status == Status.ACCEPTED.value and case.filed_at is not None
    assert case.deadline_at is None  # the dispute's own stages run, not the dispatch clock
    for who in (actor, people.user(f"dsp_{street.code}"), people.user("admin")):
        queued = _queued(session, who, case.id)
        assert "to_file" not in queued and "to_dispatch" not in queued, (who.username, queued)
    held = _steps(session, case.id, Action.MEDIATE)
    assert len(held) == 1 and held[0].data["holder"] == "mediation" and held[0].data["dispute"] == dispute.number
    assert held[0].from_status == Status.REPORTED.value and held[0].actor_role == "system"
    assert held[0].data["mediator_id"] == actor.user_id  # on behalf of the mediator who registered the dispute
    assert Action.MEDIATE not in allowed_actions(Status.REPORTED, Role.DISPATCHER)  # no dispatcher is offered it

    closed = _through_to_close(session, actor, dispute, now)
    session.refresh(case)
    assert case.status == Status.CLOSED.value and case.closed_at is not None
    assert case.result_note is not None and "达成调解协议" in case.result_note and "3000 元" in case.result_note
    assert dispute.number in case.result_note
    assert len(_steps(session, case.id, Action.MEDIATION_CLOSE)) == 1
    outbox = session.scalars(select(DomainEvent.name).where(DomainEvent.aggregate_id == case.id)).all()
    assert "event.mediate" in outbox and "event.mediation_close" in outbox

    # the bus delivers again (a retry): nothing changes, no second close or hold
    published = session.scalars(
        select(DomainEvent).where(DomainEvent.aggregate == "dispute", DomainEvent.aggregate_id == closed.id)
    ).all()
    for row in published:
        event = Published(row.name, row.aggregate, row.aggregate_id, row.payload, row.at, actor)
        handler = {"mediation.register": hold_disputed_case, "mediation.close": close_disputed_case}.get(row.name)
        if handler is not None:
            handler(session, event)
    session.flush()
    assert len(_steps(session, case.id, Action.MEDIATION_CLOSE)) == 1
    assert len(_steps(session, case.id, Action.MEDIATE)) == 1
    assert session.get(Event, case.id).status == Status.CLOSED.value  # type: ignore[union-attr]


def test_a_referred_report_leaves_the_dispatchers_queue(session: Session, people: People) -> None:
    community, grid = _community_and_grid(session)
    actor = people.user(f"cs_{community.code}")
    report = IntakeCommand(
        title="邻居家狗天天叫", channel=Channel.GRID_PATROL, category_code="07002", grid_code=grid.code
    )
    case_id = one_action(intake.submit, session, actor, report).event_id
    assert "to_file" in _queued(session, actor, case_id)
    referred = DisputeIn(dispute_type="", title="养犬扰民", parties=_cmd(grid, Source.WALK_IN).parties)
    dispute = one_action(refer_case, session, actor, case_id, referred)
    case = session.get(Event, case_id)
    assert case is not None and case.status == Status.ACCEPTED.value
    assert "to_file" not in _queued(session, actor, case_id)
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    one_action(services.hold_session, session, actor, dispute.id, utcnow(), "分歧较大")
    one_action(services.fail, session, actor, dispute.id, "未能达成一致")
    one_action(services.transfer, session, actor, dispute.id, "litigation", "引导起诉")
    one_action(services.follow_up, session, actor, dispute.id, "已起诉")
    one_action(services.close, session, actor, dispute.id)
    session.refresh(case)
    assert case.status == Status.CLOSED.value
    assert case.result_note is not None and "转入诉讼" in case.result_note


def test_a_case_dispatched_before_the_referral_stays_with_its_department(session: Session, people: People) -> None:
    """Mediation takes over a case only before it is dispatched; one already in a department's hands is left there
    (and nothing of the dispute's closing touches it)."""
    community, grid = _community_and_grid(session)
    actor = people.user(f"cs_{community.code}")
    report = IntakeCommand(title="邻里吵架", channel=Channel.GRID_PATROL, category_code="07002", grid_code=grid.code)
    case_id = one_action(intake.submit, session, actor, report).event_id
    one_action(lifecycle.file_event, session, actor, case_id, CategoryIn())
    one_action(lifecycle.dispatch_event, session, actor, case_id, CategoryIn())
    case = session.get(Event, case_id)
    assert case is not None and case.status == Status.DISPATCHED.value
    referred = DisputeIn(dispute_type="", title="邻里吵架", parties=_cmd(grid, Source.WALK_IN).parties)
    one_action(refer_case, session, actor, case_id, referred)
    session.refresh(case)
    assert case.status == Status.DISPATCHED.value and not _steps(session, case_id, Action.MEDIATE)
