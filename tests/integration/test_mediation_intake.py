"""Disputes enter through the intake port, one source at a time: a walk-in, a 12345 order, a police or court
referral each file a case on the dispute (or hotline) channel with the dispute type's 小类 and no party data; a report
already classified as a dispute is referred without a second case; the HTTP route goes the same way."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.errors import InvalidInput
from gridgov.common.principal import Principal
from gridgov.common.uow import one_action
from gridgov.dispatch import intake
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Channel, Event
from gridgov.mediation.channel import refer_case, submit_dispute
from gridgov.mediation.models import Dispute
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import PartyKind, PartyRole, Source, Stage
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
PHONE = "13923456789"
NAME = "欧阳春梅"


def _community_and_grid(session: Session) -> tuple[Division, Division]:
    staffed = session.scalars(select(User.division_id).where(User.role == "community_staff").order_by(User.id)).all()
    community = session.get(Division, staffed[0])
    assert community is not None
    grid = session.scalar(select(Division).where(Division.parent_id == community.id, Division.level == "grid"))
    assert grid is not None
    return community, grid


def _cmd(place: Division, source: Source, kind: str = "neighbour", **extra: object) -> DisputeIn:
    return DisputeIn(
        dispute_type=kind,
        title="楼上漏水纠纷",
        description=f"楼上漏水到楼下，{NAME}电话 {PHONE}",
        amount=Decimal(3000),
        source=source,
        division_code=place.code,
        parties=(
            PartyData(PartyRole.APPLICANT, PartyKind.PERSON, NAME, None, PHONE),
            PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, "司马大伟", None, None),
        ),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def staff(session: Session, people: People) -> tuple[Principal, Division, Division]:
    community, grid = _community_and_grid(session)
    return people.user(f"cs_{community.code}"), community, grid


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        (Source.WALK_IN, Channel.DISPUTE),
        (Source.HOTLINE, Channel.HOTLINE),
        (Source.POLICE, Channel.DISPUTE),
        (Source.COURT, Channel.DISPUTE),
    ],
)
def test_a_new_dispute_files_its_case_through_the_intake_port(
    session: Session, staff: tuple[Principal, Division, Division], source: Source, channel: Channel
) -> None:
    actor, _community, grid = staff
    before = _events(session)
    dispute = one_action(submit_dispute, session, actor, _cmd(grid, source))
    assert _events(session) == before + 1
    case = session.get(Event, dispute.source_event_id)
    assert case is not None and case.channel == channel.value
    assert case.grid_id == grid.id and dispute.division_id == grid.id
    category = session.get(EventCategory, case.category_id)
    assert category is not None and category.code == "07002"  # 邻里纠纷, from the dispute type's data
    assert case.origin == {"dispute_type": "neighbour", "source": source.value, "amount": "3000"}
    shown = f"{case.title}{case.description}{case.origin}"
    assert NAME not in shown and PHONE not in shown and "司马大伟" not in shown  # parties stay with the dispute
    assert dispute.source == source.value and dispute.stage == Stage.ACCEPTED.value


def test_a_dispute_named_by_community_is_filed_unplaced_by_grid_but_in_its_community(
    session: Session, staff: tuple[Principal, Division, Division]
) -> None:
    actor, community, _grid = staff
    dispute = one_action(submit_dispute, session, actor, _cmd(community, Source.WALK_IN, "family"))
    case = session.get(Event, dispute.source_event_id)
    assert case is not None and case.division_path.startswith(community.path)
    assert dispute.division_id == community.id


def test_a_report_classified_as_a_dispute_is_referred_without_a_second_case(
    session: Session, staff: tuple[Principal, Division, Division]
) -> None:
    actor, _community, grid = staff
    report = IntakeCommand(
        title="邻居家狗天天叫", channel=Channel.GRID_PATROL, category_code="07002", grid_code=grid.code
    )
    case_id = one_action(intake.submit, session, actor, report).event_id
    before = _events(session)
    referred = DisputeIn(
        dispute_type="",
        title="养犬扰民",
        parties=_cmd(grid, Source.WALK_IN).parties,
    )
    dispute = one_action(refer_case, session, actor, case_id, referred)
    assert _events(session) == before  # it came through the port already
    assert dispute.source_event_id == case_id and dispute.source == Source.CASE_REFERRAL.value
    assert dispute.dispute_type == "neighbour"  # from the case's 小类 (07002 邻里纠纷)
    assert dispute.division_id == grid.id  # the case's own place


def test_a_referral_of_an_unknown_case_names_the_field(
    session: Session, staff: tuple[Principal, Division, Division]
) -> None:
    actor, _community, grid = staff
    with pytest.raises(InvalidInput) as refused:
        one_action(refer_case, session, actor, 10**9, _cmd(grid, Source.WALK_IN))
    assert refused.value.field == "source_event_id"


def test_a_case_outside_the_callers_area_cannot_be_referred(
    session: Session, people: People, staff: tuple[Principal, Division, Division]
) -> None:
    """Referring hands the case to mediation: a community's staff may refer only a case they may see."""
    actor, community, _grid = staff
    elsewhere = session.scalars(
        select(Division)
        .where(Division.level == "grid", ~Division.path.startswith(community.path))
        .order_by(Division.id)
    ).first()
    assert elsewhere is not None
    report = IntakeCommand(
        title="别处的邻里纠纷", channel=Channel.GRID_PATROL, category_code="07002", grid_code=elsewhere.code
    )
    case_id = one_action(intake.submit, session, people.user("admin"), report).event_id
    disputes = session.scalar(select(func.count()).select_from(Dispute))
    with pytest.raises(InvalidInput) as refused:
        one_action(refer_case, session, actor, case_id, _cmd(elsewhere, Source.WALK_IN))
    assert refused.value.field == "source_event_id"
    assert session.scalar(select(func.count()).select_from(Dispute)) == disputes


