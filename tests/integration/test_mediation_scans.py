"""Signed scans on a dispute go through the dispatch context's safe upload path: the photo's EXIF position is gone,
HTML behind an image header is refused, the scan is served as a download the browser may not sniff; it is listed on
the dispute, only within the dispute's scope, and its upload and reading are audited."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.events import DomainEvent
from gridgov.common.uow import one_action
from gridgov.mediation.models import DisputeScan
from gridgov.mediation.parties import PartyData
from gridgov.mediation.registration import DisputeIn, register_dispute
from gridgov.mediation.rules import PartyKind, PartyRole
from gridgov.org.models import Division, User
from integration.test_mediation_documents import _agreed
from integration.test_upload_safety import GPS, MAKE, _jpeg_with_gps
from support import People

Login = Callable[[str], dict[str, str]]


def _post(client: TestClient, headers: dict[str, str], dispute_id: int, data: bytes, kind: str = "agreement") -> Any:
    files = {"file": ("signed.jpg", data, "image/jpeg")}
    return client.post(
        f"/api/mediation/disputes/{dispute_id}/scans",
        headers=headers,
        files=files,
        data={"kind": kind, "note": "双方签字"},
    )


def test_a_signed_agreement_scan_is_cleaned_listed_served_as_a_download_and_audited(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    dispute_id, username = _agreed(session, people)
    headers = login(username)
    data = _jpeg_with_gps()
    r = app_client.post(
        f"/api/mediation/disputes/{dispute_id}/scans",
        headers=headers,
        files={"file": ("signed.jpg", data, "image/jpeg")},
        data={"kind": "agreement", "note": "双方签字"},
    )
    assert r.status_code == 201, r.text
    scan = r.json()
    assert scan["kind"] == "agreement" and scan["kind_label"] == "调解协议书（签字版）"
    assert scan["content_type"] == "image/jpeg" and scan["note"] == "双方签字"

    detail = app_client.get(f"/api/mediation/disputes/{dispute_id}", headers=headers).json()
    assert [s["id"] for s in detail["scans"]] == [scan["id"]]
    listed = app_client.get(f"/api/mediation/disputes/{dispute_id}/scans", headers=headers).json()
    assert [s["id"] for s in listed] == [scan["id"]]

    got = app_client.get(f"/api/mediation/disputes/{dispute_id}/scans/{scan['id']}", headers=headers)
    assert got.status_code == 200
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")  # never shown inline
    published = Image.open(io.BytesIO(got.content))
    assert not published.getexif().get_ifd(GPS) and MAKE not in published.getexif()
    assert b"PhoneCam" not in got.content

    audited = session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(dispute_id))).all()
    assert "mediation.scan_upload" in audited and "mediation.scan_read" in audited
    assert session.scalar(
        select(DomainEvent.id).where(
            DomainEvent.name == "mediation.scan_attached", DomainEvent.aggregate_id == dispute_id
        )
    )


def test_scans_are_refused_when_unsafe_out_of_scope_or_before_agreement(
    app_client: TestClient, login: Login, session: Session, people: People
) -> None:
    dispute_id, username = _agreed(session, people)
    headers = login(username)
    before = session.query(DisputeScan).count()
    html = b"\xff\xd8\xff\xe0<!doctype html><script>alert(1)</script>"
    r = _post(app_client, headers, dispute_id, html)
    assert r.status_code == 422 and r.json()["error"]["field"] == "file"
    r = _post(app_client, headers, dispute_id, _jpeg_with_gps(), kind="selfie")
    assert r.status_code == 422 and r.json()["error"]["field"] == "kind"
    assert "agreement" in r.json()["error"]["message"]

    staffed = session.scalars(select(User.division_id).where(User.role == "community_staff")).all()
    other = session.get(Division, staffed[0])
    assert other is not None
    stranger = login(f"cs_{other.code}")
    r = _post(app_client, stranger, dispute_id, _jpeg_with_gps())
    assert r.status_code == 404
    assert app_client.get(f"/api/mediation/disputes/{dispute_id}/scans", headers=stranger).status_code == 404

    actor = people.user(f"cs_{other.code}")
    early = one_action(
        register_dispute,
        session,
        actor,
        DisputeIn(
            dispute_type="neighbour",
            title="噪音",
            division_code=other.code,
            parties=(
                PartyData(PartyRole.APPLICANT, PartyKind.PERSON, "甲某某"),
                PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, "乙某某"),
            ),
        ),
    )
    r = _post(app_client, stranger, early.id, _jpeg_with_gps())
    assert r.status_code == 409 and "尚未达成协议" in r.json()["error"]["message"]
    r = _post(app_client, stranger, early.id, _jpeg_with_gps(), kind="other")  # other signed papers: any stage
    assert r.status_code == 201
    assert session.query(DisputeScan).count() == before + 1
    missing = app_client.get(f"/api/mediation/disputes/{early.id}/scans/999999", headers=stranger)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "scan_id"
