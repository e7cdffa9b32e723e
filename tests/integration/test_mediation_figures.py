"""Mediation figures per centre and mediator (success rate, time to agreement, judicial confirmations, referrals by
destination), scoped to the caller and exportable as CSV and Excel; the high-risk disputes for the leader's screen
with the explanation of each flag; the follow-up visit scheduled when an outcome is reached."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.mediation import assignment, services
from gridgov.mediation.channel import submit_dispute
from gridgov.mediation.figures import Fact, summarize
from gridgov.mediation.models import Dispute
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import PartyKind, PartyRole, Source
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_the_figures_add_up_per_key() -> None:
    facts = [
        Fact(1, T0, T0 + timedelta(days=2), False, True, None),
        Fact(1, T0, T0 + timedelta(days=4), False, False, None),
        Fact(1, T0, None, True, False, "litigation"),
        Fact(2, T0, None, True, False, "arbitration"),
        Fact(None, T0, None, False, False, None),
    ]
    rows, total = summarize(facts, {1: "福田街道调解中心", 2: "沙头街道调解中心"})
    first = rows[0].as_dict()
    assert first["name"] == "福田街道调解中心" and first["registered"] == 3
    assert first["success_rate"] == round(2 / 3, 4) and first["mean_days_to_agreement"] == 3.0
    assert first["confirmed"] == 1 and first["referrals"]["litigation"] == 1 and first["referrals"]["petition"] == 0
    named = {r.name: r for r in rows}
    assert named["沙头街道调解中心"].success_rate == 0.0 and named["未分派"].success_rate is None
    assert total.registered == 5 and total.agreed == 2 and total.failed == 2 and total.success_rate == 0.5
    assert total.referrals == {"litigation": 1, "arbitration": 1}


def _district_of(session: Session, community: Division) -> Division:
    street = session.get(Division, community.parent_id)
    assert street is not None
    district = session.get(Division, street.parent_id)
    assert district is not None
    return district


def test_the_leader_sees_his_areas_figures_and_exports_them(
    app_client: TestClient, login: Login, session: Session
) -> None:
    community = session.get(
        Division, session.scalars(select(User.division_id).where(User.role == "community_staff")).first()
    )
    assert community is not None
    district = _district_of(session, community)
    headers = login(f"ldr_{district.code}")
    r = app_client.get("/api/mediation/figures", params={"by": "centre"}, headers=headers)
    assert r.status_code == 200, r.text
    data = r.json()
    mine = session.scalar(
        select(func.count()).select_from(Dispute).where(Dispute.division_path.startswith(district.path))
    )
    assert data["total"]["registered"] == mine and sum(x["registered"] for x in data["rows"]) == mine
    agreed = session.scalar(
        select(func.count())
        .select_from(Dispute)
        .where(Dispute.division_path.startswith(district.path), Dispute.agreed_at.is_not(None))
    )
    assert data["total"]["agreed"] == agreed and data["total"]["success_rate"] is not None
    assert data["total"]["confirmed"] >= 1 and sum(data["total"]["referrals"].values()) >= 1  # the demo's stories
    by_mediator = app_client.get("/api/mediation/figures", params={"by": "mediator"}, headers=headers).json()
    assert by_mediator["total"]["registered"] == mine and any("调解员" in x["name"] for x in by_mediator["rows"])

    csv = app_client.get("/api/mediation/figures.csv", headers=headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("调解中心,受理,达成协议,未达成,调解成功率")
    assert text.splitlines()[-1].startswith(f"合计,{mine},")
    xlsx = app_client.get("/api/mediation/figures.xlsx", params={"by": "mediator"}, headers=headers)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "调解员" and cells[-1][:2] == ["合计", mine]
    bad = app_client.get("/api/mediation/figures.pdf", headers=headers)
    assert bad.status_code == 404 and bad.json()["error"]["field"] == "fmt"
    assert app_client.get("/api/mediation/figures", params={"by": "street"}, headers=headers).status_code == 422


def test_high_risk_disputes_reach_the_leaders_screen_with_their_explanation(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    community = session.get(
        Division, session.scalars(select(User.division_id).where(User.role == "community_staff")).first()
    )
    assert community is not None
    actor = people.user(f"cs_{community.code}")
    cmd = DisputeIn(
        dispute_type="debt",
        title="欠款十二万不还",
        description="对方扬言要同归于尽，还持刀到家门口",
        amount=Decimal(120000),
        source=Source.WALK_IN,
        division_code=community.code,
        parties=(
            PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "张某某", None, None),
            PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, "李某某", None, None),
        ),
    )
    dispute = one_action(submit_dispute, session, actor, cmd)
    assert dispute.risk_level == "high"
    shown = app_client.get("/api/mediation/high-risk", headers=login(f"ldr_{_district_of(session, community).code}"))
    assert shown.status_code == 200
    found = next(d for d in shown.json() if d["id"] == dispute.id)
    explanations = " ".join(f["explanation"] for f in found["flags"])
    assert "同归于尽" in explanations and "持刀" in explanations and "大额欠款" in {f["label"] for f in found["flags"]}
    assert all(d["risk_score"] >= 3 for d in shown.json())

    # the follow-up visit is scheduled when the outcome is reached (15 days on)
    now = utcnow()
    one_action(assignment.assign_dispute, session, actor, dispute.id, None, now)
    one_action(services.hold_session, session, actor, dispute.id, now, "双方到场", None, now)
    agreed = one_action(services.agree, session, actor, dispute.id, "分三期还款", now)
    assert agreed.follow_up_due is not None and agreed.follow_up_due - now == timedelta(days=15)


def test_an_unknown_stage_filter_names_the_field(app_client: TestClient, login: Login, session: Session) -> None:
    community = session.scalars(select(User.division_id).where(User.role == "community_staff")).first()
    found = session.get(Division, community)
    assert found is not None
    r = app_client.get("/api/mediation/disputes", params={"stage": "-shm"}, headers=login(f"cs_{found.code}"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "stage" and "accepted" in r.json()["error"]["message"]
