"""A dispute through the mediation services: 受理 with its parties encrypted and masked, 分派 by the routing rules
(a joint mediation makes one task per agency, each with its deadline), sessions, agreement, judicial confirmation,
follow-up, close — each step with its audit row and domain event; illegal steps refused with the allowed ones;
scope (a community mediator sees his community only); the demo's disputes in every stage."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.config import Settings
from gridgov.mediation import assignment, services
from gridgov.mediation.models import Dispute, DisputeParty, DisputeTask, MediationAgency
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn, register_dispute
from gridgov.mediation.rules import AgencyKind, PartyKind, PartyRole, Stage
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
PHONE = "13912345678"
ID_NUMBER = "440304198805061234"


def _community(session: Session, index: int = 0) -> Division:
    staffed = session.scalars(select(User.division_id).where(User.role == "community_staff").order_by(User.id)).all()
    found = session.get(Division, staffed[index])
    assert found is not None
    return found


def _command(
    community: Division, kind: str = "family", amount: int = 0, text: str = "", phone: str = PHONE
) -> DisputeIn:
    return DisputeIn(
        dispute_type=kind,
        title="测试纠纷：抚养费",
        description=text or "前夫拖欠抚养费，联系电话 " + PHONE,
        amount=Decimal(amount),
        division_code=community.code,
        parties=(
            PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "林晓红", ID_NUMBER if phone == PHONE else None, phone),
            PartyData(
                PartyRole.RESPONDENT, PartyKind.PERSON, "陈大明", None, "13800001111" if phone == PHONE else None
            ),
        ),
    )


@pytest.fixture
def mediator(session: Session, people: People) -> tuple[Principal, Division]:
    community = _community(session)
    return people.user(f"cs_{community.code}"), community


def test_a_joint_family_mediation_goes_through_every_stage(
    session: Session, mediator: tuple[Principal, Division]
) -> None:
    actor, community = mediator
    now = utcnow()
    dispute = one_action(register_dispute, session, actor, _command(community), now)
    assert dispute.stage == Stage.ACCEPTED.value and dispute.number.startswith("TJ")
    party = session.scalars(select(DisputeParty).where(DisputeParty.dispute_id == dispute.id)).first()
    assert party is not None
    assert party.name_masked == "林**" and party.phone_masked == "139****5678" and "林晓红" not in party.name_enc
    assert PHONE not in dispute.description  # the free text is stored masked, its original encrypted beside it

    one_action(assignment.assign_dispute, session, actor, dispute.id, None, now)
    tasks = session.scalars(select(DisputeTask).where(DisputeTask.dispute_id == dispute.id)).all()
    kinds = sorted(t.agency_kind for t in tasks)
    assert kinds == sorted(k.value for k in (AgencyKind.POLICE, AgencyKind.COURT, AgencyKind.JUSTICE, AgencyKind.WOMEN))
    assert len({t.agency_id for t in tasks}) == len(tasks) == 4  # one task per agency
    for t in tasks:
        assert now < t.warn_at < t.deadline_at  # the dispatch SLA clock on the working calendar (5 working days)
        assert t.deadline_at - now >= timedelta(days=5)
    street = session.get(Division, community.parent_id)
    assert street is not None
    police = session.get(MediationAgency, next(t.agency_id for t in tasks if t.agency_kind == "police"))
    assert police is not None and police.division_id == street.id  # the street's police station

    session.refresh(dispute)
    assert dispute.stage == Stage.ASSIGNED.value and dispute.mediator_id is not None
    one_action(services.hold_session, session, actor, dispute.id, now, "双方到场，释法明理", None, now)
    one_action(services.hold_session, session, actor, dispute.id, now, "第二次调解，差距缩小", None, now)
    one_action(services.agree, session, actor, dispute.id, "一、每月支付抚养费 3000 元。", now)
    one_action(services.confirm, session, actor, dispute.id, "", now)
    one_action(services.follow_up, session, actor, dispute.id, "协议已履行", now)
    closed = one_action(services.close, session, actor, dispute.id, now)
    assert closed.stage == Stage.CLOSED.value and closed.follow_up_due is not None

    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "dispute", AuditLog.entity_id == str(dispute.id))
        .order_by(AuditLog.seq)
    ).all()
    assert actions == [
        "mediation.register",
        "mediation.assign",
        "mediation.hold_session",
        "mediation.hold_session",
        "mediation.agree",
        "mediation.confirm",
        "mediation.follow_up",
        "mediation.close",
    ]
    events = session.scalars(
        select(DomainEvent.name)
        .where(DomainEvent.aggregate == "dispute", DomainEvent.aggregate_id == dispute.id)
        .order_by(DomainEvent.id)
    ).all()
    assert events == ["mediation." + a.split(".", 1)[1] for a in actions]


def test_an_illegal_step_is_refused_with_the_allowed_ones_and_writes_nothing(
    session: Session, mediator: tuple[Principal, Division]
) -> None:
    actor, community = mediator
    dispute = one_action(register_dispute, session, actor, _command(community, "neighbour"))
    with pytest.raises(IllegalTransition) as err:
        one_action(services.agree, session, actor, dispute.id, "条款")
    assert err.value.extra["allowed"] == ["assign"]
    session.refresh(dispute)
    assert dispute.stage == Stage.ACCEPTED.value and dispute.terms is None
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    one_action(services.hold_session, session, actor, dispute.id, utcnow(), "第一次调解")
    with pytest.raises(InvalidInput) as bad:
        one_action(services.fail, session, actor, dispute.id, "  ")
    assert bad.value.field == "note" and "未达成" in bad.value.message


def test_a_single_mediator_dispute_makes_no_tasks(session: Session, mediator: tuple[Principal, Division]) -> None:
    actor, community = mediator
    dispute = one_action(register_dispute, session, actor, _command(community, "neighbour"))
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    session.refresh(dispute)
    assert dispute.tasks == [] and dispute.lead_division_id == community.id


def test_a_transferred_dispute_names_its_destination(session: Session, mediator: tuple[Principal, Division]) -> None:
    actor, community = mediator
    dispute = one_action(register_dispute, session, actor, _command(community, "tenancy", 9000))
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    one_action(services.hold_session, session, actor, dispute.id, utcnow(), "分歧较大")
    one_action(services.fail, session, actor, dispute.id, "未能达成一致")
    with pytest.raises(InvalidInput) as err:
        one_action(services.transfer, session, actor, dispute.id, "moon")
    assert err.value.field == "destination" and "诉讼" in err.value.message
    moved = one_action(services.transfer, session, actor, dispute.id, "litigation", "引导起诉")
    assert (moved.stage, moved.destination) == (Stage.TRANSFERRED.value, "litigation")


def test_risk_flags_follow_the_words_recorded(session: Session, mediator: tuple[Principal, Division]) -> None:
    actor, community = mediator
    phone = "137" + str(uuid.uuid4().int)[:8]  # a party new to the centre: no repeat visits
    dispute = one_action(
        register_dispute, session, actor, _command(community, "neighbour", text="邻居吵架", phone=phone)
    )
    assert (dispute.risk_level, dispute.risk_flags) == ("low", [])
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    one_action(services.hold_session, session, actor, dispute.id, utcnow(), "一方称要同归于尽，并持刀威胁")
    session.refresh(dispute)
    assert dispute.risk_level == "high"
    explained = {f["code"]: f["explanation"] for f in dispute.risk_flags}
    assert "“同归于尽”" in explained["threat"] and "“持刀”" in explained["violence"]


def test_a_party_coming_back_is_flagged_as_repeat_visits(
    session: Session, mediator: tuple[Principal, Division]
) -> None:
    actor, community = mediator
    phone = "136" + str(uuid.uuid4().int)[:8]
    for _ in range(2):
        first = one_action(register_dispute, session, actor, _command(community, "neighbour", text="吵架", phone=phone))
        assert "repeat" not in [f["code"] for f in first.risk_flags]
    third = one_action(register_dispute, session, actor, _command(community, "neighbour", text="吵架", phone=phone))
    repeat = next(f for f in third.risk_flags if f["code"] == "repeat")
    assert "第 3 次来访" in repeat["explanation"] and third.risk_level == "medium"


def test_a_community_mediator_sees_his_community_only(session: Session, people: People) -> None:
    mine, other = _community(session, 0), _community(session, 5)
    me, them = people.user(f"cs_{mine.code}"), people.user(f"cs_{other.code}")
    theirs = one_action(register_dispute, session, them, _command(other, "neighbour"))
    with pytest.raises(NotFound):
        one_action(assignment.assign_dispute, session, me, theirs.id)
    with pytest.raises(Forbidden):
        one_action(register_dispute, session, me, _command(other, "neighbour"))
    from gridgov.mediation.views import list_disputes

    seen = list_disputes(session, me, limit=200)
    assert seen and all(
        session.get(Dispute, d.id).division_path.startswith(mine.path)  # type: ignore[union-attr]
        for d in seen
    )
    assert theirs.id not in [d.id for d in seen]


def test_the_demo_has_disputes_in_every_stage(session: Session) -> None:
    stages = set(session.scalars(select(Dispute.stage).distinct()))
    assert {s.value for s in Stage} - {Stage.NEW.value} <= stages


def test_the_api_masks_parties_and_names_the_bad_field(
    app_client: TestClient, login: Login, session: Session, mediator: tuple[Principal, Division]
) -> None:
    _actor, community = mediator
    headers = login(f"cs_{community.code}")
    body = {
        "dispute_type": "consumer",
        "title": "预付卡退费",
        "division_code": community.code,
        "amount": "4800",
        "parties": [
            {"role": "applicant", "name": "王小芳", "phone": PHONE, "id_number": ID_NUMBER},
            {"role": "respondent", "kind": "entity", "name": "深圳市福景餐饮管理有限公司"},
        ],
    }
    r = app_client.post("/api/mediation/disputes", json=body, headers=headers)
    assert r.status_code == 201, r.text
    shown = r.json()
    assert [p["name"] for p in shown["parties"]] == ["王**", "深圳市******有限公司"]
    assert PHONE not in r.text and ID_NUMBER not in r.text and "王小芳" not in r.text
    assert shown["allowed"] == [{"value": "assign", "label": "分派"}]
    bad = app_client.post("/api/mediation/disputes", json=body | {"dispute_type": "alien"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "dispute_type"
    assert "纠纷类型" in bad.json()["error"]["message"]
    wrong = app_client.post(f"/api/mediation/disputes/{shown['id']}/close", headers=headers)
    assert wrong.status_code == 409 and wrong.json()["error"]["allowed"] == ["assign"]
    lists = app_client.get("/api/mediation/disputes", params={"stage": "accepted"}, headers=headers).json()
    assert shown["id"] in [d["id"] for d in lists]


def test_the_task_sweep_warns_and_raises_overdue_tasks_one_tier_up(
    session: Session, mediator: tuple[Principal, Division]
) -> None:
    actor, community = mediator
    dispute = one_action(register_dispute, session, actor, _command(community, "family"))
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    tasks = session.scalars(select(DisputeTask).where(DisputeTask.dispute_id == dispute.id)).all()
    warn, due = tasks[0].warn_at, tasks[0].deadline_at
    counts = one_action(assignment.sweep_tasks, session, warn + (due - warn) / 2)
    assert counts["yellow"] >= len(tasks)
    for t in tasks:
        session.refresh(t)
        assert t.sla_state == "yellow" and t.escalated_to_id is None
    counts = one_action(assignment.sweep_tasks, session, due + timedelta(minutes=1))
    assert counts["red"] >= len(tasks)
    street = session.get(Division, community.parent_id)
    assert street is not None
    for t in tasks:
        session.refresh(t)
        agency = session.get(MediationAgency, t.agency_id)
        assert agency is not None and t.sla_state == "red"
        if agency.division_id == street.id:
            assert t.escalated_to_id == street.parent_id  # a street agency's overdue task goes to the district
        else:
            assert t.escalated_to_id is None  # a district agency (the court) has no tier above it
    escalations = session.scalars(select(AuditLog.entity_id).where(AuditLog.action == "mediation.task_escalate")).all()
    assert {str(t.id) for t in tasks} <= set(escalations)


def test_the_task_sweep_runs_in_the_apps_periodic_worker(
    engine: Engine, settings: Settings, session: Session, mediator: tuple[Principal, Division]
) -> None:
    from gridgov.app import create_app
    from gridgov.db import session_factory
    from gridgov.mediation.worker import TaskSweeper

    beat = settings.model_copy(update={"sla_sweep_seconds": 30})
    app = create_app(beat, engine, sweeper=True, warm=False)
    assert isinstance(app.state.mediation_sweeper, TaskSweeper)
    assert app.state.mediation_sweeper.interval == 30  # on the SLA sweeper's beat
    assert create_app(settings, engine, sweeper=False, warm=False).state.mediation_sweeper.interval == 0

    actor, community = mediator
    dispute = one_action(register_dispute, session, actor, _command(community, "family"))
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    tasks = session.scalars(select(DisputeTask).where(DisputeTask.dispute_id == dispute.id)).all()
    past = utcnow() - timedelta(hours=1)
    for t in tasks:
        t.warn_at, t.deadline_at = past - timedelta(hours=1), past
    session.commit()
    worker = TaskSweeper(session_factory(engine, settings), 0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.expire_all()
            if all(session.get(DisputeTask, t.id).sla_state == "red" for t in tasks):  # type: ignore[union-attr]
                break
            time.sleep(0.05)
    finally:
        worker.stop()
    assert all(t.sla_state == "red" for t in tasks) and worker.last is not None
