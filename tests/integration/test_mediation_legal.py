"""Public legal service: one adviser per community with duty hours (demo data); a resident books a consultation or
applies for legal aid without an account (rate-limited per source and phone, name and phone encrypted and masked,
followed up by number and token only); the adviser answers or meets them; a consultation turns into a mediation case
through the dispute channel; steps out of order are refused with the allowed ones; scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.errors import IllegalTransition, NotFound
from gridgov.common.uow import one_action
from gridgov.mediation import legal_service
from gridgov.mediation.legal_service import ConsultationStatus, check_step
from gridgov.mediation.models import Dispute, LegalAdviser, LegalConsultation
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
PHONE = "13577778888"


def _community(session: Session, index: int = 0) -> Division:
    ids = session.scalars(select(User.division_id).where(User.role == "community_staff").order_by(User.id)).all()
    found = session.get(Division, ids[index])
    assert found is not None
    return found


def _book(client: TestClient, community: Division, phone: str = PHONE, **extra: object) -> dict[str, str]:
    body = {
        "kind": "consult",
        "community_code": community.code,
        "name": "诸葛晓燕",
        "phone": phone,
        "question": f"房东不退押金怎么办？我的电话 {phone}",
    } | extra
    r = client.post("/api/public/legal/consultations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_every_demo_community_has_one_adviser_with_duty_hours(session: Session, app_client: TestClient) -> None:
    communities = session.scalar(select(func.count()).select_from(Division).where(Division.level == "community"))
    advisers = session.scalars(select(LegalAdviser)).all()
    assert len(advisers) == communities and len({a.community_id for a in advisers}) == communities
    listed = app_client.get("/api/public/legal/advisers", params={"community_code": _community(session).code})
    assert listed.status_code == 200
    [one] = listed.json()
    assert one["adviser"].endswith("法律顾问") and one["duty_hours"].startswith("每周")
    missing = app_client.get("/api/public/legal/advisers", params={"community_code": "440304999999"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "community_code"


def test_a_resident_books_and_reads_the_answer_with_the_token_only(
    app_client: TestClient, login: Login, session: Session
) -> None:
    community = _community(session)
    receipt = _book(app_client, community, preferred_at=None)
    assert receipt["number"].startswith("FZ") and receipt["duty_hours"].startswith("每周")
    row = session.scalar(select(LegalConsultation).where(LegalConsultation.number == receipt["number"]))
    assert row is not None
    assert row.name_masked == "诸***" and row.phone_masked == "135****8888"
    assert "诸葛晓燕" not in row.name_enc and PHONE not in row.phone_enc and PHONE not in row.question
    assert receipt["token"] not in row.token_digest
    follow = f"/api/public/legal/consultations/{receipt['number']}"
    assert app_client.get(follow, params={"token": "x" * 32}).status_code == 404
    assert app_client.get(follow, params={"token": receipt["token"]}).json()["status"] == "submitted"

    headers = login(f"cs_{community.code}")
    listed = app_client.get("/api/mediation/consultations", params={"status": "submitted"}, headers=headers).json()
    mine = next(c for c in listed if c["number"] == receipt["number"])
    assert mine["name"] == "诸***" and PHONE not in str(mine)
    early = app_client.post(
        f"/api/mediation/consultations/{mine['id']}/convert",
        json={"dispute_type": "tenancy", "respondent": "房东"},
        headers=headers,
    )
    assert early.status_code == 409 and early.json()["error"]["allowed"] == ["answer"]
    answered = app_client.post(
        f"/api/mediation/consultations/{mine['id']}/answer",
        json={"mode": "answered", "answer": "可先协商，协商不成可申请人民调解"},
        headers=headers,
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    shown = app_client.get(follow, params={"token": receipt["token"]}).json()
    assert shown["status_label"] == "已线上答复" and "人民调解" in shown["answer"]

    converted = app_client.post(
        f"/api/mediation/consultations/{mine['id']}/convert",
        json={"dispute_type": "tenancy", "respondent": "房东"},
        headers=headers,
    )
    assert converted.status_code == 201, converted.text
    dispute = session.get(Dispute, converted.json()["dispute_id"])
    assert dispute is not None and dispute.source == "consultation" and dispute.source_event_id is not None
    assert dispute.division_id == community.id and dispute.parties[0].phone_masked == "135****8888"


def test_bookings_are_rate_limited_per_phone(app_client: TestClient, session: Session) -> None:
    community = _community(session)
    for _ in range(3):
        _book(app_client, community, phone="13400001111")
    r = app_client.post(
        "/api/public/legal/consultations",
        json={
            "kind": "legal_aid",
            "community_code": community.code,
            "name": "甲",
            "phone": "13400001111",
            "question": "q",
        },
    )
    assert r.status_code == 429


def test_bad_bookings_name_the_field(app_client: TestClient, session: Session) -> None:
    community = _community(session)
    base = {
        "kind": "legal_aid",
        "community_code": community.code,
        "name": "甲",
        "phone": "13600002222",
        "question": "欠薪",
    }
    for change, field in (
        ({"phone": "12345"}, "phone"),
        ({"kind": "gossip"}, "kind"),
        ({"community_code": "440304999999"}, "community_code"),
        ({"preferred_at": "2020-01-01T09:00:00+08:00"}, "preferred_at"),
        ({"preferred_at": "2030-01-01T09:00:00"}, "preferred_at"),  # no time zone: refused, not guessed
    ):
        r = app_client.post("/api/public/legal/consultations", json=base | change)
        assert r.status_code == 422, (change, r.text)
        assert field in (r.json()["error"].get("field") or ""), r.json()


def test_the_steps_are_refused_out_of_order_and_scoped(session: Session, people: People) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_step("answer", ConsultationStatus.CONVERTED)
    assert refused.value.extra["allowed"] == []
    mine, other = _community(session, 0), _community(session, 1)
    number, _token = one_action(
        legal_service.book,
        session,
        people.user(f"cs_{other.code}"),
        legal_service.BookingIn("consult", other.code, "王五", "13811112222", "咨询继承"),
    )
    row = session.scalar(select(LegalConsultation).where(LegalConsultation.number == number))
    assert row is not None
    with pytest.raises(NotFound):
        one_action(legal_service.answer, session, people.user(f"cs_{mine.code}"), row.id, "met", "已约见")
    met = one_action(legal_service.answer, session, people.user(f"cs_{other.code}"), row.id, "met", "已约见面谈")
    assert met.status == "met"
    with pytest.raises(IllegalTransition):
        one_action(legal_service.answer, session, people.user(f"cs_{other.code}"), row.id, "answered", "再答")
