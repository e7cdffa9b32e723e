"""Accounts (issue 12, findings 1-2): login throttling per account and source that survives a restart, unknown
users checked against a dummy hash, audited logins; short access tokens, rotating refresh tokens, revocation by
logout, password change and deactivation; the pages' cookie sign-in with CSRF; forced password change."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.common import security
from gridgov.common.audit import AuditLog
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.demo.loader import NO_PASSWORD, DemoResult
from gridgov.org import auth, sessions, throttle
from gridgov.org.auth_models import AuthSession
from gridgov.org.models import User
from support import TEST_PASSWORD

Client = Callable[..., TestClient]


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[Client]:
    """client(address, **settings) -> a TestClient of a fresh app on the test database, calling from `address`
    (each test its own address, so throttles never leak into the shared client's logins)."""

    def _client(address: str, **changes: Any) -> TestClient:
        app = create_app(settings.model_copy(update=changes), engine, sweeper=False, warm=False)
        return TestClient(app, client=(address, 40000))

    yield _client


def _new_user(session: Session, admin_actor: Any, role: str = "resident") -> tuple[int, str, str]:
    name, password = f"acct_{uuid.uuid4().hex[:8]}", "Initial-Passw0rd"
    from gridgov.common.principal import Role
    from gridgov.org.services import create_user

    with UnitOfWork(session):
        user = create_user(session, admin_actor, username=name, password=password, display_name="测试", role=Role(role))
    return user.id, name, password


def _audit(session: Session, action: str, entity_id: str) -> list[AuditLog]:
    session.expire_all()
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action, AuditLog.entity_id == entity_id)))


# --- finding 1: throttling, constant time, audit ---------------------------------------------------------


def test_a_locked_account_refuses_the_right_password_even_after_a_restart(
    client: Client, passwords: dict[str, str], session: Session
) -> None:
    rules = {"login_free_failures": 2, "login_lock_failures": 4}
    c = client("10.1.0.1", **rules)
    failures = 0
    while failures < 4:  # a refused attempt during a delay is no failure: wait the delay out, as a guesser must
        r = c.post("/api/auth/token", data={"username": "resident3", "password": "wrong-password"})
        assert r.status_code in (401, 429)
        if r.status_code == 429:
            time.sleep(int(r.headers["Retry-After"]))
        else:
            failures += 1
    right = c.post("/api/auth/token", data={"username": "resident3", "password": passwords["resident3"]})
    assert right.status_code == 429 and "秒后再试" in right.json()["error"]["message"], right.text
    assert int(right.headers["Retry-After"]) > 60
    # a restart does not forget it: a new app on the same database, from another address, refuses as well
    again = client("10.1.0.2", **rules).post(
        "/api/auth/token", data={"username": "resident3", "password": passwords["resident3"]}
    )
    assert again.status_code == 429
    with UnitOfWork(session):
        throttle.clear(session, throttle.ACCOUNT, "resident3")
    ok = client("10.1.0.2").post("/api/auth/token", data={"username": "resident3", "password": passwords["resident3"]})
    assert ok.status_code == 200
    assert _audit(session, "auth.login_fail", str(session.scalar(select(User.id).where(User.username == "resident3"))))


def test_each_failure_past_the_free_ones_waits_longer(session: Session, settings: Settings) -> None:
    now, name, waits = utcnow(), f"slow_{uuid.uuid4().hex[:6]}", []
    for i in range(settings.login_lock_failures - 1):
        at = now + timedelta(hours=i / 100)  # each try after the previous wait is over
        with UnitOfWork(session):
            auth.attempt_login(session, settings, name, "guess", "10.1.0.9", now=at)
        row = throttle.load(session, throttle.ACCOUNT, name)
        waits.append(throttle.retry_after(row, throttle.policies(settings)[throttle.ACCOUNT], at))
    free = settings.login_free_failures
    assert waits[:free] == [None] * free
    assert waits[free:] == [2**k for k in range(len(waits) - free)]  # 1, 2, 4, ... seconds
    with UnitOfWork(session):  # inside the wait: refused before any password check
        early = auth.attempt_login(session, settings, name, "guess", "10.1.0.9", now=at)
    assert early.error is not None and early.error.status == 429


