"""Authentication (password login, API keys), idempotent reports, uploads and the reporter's phone number
(encrypted at rest, masked in responses, revealed only to privileged users with an audit row)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.config import Settings
from gridgov.db import session_factory
from gridgov.dispatch.attachments import path_for
from gridgov.dispatch.models import Attachment, Event
from gridgov.org.models import ApiKey, Division, User
from support import photo

Login = Callable[[str], dict[str, str]]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png(size: int | None = None) -> bytes:
    return photo("PNG", size)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A fresh session per test, to read what the API wrote."""
    with session_factory(engine)() as s:
        yield s


def user_id(db: Session, username: str) -> int:
    uid = db.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def some_grid(db: Session, index: int = 70) -> str:
    codes = db.scalars(select(Division.code).where(Division.level == "grid").order_by(Division.code)).all()
    return codes[index % len(codes)]


# --- login -----------------------------------------------------------------------------------------------


def test_password_login(app_client: TestClient, passwords: dict[str, str]) -> None:
    r = app_client.post("/api/auth/token", data={"username": "resident2", "password": passwords["resident2"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["role"] == "resident" and body["display_name"]
    me = app_client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "resident2"

    for username, password in (
        ("resident2", passwords["resident2"] + "x"),
        ("resident2", passwords["resident1"]),  # another demo user's password: each has its own now
        ("nobody-here", passwords["resident2"]),  # unknown users get the same answer
    ):
        bad = app_client.post("/api/auth/token", data={"username": username, "password": password})
        assert bad.status_code == 401, (username, bad.text)
        err = bad.json()["error"]
        assert err["code"] == "not_authenticated" and err["message"] == "用户名或密码错误"
        assert bad.headers["WWW-Authenticate"] == "Bearer"

    forged = app_client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and forged.json()["error"]["message"] == "登录凭据无效"


# --- API keys ----------------------------------------------------------------------------------------------


def test_api_key_issue_use_and_revoke(app_client: TestClient, login: Login, db: Session) -> None:
    admin = login("admin")
    target = user_id(db, "resident3")

    denied = app_client.post(f"/api/users/{target}/api-keys", json={"name": "x"}, headers=login("resident3"))
    assert denied.status_code == 403

    r = app_client.post(f"/api/users/{target}/api-keys", json={"name": "小程序对接"}, headers=admin)
    assert r.status_code == 201, r.text
    issued = r.json()
    plaintext, key_id = issued["api_key"], issued["id"]
    assert plaintext.startswith("gg_") and plaintext.startswith(issued["prefix"])

    me = app_client.get("/api/me", headers={"X-API-Key": plaintext})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "resident3" and me.json()["role"] == "resident"

    # stored hashed: the plaintext is nowhere in the key's row nor in the audit trail
    row = db.get(ApiKey, key_id)
    assert row is not None and row.user_id == target and row.revoked_at is None
    assert row.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    raw = db.execute(text("SELECT * FROM api_key WHERE id = :id"), {"id": key_id}).one()
    assert all(plaintext not in str(v) for v in raw)
    assert row.last_used_at is not None
    first_use = row.last_used_at
    assert app_client.get("/api/me", headers={"X-API-Key": plaintext}).status_code == 200
    db.expire_all()
    assert db.get(ApiKey, key_id).last_used_at == first_use  # type: ignore[union-attr]  # to the minute
    db.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=first_use - timedelta(minutes=2)))
    db.commit()
    assert app_client.get("/api/me", headers={"X-API-Key": plaintext}).status_code == 200
    db.expire_all()
    assert db.get(ApiKey, key_id).last_used_at > first_use  # type: ignore[operator, union-attr]
    audits = db.scalars(select(AuditLog).where(AuditLog.entity == "api_key", AuditLog.entity_id == str(key_id)))
    assert [a.action for a in audits] == ["api_key.issue"]
    assert all(plaintext not in str(a.detail) for a in audits)

    wrong = app_client.get("/api/me", headers={"X-API-Key": plaintext[:-2] + "zz"})
    assert wrong.status_code == 401

    assert app_client.delete(f"/api/api-keys/{key_id}", headers=login("dsp_" + _street_code(db))).status_code == 403
    gone = app_client.delete(f"/api/api-keys/{key_id}", headers=admin)
    assert gone.status_code == 204
    revoked = app_client.get("/api/me", headers={"X-API-Key": plaintext})
    assert revoked.status_code == 401
    assert revoked.json()["error"]["message"] == "API 密钥无效或已吊销"
    db.expire_all()
    assert db.get(ApiKey, key_id).revoked_at is not None  # type: ignore[union-attr]
    assert app_client.delete("/api/api-keys/99999999", headers=admin).status_code == 404


def _street_code(db: Session) -> str:
    code = db.scalar(select(Division.code).where(Division.level == "street").order_by(Division.code))
    assert code is not None
    return code


# --- idempotent create -------------------------------------------------------------------------------------


def test_idempotency_key_creates_one_event(app_client: TestClient, login: Login, db: Session) -> None:
    admin = login("admin")
    target = user_id(db, "resident3")
    key = app_client.post(f"/api/users/{target}/api-keys", json={"name": "幂等测试"}, headers=admin).json()
    by_key = {"X-API-Key": key["api_key"]}
    body = {"title": f"井盖缺失 {uuid.uuid4().hex[:6]}", "grid_code": some_grid(db), "channel": "hotline_12345"}
    idem = uuid.uuid4().hex

    first = app_client.post("/api/events", json=body, headers={**by_key, "Idempotency-Key": idem})
    assert first.status_code == 201, first.text
    again = app_client.post("/api/events", json=body, headers={**by_key, "Idempotency-Key": idem})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert [h["action"] for h in again.json()["history"]] == ["report"]

    other = app_client.post("/api/events", json=body, headers={**by_key, "Idempotency-Key": uuid.uuid4().hex})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # the key belongs to its caller: another user with the same key gets a case of his own
    stranger = app_client.post("/api/events", json=body, headers={**login("resident1"), "Idempotency-Key": idem})
    assert stranger.status_code == 201 and stranger.json()["id"] not in (first.json()["id"], other.json()["id"])

    n = db.scalar(select(func.count()).select_from(Event).where(Event.idempotency_key == idem))
    assert n == 2  # one per caller
    too_short = app_client.post("/api/events", json=body, headers={**by_key, "Idempotency-Key": "abc"})
    assert too_short.status_code == 422
    app_client.delete(f"/api/api-keys/{key['id']}", headers=admin)


# --- uploads -------------------------------------------------------------------------------------------------


def test_png_upload_is_content_addressed(app_client: TestClient, login: Login, db: Session, settings: Settings) -> None:
    resident = login("resident1")
    data = png(300)
    r1 = app_client.post("/api/attachments", headers=resident, files={"file": ("a.png", data, "image/png")})
    assert r1.status_code == 201, r1.text
    digest = r1.json()["sha256"]  # of the clean copy (re-encoded, the padding after the image's end dropped)
    stored = path_for(settings.attachments_dir, digest).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == digest and len(stored) < 300
    assert r1.json() == {"sha256": digest, "content_type": "image/png", "size": len(stored)}
    # the same bytes again, under another name and declared type: the same attachment
    r2 = app_client.post("/api/attachments", headers=login("resident2"), files={"file": ("b.jpg", data, "image/jpeg")})
    assert r2.status_code == 201 and r2.json()["sha256"] == digest and r2.json()["content_type"] == "image/png"
    assert db.scalar(select(func.count()).select_from(Attachment).where(Attachment.sha256 == digest)) == 1

    got = app_client.get(f"/api/attachments/{digest}", headers=resident)
    assert got.status_code == 200 and got.content == stored and got.headers["content-type"] == "image/png"
    # residents only download their own uploads
    assert app_client.get(f"/api/attachments/{digest}", headers=login("resident3")).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "ctype"),
    [
        ("note.txt", "这不是图片".encode(), "text/plain"),
        ("fake.png", b"GIF89a" + b"\x00" * 32, "image/png"),  # the declared type does not count
        ("empty.png", b"", "image/png"),
    ],
)
def test_non_image_upload_is_refused(app_client: TestClient, login: Login, name: str, data: bytes, ctype: str) -> None:
    r = app_client.post("/api/attachments", headers=login("resident1"), files={"file": (name, data, ctype)})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and err["field"] == "file"


