"""访前甄别: a visit or letter registered, screened by a lawyer (legal route, mediation offered — a dispute through the
intake port —, or referred) and followed up; steps out of order refused with the allowed ones listed; the petitioner
masked and encrypted; scope; the HTTP routes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.errors import IllegalTransition, InvalidInput, NotFound
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.dispatch.models import Event
from gridgov.mediation import petition
from gridgov.mediation.models import Dispute, Mediator, PetitionScreening
from gridgov.mediation.petition import PetitionIn, PetitionStatus, ScreenIn, check_step
from gridgov.mediation.rules import MediatorKind
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
PHONE = "13655556666"


def _communities(session: Session) -> list[Division]:
    ids = session.scalars(select(User.division_id).where(User.role == "community_staff").order_by(User.id)).all()
    return [d for d in (session.get(Division, i) for i in ids[:2]) if d is not None]


def _adviser(session: Session, community: Division) -> Mediator:
    found = session.scalar(
        select(Mediator).where(Mediator.division_id == community.id, Mediator.kind == MediatorKind.ADVISER.value)
    )
    assert found is not None
    return found


@pytest.fixture
def staff(session: Session, people: People) -> tuple[Principal, Division]:
    community = _communities(session)[0]
    return people.user(f"cs_{community.code}"), community


def _register(session: Session, actor: Principal, community: Division) -> PetitionScreening:
    cmd = PetitionIn("visit", "上官红英", "小区旧改补偿不公，准备到区里上访，电话 " + PHONE, community.code, PHONE)
    return one_action(petition.register_petition, session, actor, cmd)


def test_the_steps_are_a_table_and_out_of_order_is_refused_with_the_allowed_listed() -> None:
    assert check_step("screen", PetitionStatus.PENDING) == PetitionStatus.SCREENED
    assert check_step("follow_up", PetitionStatus.SCREENED) == PetitionStatus.FOLLOWED_UP
    with pytest.raises(IllegalTransition) as refused:
        check_step("follow_up", PetitionStatus.PENDING)
    assert refused.value.extra["allowed"] == ["screen"] and "律师甄别" in refused.value.message


def test_a_visit_screened_to_the_legal_route_and_followed_up(
    session: Session, staff: tuple[Principal, Division]
) -> None:
    actor, community = staff
    row = _register(session, actor, community)
    assert row.number.startswith("FQ") and row.status == "pending"
    assert row.name_masked == "上***" and "上官红英" not in row.name_enc and PHONE not in row.matter
    with pytest.raises(IllegalTransition):
        one_action(petition.follow_up_petition, session, actor, row.id, "回访", True)
    lawyer = _adviser(session, community)
    advice = ScreenIn("legal_route", lawyer.id, "补偿争议属行政裁决事项，指导申请行政复议")
    screened = one_action(petition.screen_petition, session, actor, row.id, advice)
    assert screened.status == "screened" and screened.lawyer_id == lawyer.id and screened.follow_up_due is not None
    done = one_action(petition.follow_up_petition, session, actor, row.id, "已申请复议，未上访", True)
    assert done.status == "followed_up" and done.resolved is True
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "petition_screening", AuditLog.entity_id == str(row.id))
        .order_by(AuditLog.id)
    ).all()
    assert list(actions) == ["mediation.petition_register", "mediation.petition_screen", "mediation.petition_follow_up"]


def test_mediation_offered_registers_a_dispute_through_the_intake_port(
    session: Session, staff: tuple[Principal, Division]
) -> None:
    actor, community = staff
    row = _register(session, actor, community)
    lawyer = _adviser(session, community)
    offer = ScreenIn("mediation", lawyer.id, "属物业纠纷，可人民调解", dispute_type="property", respondent="某物业公司")
    screened = one_action(petition.screen_petition, session, actor, row.id, offer)
    dispute = session.get(Dispute, screened.dispute_id)
    assert dispute is not None and dispute.source == "screening" and dispute.dispute_type == "property"
    assert dispute.source_event_id is not None and session.get(Event, dispute.source_event_id) is not None
    assert [p.role for p in dispute.parties] == ["applicant", "respondent"]
    assert dispute.parties[0].name_masked == "上***" and dispute.parties[0].phone_masked == "136****6666"


def test_the_screening_names_what_is_missing(session: Session, staff: tuple[Principal, Division]) -> None:
    actor, community = staff
    row = _register(session, actor, community)
    lawyer = _adviser(session, community)
    with pytest.raises(InvalidInput) as refused:
        one_action(petition.screen_petition, session, actor, row.id, ScreenIn("referred", lawyer.id, "移交"))
    assert refused.value.field == "referred_to"
    with pytest.raises(InvalidInput) as refused:
        one_action(petition.screen_petition, session, actor, row.id, ScreenIn("mediation", lawyer.id, "调解"))
    assert refused.value.field == "respondent"
    people_mediator = session.scalar(
        select(Mediator).where(Mediator.division_id == community.id, Mediator.kind == MediatorKind.PEOPLE.value)
    )
    assert people_mediator is not None
    with pytest.raises(InvalidInput) as refused:
        one_action(petition.screen_petition, session, actor, row.id, ScreenIn("legal_route", people_mediator.id, "x"))
    assert refused.value.field == "lawyer_id"  # screened by a lawyer or the community's legal adviser
    with pytest.raises(InvalidInput) as refused:
        one_action(petition.screen_petition, session, actor, row.id, ScreenIn("pray", lawyer.id, "x"))
    assert refused.value.field == "outcome" and "legal_route" in refused.value.message
    session.refresh(row)
    assert row.status == "pending"  # nothing half-written


def test_a_community_sees_only_its_own(session: Session, people: People) -> None:
    mine, other = _communities(session)
    me, them = people.user(f"cs_{mine.code}"), people.user(f"cs_{other.code}")
    theirs = _register(session, them, other)
    with pytest.raises(NotFound):
        one_action(petition.follow_up_petition, session, me, theirs.id, "x", True)
    with pytest.raises(InvalidInput):
        _register(session, me, other)
    assert theirs.id not in [r["id"] for r in petition.list_petitions(session, me, None, 200)]


def test_the_api_registers_screens_and_follows_up(
    app_client: TestClient, login: Login, session: Session, staff: tuple[Principal, Division]
) -> None:
    _actor, community = staff
    headers = login(f"cs_{community.code}")
    body = {"channel": "letter", "name": "欧阳明", "matter": "反映欠薪", "division_code": community.code}
    r = app_client.post("/api/mediation/petitions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["name"] == "欧**" and made["allowed"] == [{"value": "screen", "label": "律师甄别"}]
    early = app_client.post(
        f"/api/mediation/petitions/{made['id']}/follow-up", json={"note": "x", "resolved": True}, headers=headers
    )
    assert early.status_code == 409 and early.json()["error"]["allowed"] == ["screen"]
    lawyer = _adviser(session, community)
    screen = {"outcome": "referred", "lawyer_id": lawyer.id, "advice": "属劳动监察", "referred_to": "区劳动监察大队"}
    r = app_client.post(f"/api/mediation/petitions/{made['id']}/screen", json=screen, headers=headers)
    assert r.status_code == 200 and r.json()["outcome_label"] == "移交有权处理机关"
    r = app_client.post(
        f"/api/mediation/petitions/{made['id']}/follow-up",
        json={"note": "已立案查处", "resolved": True},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "followed_up"
    listed = app_client.get("/api/mediation/petitions", params={"status": "followed_up"}, headers=headers).json()
    assert made["id"] in [x["id"] for x in listed]
    bad = app_client.post("/api/mediation/petitions", json=body | {"channel": "fax"}, headers=headers)
    assert bad.status_code == 422
