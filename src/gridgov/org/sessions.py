"""Sign-ins: short-lived access tokens (JWT carrying the session id) and rotating refresh tokens stored
server-side as digests. Logout ends one session; a password change or a deactivation ends all of a user's
sessions, so a stolen token stops working (within the principal cache's few seconds in other processes)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import NotAuthenticated
from gridgov.common.principal import Principal, Role
from gridgov.common.security import csrf_token_for, issue_token, secret_digest
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import after_commit
from gridgov.config import Settings
from gridgov.org.auth_audit import AuthAudit
from gridgov.org.auth_models import AuthSession
from gridgov.org.models import User

# Two tabs of one browser may refresh with the same cookie at once: the one that comes second within this
# window gets a new access token (the cookie jar already holds the new refresh token) instead of ending the session.
ROTATION_GRACE = timedelta(seconds=30)

# Called with a session id once its revocation is committed (the request dependencies drop it from their cache).
revocation_listeners: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class Tokens:
    session_id: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None  # None: keep the refresh token the client has (a refresh within the grace window)
    refresh_expires_at: datetime
    csrf_token: str
    role: str
    display_name: str
    must_change_password: bool


def _tokens(settings: Settings, user: User, row: AuthSession, refresh_secret: str | None, now: datetime) -> Tokens:
    access_end = min(now + timedelta(minutes=settings.access_token_minutes), row.expires_at)
    minutes = max((access_end - now).total_seconds() / 60, 0.0)
    access = issue_token(
        settings.jwt_key,
        user.id,
        user.role,
        minutes,
        now,
        session_id=row.id,
        must_change_password=user.must_change_password,
    )
    refresh_end = min(now + timedelta(hours=settings.refresh_idle_hours), row.expires_at)
    return Tokens(
        session_id=row.id,
        access_token=access,
        access_expires_at=access_end,
        refresh_token=f"{row.id}.{refresh_secret}" if refresh_secret else None,
        refresh_expires_at=refresh_end,
        csrf_token=csrf_token_for(settings.jwt_key, row.id),
        role=user.role,
        display_name=user.display_name,
        must_change_password=user.must_change_password,
    )


def open_session(
    session: Session, settings: Settings, user: User, *, client: str, source: str, now: datetime | None = None
) -> Tokens:
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    row = AuthSession(
        id=secrets.token_urlsafe(18),
        user_id=user.id,
        client=client,
        source=source[:64],
        created_at=now,
        refreshed_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        refresh_hash=secret_digest(secret),
    )
    session.add(row)
    session.flush()
    return _tokens(settings, user, row, secret, now)


@dataclass(frozen=True)
class Refreshed:
    tokens: Tokens | None
    error: NotAuthenticated | None  # the caller commits first (a replay's revocation must stay), then raises


def refresh_session(session: Session, settings: Settings, refresh_token: str, now: datetime | None = None) -> Refreshed:
    """Rotate the refresh token: the presented one must be the session's current one (or, for a few seconds, the
    one just replaced). Any older one is a replay: the whole session ends."""
    now = now or utcnow()
    sid, _, secret = refresh_token.partition(".")
    row = session.get(AuthSession, sid) if sid and secret else None
    dead = NotAuthenticated("登录已失效，请重新登录", field="refresh_token")
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return Refreshed(None, dead)
    if row.refreshed_at + timedelta(hours=settings.refresh_idle_hours) <= now:
        return Refreshed(None, dead)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return Refreshed(None, dead)
    digest = secret_digest(secret)
    if secrets.compare_digest(digest, row.refresh_hash):
        fresh = secrets.token_urlsafe(32)
        row.previous_hash, row.refresh_hash, row.refreshed_at = row.refresh_hash, secret_digest(fresh), now
        return Refreshed(_tokens(settings, user, row, fresh, now), None)
    if (
        row.previous_hash
        and secrets.compare_digest(digest, row.previous_hash)
        and now - row.refreshed_at < ROTATION_GRACE
    ):
        return Refreshed(_tokens(settings, user, row, None, now), None)
    _revoke_rows(session, [row], "refresh_replay", now)
    actor = Principal(user_id=user.id, username=user.username, role=Role(user.role))
    record_audit(session, actor, AuthAudit.REFRESH_REPLAY, "auth_session", row.id, {})
    return Refreshed(None, dead)


def session_alive(session: Session, session_id: str, now: datetime | None = None) -> bool:
    now = now or utcnow()
    row = session.get(AuthSession, session_id)
    return row is not None and row.revoked_at is None and row.expires_at > now


def revoke_session(session: Session, session_id: str, reason: str, now: datetime | None = None) -> bool:
    row = session.get(AuthSession, session_id)
    if row is None or row.revoked_at is not None:
        return False
    _revoke_rows(session, [row], reason, now or utcnow())
    return True


def revoke_user_sessions(session: Session, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every live session of the user; returns how many."""
    now = now or utcnow()
    rows = list(
        session.scalars(select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)))
    )
    _revoke_rows(session, rows, reason, now)
    return len(rows)


def _revoke_rows(session: Session, rows: list[AuthSession], reason: str, now: datetime) -> None:
    if not rows:
        return
    ids = [r.id for r in rows]
    session.execute(
        update(AuthSession).where(AuthSession.id.in_(ids)).values(revoked_at=now, revoked_reason=reason),
        execution_options={"synchronize_session": "fetch"},
    )

    def tell() -> None:
        for sid in ids:
            for listener in revocation_listeners:
                listener(sid)

    after_commit(session, tell)