def test_oversize_upload_is_refused(app_client: TestClient, login: Login) -> None:
    settings: Settings = app_client.app.state.settings  # type: ignore[attr-defined]
    before = settings.max_upload_bytes
    limit = 1024 * 1024
    settings.max_upload_bytes = limit
    try:
        resident = login("resident1")
        big = app_client.post("/api/attachments", headers=resident, files={"file": ("big.png", png(limit + 1))})
        assert big.status_code == 413, big.text
        err = big.json()["error"]
        assert err["code"] == "too_large" and err["field"] == "file" and "1 MB" in err["message"]
        exact = app_client.post("/api/attachments", headers=resident, files={"file": ("ok.png", png(limit))})
        assert exact.status_code == 201, exact.text
    finally:
        settings.max_upload_bytes = before
    assert app_client.app.state.settings.max_upload_bytes == before  # type: ignore[attr-defined]


# --- the reporter's phone number ----------------------------------------------------------------------------


def test_reporter_phone_encrypted_masked_and_revealed_with_audit(
    app_client: TestClient, login: Login, db: Session
) -> None:
    phone = "13912345678"
    resident = login("resident1")
    body = {"title": "路灯不亮", "grid_code": some_grid(db, 71), "reporter_phone": phone}
    r = app_client.post("/api/events", json=body, headers=resident)
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert r.json()["reporter_phone"] == "139****5678"

    # at rest: neither the ciphertext nor the blind index is the number
    enc, index = db.execute(
        text("SELECT reporter_phone_enc, reporter_phone_index FROM event WHERE id = :id"), {"id": eid}
    ).one()
    assert enc and index and phone not in enc and phone not in index and enc != phone
    raw = db.execute(text("SELECT * FROM event WHERE id = :id"), {"id": eid}).one()
    assert all(phone not in str(v) for v in raw)

    # every reader sees it masked, the admin included
    admin = login("admin")
    assert app_client.get(f"/api/events/{eid}", headers=admin).json()["reporter_phone"] == "139****5678"
    assert app_client.get(f"/api/events/{eid}", headers=resident).json()["reporter_phone"] == "139****5678"

    def pii_reads() -> list[AuditLog]:
        db.expire_all()
        return list(
            db.scalars(
                select(AuditLog).where(
                    AuditLog.action == "pii.read", AuditLog.entity == "event", AuditLog.entity_id == str(eid)
                )
            )
        )

    assert pii_reads() == []
    for who in ("resident1", "dsp_" + _street_of(db, body["grid_code"])):  # the reporter herself, a street dispatcher
        denied = app_client.get(f"/api/events/{eid}/reporter-phone", headers=login(who))
        assert denied.status_code == 403, (who, denied.text)
        assert denied.json()["error"]["code"] == "forbidden"
    assert pii_reads() == []

    shown = app_client.get(f"/api/events/{eid}/reporter-phone", headers=admin)
    assert shown.status_code == 200 and shown.json() == {"phone": phone}
    reads = pii_reads()
    assert len(reads) == 1
    assert reads[0].actor_id == user_id(db, "admin") and reads[0].actor_role == "admin"
    assert reads[0].detail == {"field": "reporter_phone"}
    assert phone not in str(reads[0].detail)

    no_phone = app_client.post("/api/events", json={**body, "reporter_phone": None}, headers=resident).json()["id"]
    assert app_client.get(f"/api/events/{no_phone}/reporter-phone", headers=admin).status_code == 404


def _street_of(db: Session, grid_code: str) -> str:
    grid = db.scalar(select(Division).where(Division.code == grid_code))
    assert grid is not None
    community = db.get(Division, grid.parent_id)
    assert community is not None
    street = db.get(Division, community.parent_id)
    assert street is not None
    return street.code


def test_ui_config_reads_the_application_settings(app_client: TestClient, settings: Settings) -> None:
    body = app_client.get("/api/ui-config").json()
    assert body["map_tile_url"] == (settings.map_tile_url or None)
    assert body["map_tile_attribution"] == settings.map_tile_attribution
    assert isinstance(body["vendor_missing"], list) and body["version"]
