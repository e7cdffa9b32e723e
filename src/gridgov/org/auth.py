"""Account actions: log in (throttled, constant-time for unknown names, audited), change one's password, an
admin setting a password or deactivating an account. Each ends the sessions it must; the caller commits, and
for a refused login commits before it raises (the failure, the throttle and the audit row must stay)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import AppError, Forbidden, InvalidInput, NotAuthenticated, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.ratelimit import TooManyRequests
from gridgov.common.security import hash_password, verify_password
from gridgov.common.timeutil import utcnow
from gridgov.config import Settings
from gridgov.org import sessions, throttle
from gridgov.org.auth_audit import AuthAudit
from gridgov.org.models import User

MIN_PASSWORD = 10


def anonymous(username: str) -> Principal:
    """Who a login attempt is, before it succeeds: nobody (the account name tried is kept in the detail)."""
    return Principal(user_id=None, username=username[:64] or "?", role=Role.RESIDENT)


def actor_of(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=Role(user.role))


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: AppError | None


def account_key(username: str) -> str:
    return username.strip().lower()[:128]


def _blocked(seconds: int) -> TooManyRequests:
    return TooManyRequests(f"登录失败次数过多，请 {seconds} 秒后再试", field="username", retry_after=seconds)


def attempt_login(
    session: Session, settings: Settings, username: str, password: str, source: str, now: datetime | None = None
) -> LoginOutcome:
    """Check a login. A blocked account name or source is refused before any password is checked; an unknown
    name costs the same hash check as a known one; every failure counts for both keys and is audited."""
    now = now or utcnow()
    key, rules = account_key(username), throttle.policies(settings)
    waits = [
        throttle.retry_after(throttle.load(session, scope, k), rules[scope], now)
        for scope, k in ((throttle.ACCOUNT, key), (throttle.SOURCE, source))
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        return LoginOutcome(None, _blocked(wait))
    user = session.scalar(select(User).where(User.username == username)) if key else None
    ok = verify_password(password, user.password_hash if user is not None else None)
    if ok and user is not None and user.active:
        throttle.clear(session, throttle.ACCOUNT, key)
        record_audit(session, actor_of(user), AuthAudit.LOGIN, "user", user.id, {"source": source})
        return LoginOutcome(user, None)
    reason = "unknown_user" if user is None else ("inactive" if not user.active else "bad_password")
    detail: dict[str, object] = {"username": key, "source": source, "reason": reason}
    for scope, k in ((throttle.ACCOUNT, key), (throttle.SOURCE, source)):
        failures, locked = throttle.record_failure(session, scope, k, rules[scope], now)
        detail[f"{scope}_failures"] = failures
        if locked:
            minutes = settings.login_lock_minutes
            record_audit(
                session, anonymous(key), AuthAudit.LOGIN_LOCK, scope, k, {"minutes": minutes, "failures": failures}
            )
    record_audit(session, anonymous(key), AuthAudit.LOGIN_FAIL, "user", user.id if user else key, detail)
    if secrets.randbelow(100) == 0:
        throttle.forget_old(session, now, timedelta(days=1))
    return LoginOutcome(None, NotAuthenticated("用户名或密码错误", field="password"))


def _check_new_password(password: str, user: User) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"新密码至少 {MIN_PASSWORD} 位", field="new_password")
    if password.strip().lower() == user.username.lower():
        raise InvalidInput("新密码不能与用户名相同", field="new_password")


def change_password(
    session: Session, settings: Settings, actor: Principal, current: str, new: str, source: str
) -> LoginOutcome:
    """The caller changes their own password; every session of theirs ends (the route opens a new one). A wrong
    current password counts as a failed login of the account."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active or actor.api_key_id is not None:
        raise Forbidden("只有登录的用户可以修改自己的密码")
    if not verify_password(current, user.password_hash):
        now = utcnow()
        rules = throttle.policies(settings)
        throttle.record_failure(session, throttle.ACCOUNT, account_key(user.username), rules[throttle.ACCOUNT], now)
        record_audit(session, actor, AuthAudit.LOGIN_FAIL, "user", user.id, {"reason": "bad_current_password"})
        return LoginOutcome(None, InvalidInput("当前密码不正确", field="current_password"))
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同", field="new_password")
    _check_new_password(new, user)
    user.password_hash, user.must_change_password, user.password_changed_at = hash_password(new), False, utcnow()
    ended = sessions.revoke_user_sessions(session, user.id, "password_change")
    record_audit(
        session, actor, AuthAudit.PASSWORD_CHANGE, "user", user.id, {"sessions_ended": ended, "source": source}
    )
    return LoginOutcome(user, None)


def _require_admin(actor: Principal) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以执行此操作")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", field="user_id")
    return user


def set_password(session: Session, actor: Principal, user_id: int, password: str | None = None) -> str:
    """An admin gives an account a password (generated when none is given), which it must change at its next
    login; the account's sessions end. Returns the password, to hand over once."""
    _require_admin(actor)
    user = _user(session, user_id)
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", field="password")
    user.password_hash, user.must_change_password, user.password_changed_at = hash_password(password), True, utcnow()
    ended = sessions.revoke_user_sessions(session, user.id, "password_set")
    record_audit(session, actor, AuthAudit.PASSWORD_SET, "user", user.id, {"sessions_ended": ended})
    return password


def set_active(session: Session, actor: Principal, user_id: int, active: bool) -> User:
    """Deactivate (every session ends at once; API keys stop with the account) or reactivate an account."""
    _require_admin(actor)
    user = _user(session, user_id)
    if user.id == actor.user_id and not active:
        raise InvalidInput("不能停用自己的账号", field="user_id")
    user.active = active
    detail: dict[str, object] = {}
    if not active:
        detail["sessions_ended"] = sessions.revoke_user_sessions(session, user.id, "deactivated")
    record_audit(
        session, actor, AuthAudit.USER_ACTIVATE if active else AuthAudit.USER_DEACTIVATE, "user", user.id, detail
    )
    return user


def log_out(session: Session, actor: Principal, session_id: str) -> None:
    if sessions.revoke_session(session, session_id, "logout"):
        record_audit(session, actor, AuthAudit.LOGOUT, "auth_session", session_id, {})
