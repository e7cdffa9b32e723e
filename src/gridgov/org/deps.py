"""FastAPI dependencies: the database session and the calling principal (API key, bearer access token, or the
pages' sign-in cookie with its CSRF token)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gridgov.common.errors import Forbidden, NotAuthenticated
from gridgov.common.principal import Principal
from gridgov.common.security import csrf_token_for, read_token
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.org import sessions
from gridgov.org.services import principal_for, principal_from_api_key, user_by_id

# A token's principal (role, scope, grids) and its session's liveness are kept for a few seconds: a changed
# role, a deactivated user or a session ended in another process takes effect within PRINCIPAL_TTL (in this
# process a revocation drops the session at once), and each request saves its user, grid and session queries.
PRINCIPAL_TTL = 10.0
_principals: dict[int, tuple[float, Principal]] = {}
_live_sessions: dict[str, float] = {}  # session id -> when it was last found alive
# Tokens whose signature was checked: (signing key, token) -> (user id, session id, expiry as a Unix time,
# must change password). A cached token is still refused once it expires.
_verified: dict[tuple[str, str], tuple[int, str, float, bool]] = {}

ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE = "gg_access", "gg_refresh", "gg_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What an account that must first change its password may still call.
PASSWORD_CHANGE_PATHS = frozenset({"/api/me", "/api/auth/password", "/api/auth/logout", "/api/auth/refresh"})

T = TypeVar("T")
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def _forget_session(session_id: str) -> None:
    _live_sessions.pop(session_id, None)


sessions.revocation_listeners.append(_forget_session)


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """The caller. Async, so that a request whose principal is cached touches no thread pool; the database is
    read (in the pool) only for an API key or a token whose principal or session is not cached. A request
    signed in by the cookie must carry the session's CSRF token in X-CSRF-Token unless it only reads."""
    if x_api_key:
        return await run_in_threadpool(_with_session, request, lambda s: principal_from_api_key(s, x_api_key))
    cookie = request.cookies.get(ACCESS_COOKIE)
    if not token and not cookie:
        raise NotAuthenticated("请先登录")
    return await principal_for_token(request, token or cookie or "", csrf=not token)


def cookie_token(request: Request) -> str | None:
    """The pages' access token (EventSource sends the cookie but no header)."""
    return request.cookies.get(ACCESS_COOKIE)


async def principal_for_token(request: Request, token: str, csrf: bool = False) -> Principal:
    """The principal of an access token (JWT): verified once per token, its session checked and the principal
    cached for a short while."""
    key = request.app.state.settings.jwt_key
    user_id, session_id, must_change = _token_claims(key, token)
    if csrf and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token_for(key, session_id)):
            raise Forbidden("请求缺少有效的 CSRF 令牌，请刷新页面后重试", field=CSRF_HEADER)
    if must_change and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden("请先修改初始密码", code="password_change_required")
    now = time.monotonic()
    seen = _live_sessions.get(session_id)
    if seen is None or now - seen >= PRINCIPAL_TTL:
        alive = await run_in_threadpool(_with_session, request, lambda s: sessions.session_alive(s, session_id))
        if not alive:
            _live_sessions.pop(session_id, None)
            raise NotAuthenticated("登录已失效，请重新登录")
        if len(_live_sessions) > 50_000:
            _live_sessions.clear()
        _live_sessions[session_id] = now
    hit = _principals.get(user_id)
    if hit is not None and now - hit[0] < PRINCIPAL_TTL:
        return hit[1]
    principal = await run_in_threadpool(_with_session, request, lambda s: principal_for(s, user_by_id(s, user_id)))
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[user_id] = (now, principal)
    return principal


def _token_claims(key: str, token: str) -> tuple[int, str, bool]:
    hit = _verified.get((key, token))
    if hit is not None and hit[2] > time.time():
        return hit[0], hit[1], hit[3]
    claims = read_token(key, token)  # raises for a bad or expired token
    user_id, session_id, must_change = int(claims["sub"]), str(claims["sid"]), bool(claims.get("pwc"))
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[(key, token)] = (user_id, session_id, float(claims.get("exp", 0)), must_change)
    return user_id, session_id, must_change


def token_session(request: Request, token: str) -> str:
    """The session id of a verified access token."""
    return _token_claims(request.app.state.settings.jwt_key, token)[1]


def _with_session(request: Request, work: Callable[[Session], T]) -> T:
    """Finding the caller is a unit of work of its own (an API key's last use is recorded)."""
    session: Session = request.app.state.session_factory()
    try:
        with UnitOfWork(session):
            return work(session)
    finally:
        session.close()


PrincipalDep = Annotated[Principal, Depends(get_principal)]