def test_a_refused_dispute_files_no_case(session: Session, staff: tuple[Principal, Division, Division]) -> None:
    actor, _community, grid = staff
    before = _events(session)
    lonely = DisputeIn(dispute_type="neighbour", title="只有一方", division_code=grid.code, parties=())
    with pytest.raises(InvalidInput):
        one_action(submit_dispute, session, actor, lonely)
    assert _events(session) == before


def test_the_api_registers_a_dispute_through_the_port(
    app_client: TestClient, login: Login, session: Session, staff: tuple[Principal, Division, Division]
) -> None:
    _actor, community, grid = staff
    body = {
        "dispute_type": "tenancy",
        "title": "押金不退",
        "source": "hotline_12345",
        "division_code": grid.code,
        "parties": [{"role": "applicant", "name": NAME, "phone": PHONE}, {"role": "respondent", "name": "房东"}],
    }
    r = app_client.post("/api/mediation/disputes", json=body, headers=login(f"cs_{community.code}"))
    assert r.status_code == 201, r.text
    dispute = session.get(Dispute, r.json()["id"])
    assert dispute is not None and dispute.source_event_id is not None
    case = session.get(Event, dispute.source_event_id)
    assert case is not None and case.channel == Channel.HOTLINE.value
    assert r.json()["source_case"] == case.number  # the detail names the case filed through the port


def test_the_api_refers_a_classified_report_with_the_type_from_its_category(
    app_client: TestClient, login: Login, session: Session, staff: tuple[Principal, Division, Division]
) -> None:
    actor, community, grid = staff
    report = IntakeCommand(title="房东不退押金", channel=Channel.PHOTO, category_code="07007", grid_code=grid.code)
    case_id = one_action(intake.submit, session, actor, report).event_id
    before = _events(session)
    body = {
        "title": "押金纠纷（事件转办）",
        "source_event_id": case_id,
        "parties": [{"role": "applicant", "name": NAME, "phone": PHONE}, {"role": "respondent", "name": "房东"}],
    }
    r = app_client.post("/api/mediation/disputes", json=body, headers=login(f"cs_{community.code}"))
    assert r.status_code == 201, r.text
    assert r.json()["dispute_type"] == "tenancy" and r.json()["source"] == "case_referral"
    assert _events(session) == before
    bad = app_client.post(
        "/api/mediation/disputes", json=body | {"source_event_id": None}, headers=login(f"cs_{community.code}")
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "dispute_type"
