"""The agreement (调解协议书) generated as PDF and DOCX carries the parties and the agreed terms: the test reads the
PDF's text back (pypdf) and the DOCX's XML; before agreement there is no document; each generation is audited."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import docx
import pypdf
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.mediation import assignment, services
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn, register_dispute
from gridgov.mediation.rules import PartyKind, PartyRole
from gridgov.org.models import Division, User
from support import People

Login = Callable[[str], dict[str, str]]
TERMS = "一、深圳市鹏安物业管理有限公司于2026年12月20日前维修漏水管道。\n二、赔偿业主周美玲损失人民币捌仟元。"


def _agreed(session: Session, people: People) -> tuple[int, str]:
    community = session.get(
        Division, session.scalars(select(User.division_id).where(User.role == "community_staff")).all()[2]
    )
    assert community is not None
    actor = people.user(f"cs_{community.code}")
    cmd = DisputeIn(
        dispute_type="property",
        title="管道漏水赔偿",
        description="公共管道漏水浸泡业主家具",
        division_code=community.code,
        parties=(
            PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "周美玲", "440304199001011234", "13512340000"),
            PartyData(PartyRole.RESPONDENT, PartyKind.ENTITY, "深圳市鹏安物业管理有限公司", None, None),
        ),
    )
    dispute = one_action(register_dispute, session, actor, cmd)
    one_action(assignment.assign_dispute, session, actor, dispute.id)
    one_action(services.hold_session, session, actor, dispute.id, utcnow(), "双方到场")
    one_action(services.agree, session, actor, dispute.id, TERMS)
    return dispute.id, f"cs_{community.code}"


def test_the_pdf_and_docx_carry_the_parties_and_terms(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    dispute_id, username = _agreed(session, people)
    headers = login(username)
    pdf = app_client.get(f"/api/mediation/disputes/{dispute_id}/agreement.pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    flat = "".join(text.split())
    for expected in (
        "人民调解协议书",
        "周美玲",
        "深圳市鹏安物业管理有限公司",
        "维修漏水管道",
        "赔偿业主周美玲损失人民币捌仟元",
    ):
        assert expected in flat, expected
    assert "440304199001011234" not in flat and "4403**********1234" in flat  # masked: the caller may not unmask

    word = app_client.get(f"/api/mediation/disputes/{dispute_id}/agreement.docx", headers=headers)
    assert word.status_code == 200, word.text
    xml = zipfile.ZipFile(io.BytesIO(word.content)).read("word/document.xml").decode("utf-8")
    for expected in ("周美玲", "深圳市鹏安物业管理有限公司", "维修漏水管道", "物业纠纷"):
        assert expected in xml, expected
    assert "{{" not in xml and "{%" not in xml  # every tag rendered
    rows = docx.Document(io.BytesIO(word.content)).tables[0].rows
    assert [c.text for c in rows[1].cells][:2] == ["申请人", "周美玲"]
    assert [c.text for c in rows[2].cells][:2] == ["被申请人", "深圳市鹏安物业管理有限公司"]

    audited = session.scalars(
        select(AuditLog.detail)
        .where(AuditLog.action == "mediation.document", AuditLog.entity_id == str(dispute_id))
        .order_by(AuditLog.seq)
    ).all()
    assert [d["format"] for d in audited] == ["pdf", "docx"]


def test_no_agreement_document_before_agreement_and_an_unknown_format_is_named(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    community = session.get(
        Division, session.scalars(select(User.division_id).where(User.role == "community_staff")).all()[2]
    )
    assert community is not None
    actor = people.user(f"cs_{community.code}")
    cmd = DisputeIn(
        dispute_type="neighbour",
        title="噪音",
        division_code=community.code,
        parties=(
            PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "甲某某"),
            PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, "乙某某"),
        ),
    )
    dispute = one_action(register_dispute, session, actor, cmd)
    headers = login(f"cs_{community.code}")
    early = app_client.get(f"/api/mediation/disputes/{dispute.id}/agreement.pdf", headers=headers)
    assert early.status_code == 409 and "尚未达成协议" in early.json()["error"]["message"]
    odd = app_client.get(f"/api/mediation/disputes/{dispute.id}/agreement.odt", headers=headers)
    assert odd.status_code == 422 and odd.json()["error"]["field"] == "format"
    early = app_client.get(f"/api/mediation/disputes/{dispute.id}/confirmation.docx", headers=headers)
    assert early.status_code == 409 and "司法确认申请书" in early.json()["error"]["message"]


def test_the_application_for_judicial_confirmation_carries_the_parties_terms_and_court(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    dispute_id, username = _agreed(session, people)
    headers = login(username)
    pdf = app_client.get(f"/api/mediation/disputes/{dispute_id}/confirmation.pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF") and "confirmation.pdf" in pdf.headers["content-disposition"]
    flat = "".join("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).split())
    for expected in (
        "司法确认申请书",
        "请求事项",
        "周美玲",
        "深圳市鹏安物业管理有限公司",
        "维修漏水管道",
        "赔偿业主周美玲损失人民币捌仟元",
        "福田区人民法院",  # the court of the dispute's district
        "申请人承诺",
    ):
        assert expected in flat, expected
    assert "人民调解协议书" in flat  # the agreement it asks to confirm is named (and attached)
    assert "440304199001011234" not in flat

    word = app_client.get(f"/api/mediation/disputes/{dispute_id}/confirmation.docx", headers=headers)
    assert word.status_code == 200, word.text
    xml = zipfile.ZipFile(io.BytesIO(word.content)).read("word/document.xml").decode("utf-8")
    for expected in ("司法确认申请书", "周美玲", "深圳市鹏安物业管理有限公司", "维修漏水管道", "福田区人民法院"):
        assert expected in xml, expected
    assert "{{" not in xml and "{%" not in xml
    rows = docx.Document(io.BytesIO(word.content)).tables[0].rows
    assert [c.text for c in rows[1].cells][:2] == ["申请人", "周美玲"]

    audited = session.scalars(
        select(AuditLog.detail)
        .where(AuditLog.action == "mediation.document", AuditLog.entity_id == str(dispute_id))
        .order_by(AuditLog.seq)
    ).all()
    assert [(d["document"], d["format"]) for d in audited] == [("confirmation", "pdf"), ("confirmation", "docx")]
