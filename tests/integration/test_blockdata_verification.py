"""自主申报 and 核查 through the real routes and services: a public declaration (checked, placed, idempotent, rate
limited, PII encrypted and masked) becomes a task of its grid's worker only; settling it confirms, corrects or
rejects (each audited, a settled task refused with nothing allowed); records not verified for their type's days
become tasks once; no declared ID or phone, and no reporter phone, reaches the database file in the clear."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from blockdata_support import buildings, new_id, new_phone
from gridgov.address.models import Address
from gridgov.blockdata import importing, verification
from gridgov.blockdata.models import PersonRecord, PhoneRecord, RoomRecord
from gridgov.blockdata.protect import phone_index
from gridgov.blockdata.verify_api import per_ip_declarations, per_phone_declarations
from gridgov.blockdata.verify_models import Declaration, VerificationTask
from gridgov.common.audit import AuditLog
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.config import Settings
from gridgov.db import session_factory
from gridgov.org.models import Division
from support import People

Login = Callable[[str], dict[str, str]]


@pytest.fixture(autouse=True)
def _roomy_source_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """All of this module's requests come from one test client address: the per-source limit is raised here (the
    per-phone limit, which the rate-limit test exercises, is kept)."""
    monkeypatch.setattr(per_ip_declarations, "limit", 10_000)


def _building(session: Session, index: int) -> tuple[Address, str]:
    b = buildings(session)[index]
    grid = session.get(Division, b.grid_id)
    assert grid is not None
    return b, grid.code


def _body(b: Address, **over: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "move_in",
        "declarant_role": "landlord",
        "declarant_name": "王房东",
        "declarant_phone": new_phone(),
        "address": b.full_name,
        "room": "1单元302",
        "tenant_name": "李租客",
        "id_number": new_id("19920304"),
        "phone": new_phone(),
        "move_in": (date.today() - timedelta(days=3)).isoformat(),
        "idempotency_key": uuid.uuid4().hex,
    }
    return body | over


def _declare(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/api/public/declarations", json=body)
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _task_of(session: Session, number: str) -> VerificationTask:
    session.expire_all()
    d = session.scalar(select(Declaration).where(Declaration.number == number))
    assert d is not None
    task = session.scalar(select(VerificationTask).where(VerificationTask.declaration_id == d.id))
    assert task is not None
    return task


def test_a_declaration_is_masked_stored_encrypted_and_queued_for_its_grid_only(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b, grid_code = _building(session, 11)
    other_b, other_grid = next((x, c) for x, c in (_building(session, i) for i in range(60, 90)) if c != grid_code)
    body = _body(b)
    receipt = _declare(app_client, body)
    assert receipt["number"].startswith("SB") and receipt["status"] == "open"
    assert receipt["id_masked"] == body["id_number"][:4] + "**********" + body["id_number"][-4:]
    assert body["id_number"] not in str(receipt) and body["phone"] not in str(receipt)
    task = _task_of(session, receipt["number"])
    d = session.get(Declaration, task.declaration_id)
    assert d is not None and d.grid_id == b.grid_id and d.address_id == b.id
    assert d.room_code == f"{b.code}-1单元302"
    stored = str(d.fields) + d.pii_enc + d.declarant_phone_index + d.declarant_phone_masked
    for secret in (body["id_number"], body["phone"], body["declarant_phone"]):
        assert secret not in stored
    mine = app_client.get("/api/blockdata/verifications", headers=login(f"gw_{grid_code}"))
    assert mine.status_code == 200, mine.text
    [item] = [i for i in mine.json()["items"] if i["declaration_number"] == receipt["number"]]
    assert item["title"] == "租客入住" and item["name"] == "李租客" and item["source"] == "declaration"
    assert item["id_masked"] == receipt["id_masked"] and body["id_number"] not in mine.text
    assert item["declarant"].startswith("房东 王房东 ") and body["declarant_phone"] not in mine.text
    theirs = app_client.get("/api/blockdata/verifications", headers=login(f"gw_{other_grid}"))
    assert receipt["number"] not in theirs.text
    refused = app_client.post(
        f"/api/blockdata/verifications/{task.id}/settle", json={"outcome": "confirm"}, headers=login(f"gw_{other_grid}")
    )
    assert refused.status_code == 404, refused.text
    assert other_b.grid_id != b.grid_id


def test_a_retry_with_the_same_key_answers_the_first_declaration(app_client: TestClient, session: Session) -> None:
    b, _grid = _building(session, 12)
    body = _body(b)
    first, again = _declare(app_client, body), _declare(app_client, body)
    assert first["number"] == again["number"]
    session.expire_all()
    found = session.scalars(select(Declaration).where(Declaration.idempotency_key == body["idempotency_key"]))
    assert len(list(found)) == 1


def test_a_bad_declaration_names_its_field_and_writes_nothing(app_client: TestClient, session: Session) -> None:
    b, _grid = _building(session, 13)
    good = new_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = session.scalar(select(Declaration.id).order_by(Declaration.id.desc()).limit(1)) or 0
    for over, field in (
        ({"id_number": bad}, "id_number"),
        ({"address": "火星第一大道 999 号"}, "address"),
        ({"kind": "move_out"}, "move_out"),
        ({"declarant_phone": "12345"}, "declarant_phone"),
    ):
        r = app_client.post("/api/public/declarations", json=_body(b, **over))
        assert r.status_code == 422, (over, r.text)
        error = r.json()["error"]
        assert field in (error.get("field") or "") + str(error), (over, r.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error
    session.expire_all()
    assert (session.scalar(select(Declaration.id).order_by(Declaration.id.desc()).limit(1)) or 0) == before


def test_declarations_are_rate_limited_per_declarant_phone(app_client: TestClient, session: Session) -> None:
    b, _grid = _building(session, 14)
    phone = new_phone()
    codes = [
        app_client.post("/api/public/declarations", json=_body(b, declarant_phone=phone, id_number="bad")).status_code
        for _ in range(per_phone_declarations.limit + 1)
    ]
    assert codes[:-1] == [422] * per_phone_declarations.limit and codes[-1] == 429


def test_confirming_writes_a_record_with_provenance_and_a_settled_task_is_refused(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b, grid_code = _building(session, 15)
    body = _body(b)
    receipt = _declare(app_client, body)
    task = _task_of(session, receipt["number"])
    headers = login(f"gw_{grid_code}")
    r = app_client.post(
        f"/api/blockdata/verifications/{task.id}/settle",
        json={"outcome": "confirm", "note": "现场核实"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["written_record_id"]
    session.expire_all()
    person = session.get(PersonRecord, r.json()["written_record_id"])
    assert person is not None and person.department == "自主申报" and person.name == "李租客"
    assert person.address_id == b.id and person.room_code == f"{b.code}-1单元302" and person.population == "floating"
    room = session.scalar(select(RoomRecord).where(RoomRecord.tenant_id == person.id))
    assert room is not None and room.use == "rental" and room.owner_name == "王房东"
    phone = session.scalar(select(PhoneRecord).where(PhoneRecord.person_id == person.id))
    assert phone is not None and phone.phone_index == phone_index(session, body["phone"])
    d = session.get(Declaration, task.declaration_id)
    assert d is not None and d.status == "confirmed"
    audit = session.scalar(
        select(AuditLog).where(AuditLog.action == "blockdata.verify", AuditLog.entity_id == str(task.id))
    )
    assert audit is not None and audit.actor_role == "grid_worker" and audit.detail["outcome"] == "confirm"
    again = app_client.post(
        f"/api/blockdata/verifications/{task.id}/settle", json={"outcome": "reject", "note": "x"}, headers=headers
    )
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "illegal_transition"
    profile = app_client.get(f"/api/blockdata/profile/{b.code}", headers=headers).json()
    assert profile["last_verification"]["by"] == f"gw_{grid_code}"
    assert profile["last_verification"]["outcome"] == "confirmed"
    done = app_client.get("/api/blockdata/verifications", params={"status": "confirmed"}, headers=headers).json()
    [item] = [i for i in done["items"] if i["id"] == task.id]
    assert item["done_by_name"] == f"gw_{grid_code}" and item["note"] == "现场核实"


def test_correcting_rechecks_the_fields_and_a_bad_correction_changes_nothing(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b, grid_code = _building(session, 16)
    receipt = _declare(app_client, _body(b))
    task = _task_of(session, receipt["number"])
    headers = login(f"gw_{grid_code}")
    url = f"/api/blockdata/verifications/{task.id}/settle"
    bad = app_client.post(url, json={"outcome": "correct", "changes": {"id_number": "440304"}}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "id_number", bad.text
    empty = app_client.post(url, json={"outcome": "correct", "changes": {}}, headers=headers)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "changes"
    session.expire_all()
    assert session.get(VerificationTask, task.id).status == "open"  # type: ignore[union-attr]
    fixed = new_phone()
    ok = app_client.post(
        url, json={"outcome": "correct", "changes": {"phone": fixed, "room": "1单元303"}}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["status"] == "corrected", ok.text
    session.expire_all()
    person = session.get(PersonRecord, ok.json()["written_record_id"])
    assert person is not None and person.department == "网格员核查" and person.room_code == f"{b.code}-1单元303"
    phone = session.scalar(select(PhoneRecord).where(PhoneRecord.person_id == person.id))
    assert phone is not None and phone.phone_index == phone_index(session, fixed)
    audit = session.scalar(
        select(AuditLog).where(AuditLog.action == "blockdata.verify", AuditLog.entity_id == str(task.id))
    )
    assert audit is not None and audit.detail["fields"] == ["phone", "room"] and fixed not in str(audit.detail)


def test_rejecting_needs_a_reason_and_writes_no_record(app_client: TestClient, login: Login, session: Session) -> None:
    b, grid_code = _building(session, 17)
    receipt = _declare(app_client, _body(b))
    task = _task_of(session, receipt["number"])
    headers = login(f"gw_{grid_code}")
    url = f"/api/blockdata/verifications/{task.id}/settle"
    assert app_client.post(url, json={"outcome": "reject"}, headers=headers).json()["error"]["field"] == "note"
    r = app_client.post(url, json={"outcome": "reject", "note": "查无此人"}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["written_record_id"] is None
    resident = app_client.post(url, json={"outcome": "confirm"}, headers=login("resident1"))
    assert resident.status_code in (403, 404)


def test_records_not_verified_in_their_type_s_days_become_tasks_once(session: Session, people: People) -> None:
    admin = people.user("admin")
    b, grid_code = _building(session, 18)
    rows = [
        {"name": "赵流动", "id_number": new_id("19880808"), "population": "流动", "address": b.full_name},
        {"name": "赵户籍", "id_number": new_id("19770707"), "population": "户籍", "address": b.full_name},
    ]
    report = one_action(
        importing.import_records, session, admin, department="公安", kind="person", filename="v.csv", rows=rows
    )
    assert report.ok, report.errors
    floating, registered = session.scalars(
        select(PersonRecord.id).where(PersonRecord.batch_id == report.batch_id).order_by(PersonRecord.line)
    ).all()
    # the default days: floating 90, registered 365 — 120 days old makes the floating one due, not the other
    session.execute(
        update(PersonRecord)
        .where(PersonRecord.batch_id == report.batch_id)
        .values(imported_at=utcnow() - timedelta(days=120))
    )
    session.commit()
    opened = one_action(verification.open_due_tasks, session, admin)
    assert opened["floating"] >= 1
    tasks = session.scalars(
        select(VerificationTask).where(
            VerificationTask.record == "person", VerificationTask.record_id.in_([floating, registered])
        )
    ).all()
    assert [(t.record_id, t.stale_type, t.status, t.grid_id) for t in tasks] == [
        (floating, "floating", "open", b.grid_id)
    ]
    one_action(verification.open_due_tasks, session, admin)  # a second run: the task is open, none is added
    count = select(VerificationTask.id).where(
        VerificationTask.record == "person", VerificationTask.record_id == floating
    )
    assert len(session.scalars(count).all()) == 1
    worker = people.user(f"gw_{grid_code}")
    settled = one_action(verification.settle, session, worker, tasks[0].id, "confirm")
    assert settled.written_record_id is not None
    session.execute(
        update(PersonRecord)
        .where(PersonRecord.id == settled.written_record_id)
        .values(imported_at=utcnow() - timedelta(days=1))
    )
    session.commit()
    one_action(verification.open_due_tasks, session, admin)
    again = session.scalars(
        select(VerificationTask).where(VerificationTask.record == "person", VerificationTask.record_id == floating)
    ).all()
    assert len(again) == 1  # verified just now: not due again
    worker_thread = verification.VerifyDueWorker(session_factory(session.get_bind().engine), 0)
    worker_thread.round()  # the server's round: the same service as the system, its own unit of work
    assert len(session.scalars(count).all()) == 1


def test_no_plaintext_declared_or_reporter_phone_in_the_database_file(
    app_client: TestClient, login: Login, session: Session, settings: Settings
) -> None:
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("greps the embedded SQLite database file")
    b, grid_code = _building(session, 19)
    body = _body(b)
    _declare(app_client, body)
    reporter = new_phone()
    case = {
        "title": "楼道堆物",
        "description": f"请联系 {reporter}",
        "grid_code": grid_code,
        "reporter_phone": reporter,
    }
    r = app_client.post("/api/events", json=case, headers=login(f"gw_{grid_code}"))
    assert r.status_code == 201, r.text
    assert reporter not in r.text
    anonymous = new_phone()  # 随手拍: its per-phone rate counter is keyed by the blind index, not the number
    public = {"title": "路灯不亮", "phone": anonymous, "address_text": b.full_name}
    assert app_client.post("/api/public/events", json=public).status_code == 201
    path = Path(settings.db_url.split("///", 1)[1])
    blobs = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert b"bd_declaration" in blobs
    for name, secret in (
        ("tenant id", body["id_number"]),
        ("tenant phone", body["phone"]),
        ("declarant phone", body["declarant_phone"]),
        ("reporter phone", reporter),
        ("anonymous reporter phone", anonymous),
    ):
        at = blobs.find(secret.encode())
        assert at < 0, (name, blobs[max(0, at - 300) : at + 40])