def test_enough_failures_lock_the_account_and_are_audited(session: Session, settings: Settings) -> None:
    now, name = utcnow(), f"ghost_{uuid.uuid4().hex[:6]}"  # an unknown name is throttled like a known one
    for i in range(settings.login_lock_failures):
        with UnitOfWork(session):
            out = auth.attempt_login(session, settings, name, "guess", "10.1.1.1", now=now + timedelta(minutes=i))
        assert out.user is None and out.error is not None and out.error.status == 401
    with UnitOfWork(session):
        blocked = auth.attempt_login(session, settings, name, "guess", "10.1.1.1", now=now + timedelta(minutes=10))
    assert blocked.error is not None and blocked.error.status == 429
    lock_seconds = settings.login_lock_minutes * 60
    assert 0 < blocked.error.extra["retry_after"] <= lock_seconds
    assert len(_audit(session, "auth.login_fail", name)) == settings.login_lock_failures
    assert [a.detail["minutes"] for a in _audit(session, "auth.lock", name)] == [settings.login_lock_minutes]


def test_one_source_spraying_many_names_is_throttled(session: Session, settings: Settings) -> None:
    now, source = utcnow(), "10.1.2.1"
    for i in range(settings.login_source_free_failures + 1):
        with UnitOfWork(session):
            auth.attempt_login(session, settings, f"spray{i}_{uuid.uuid4().hex[:4]}", "x", source, now=now)
    with UnitOfWork(session):
        out = auth.attempt_login(session, settings, "yet_another", "x", source, now=now)
    assert out.error is not None and out.error.status == 429


def test_unknown_and_known_users_cost_the_same_hash_check(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = security._hasher.verify

    def counting(password: str, hashed: str) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(security._hasher, "verify", counting)
    known = security.hash_password("a-real-password")
    assert security.verify_password("guess", known) is False
    assert security.verify_password("guess", None) is False  # an unknown user
    assert security.verify_password("guess", NO_PASSWORD) is False  # a demo account without a password
    assert len(calls) == 4 and calls[0] == known  # the last one tried its sentinel, then the dummy
    assert all(h.startswith("$argon2id$") for h in (calls[0], calls[1], calls[3]))


def test_logins_are_audited(client: Client, passwords: dict[str, str], session: Session) -> None:
    r = client("10.1.3.1").post("/api/auth/token", data={"username": "resident1", "password": passwords["resident1"]})
    assert r.status_code == 200
    uid = str(session.scalar(select(User.id).where(User.username == "resident1")))
    assert any(a.detail.get("source") == "10.1.3.1" for a in _audit(session, "auth.login", uid))


# --- finding 2: tokens ------------------------------------------------------------------------------------


def _token_login(c: TestClient, username: str, password: str) -> dict[str, Any]:
    r = c.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _bearer(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_access_tokens_are_short_and_refresh_rotates(client: Client, passwords: dict[str, str]) -> None:
    c = client("10.1.4.1", access_token_minutes=15)
    body = _token_login(c, "resident1", passwords["resident1"])
    assert body["expires_in"] == 15 * 60 and body["refresh_token"]
    new = c.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert new.status_code == 200 and new.json()["refresh_token"] != body["refresh_token"]
    assert c.get("/api/me", headers=_bearer(new.json())).status_code == 200
    # a second use of the replaced token within seconds (another tab) gets an access token, not a new refresh
    twice = c.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert twice.status_code == 200 and twice.json()["refresh_token"] is None


def test_a_replayed_refresh_token_ends_the_session(session: Session, settings: Settings, people: Any) -> None:
    user = session.scalar(select(User).where(User.username == "resident2"))
    assert user is not None
    with UnitOfWork(session):
        first = sessions.open_session(session, settings, user, client="bearer", source="t")
    assert first.refresh_token
    with UnitOfWork(session):
        second = sessions.refresh_session(session, settings, first.refresh_token)
    assert second.tokens is not None
    later = utcnow() + timedelta(minutes=5)  # past the rotation grace: a stolen old token
    with UnitOfWork(session):
        replay = sessions.refresh_session(session, settings, first.refresh_token, now=later)
    assert replay.error is not None and replay.tokens is None
    session.expire_all()
    row = session.get(AuthSession, first.session_id)
    assert row is not None and row.revoked_reason == "refresh_replay"
    assert _audit(session, "auth.refresh_replay", first.session_id)


def test_expired_access_token_says_so(client: Client, settings: Settings) -> None:
    old = security.issue_token(settings.jwt_key, 1, "admin", 1, utcnow() - timedelta(minutes=5), session_id="x")
    r = client("10.1.5.1").get("/api/me", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


def test_logout_password_change_and_deactivation_kill_stolen_tokens(
    client: Client, session: Session, people: Any
) -> None:
    c = client("10.1.6.1")
    admin = people.user("admin")
    uid, name, password = _new_user(session, admin)
    # first login of an admin-made account: change the password before anything else
    first = _token_login(c, name, password)
    assert first["must_change_password"] is True
    assert c.get("/api/me/queue", headers=_bearer(first)).json()["error"]["code"] == "password_change_required"
    changed = c.post(
        "/api/auth/password",
        json={"current_password": password, "new_password": "My-own-passw0rd"},
        headers=_bearer(first),
    )
    assert changed.status_code == 200, changed.text
    assert c.get("/api/me", headers=_bearer(first)).status_code == 401  # the old sign-in ended with the change
    mine = changed.json()
    assert mine["must_change_password"] is False and c.get("/api/me", headers=_bearer(mine)).status_code == 200

    stolen = _token_login(c, name, "My-own-passw0rd")
    assert c.post("/api/auth/logout", headers=_bearer(stolen)).status_code == 204
    assert c.get("/api/me", headers=_bearer(stolen)).status_code == 401
    assert c.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).status_code == 401

    stolen = _token_login(c, name, "My-own-passw0rd")
    with UnitOfWork(session):
        auth.set_active(session, admin, uid, False)
    assert c.get("/api/me", headers=_bearer(stolen)).status_code == 401
    assert c.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).status_code == 401
    assert c.post("/api/auth/token", data={"username": name, "password": "My-own-passw0rd"}).status_code == 401


def test_admin_sets_a_password_that_must_be_changed(
    client: Client, session: Session, people: Any, passwords: dict[str, str]
) -> None:
    c = client("10.1.7.1")
    admin_token = _token_login(c, "admin", passwords["admin"])
    uid, name, _password = _new_user(session, people.user("admin"))
    r = c.post(f"/api/users/{uid}/password", json={}, headers=_bearer(admin_token))
    assert r.status_code == 200 and len(r.json()["password"]) >= 10
    assert _token_login(c, name, r.json()["password"])["must_change_password"] is True
    denied = c.post(f"/api/users/{uid}/password", json={}, headers=_bearer(_token_login(c, name, r.json()["password"])))
    assert denied.status_code == 403


# --- the pages: cookies and CSRF --------------------------------------------------------------------------


def test_pages_sign_in_with_httponly_cookies_and_csrf(client: Client, passwords: dict[str, str]) -> None:
    c = client("10.1.8.1")
    r = c.post("/api/auth/login", json={"username": "resident1", "password": passwords["resident1"], "next": "//x"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["home"] == "/resident" and body["next"] is None and "access_token" not in body
    cookies = {h.split("=", 1)[0]: h for h in r.headers.get_list("set-cookie")}
    assert {"gg_access", "gg_refresh", "gg_csrf"} <= set(cookies)
    for name in ("gg_access", "gg_refresh"):
        assert "HttpOnly" in cookies[name] and "SameSite=strict" in cookies[name], cookies[name]
    assert "HttpOnly" not in cookies["gg_csrf"] and "Path=/api/auth" in cookies["gg_refresh"]
    assert c.get("/api/me").status_code == 200  # the cookie signs the reads in
    report = {"title": "CSRF 测试", "grid_code": "440304001001001"}
    forged = c.post("/api/events", json=report)
    assert forged.status_code == 403 and forged.json()["error"]["field"] == "X-CSRF-Token"
    wrong = c.post("/api/events", json=report, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    refreshed = c.post("/api/auth/refresh", headers={"X-CSRF-Token": body["csrf_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["csrf_token"] == body["csrf_token"]
    assert c.post("/api/auth/refresh").status_code == 401  # the refresh needs the CSRF token too
    out = c.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204


def test_demo_accounts_have_their_own_passwords(demo: DemoResult) -> None:
    printed = [p for _u, p, _r, _s in demo.logins]
    assert len(printed) >= 10 and len(set(printed)) == len(printed) and all(len(p) >= 12 for p in printed)
    assert TEST_PASSWORD not in printed
