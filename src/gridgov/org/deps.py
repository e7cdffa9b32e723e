"""FastAPI dependencies: the database session and the calling principal (JWT bearer or API key)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gridgov.common.errors import NotAuthenticated
from gridgov.common.principal import Principal
from gridgov.common.security import read_token
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.org.services import principal_for, principal_from_api_key, user_by_id

# A token's principal (role, scope, grids) is kept for a few seconds: a changed role or a deactivated user
# takes effect within PRINCIPAL_TTL, and each request saves its user and grid queries.
PRINCIPAL_TTL = 10.0
_principals: dict[int, tuple[float, Principal]] = {}
# Tokens whose signature was checked: (signing key, token) -> (user id, expiry as a Unix time). A cached token
# is still refused once it expires.
_verified: dict[tuple[str, str], tuple[int, float]] = {}

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


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
    read (in the pool) only for an API key or a token whose principal is not cached."""
    if x_api_key:
        return await run_in_threadpool(_with_session, request, lambda s: principal_from_api_key(s, x_api_key))
    if not token:
        raise NotAuthenticated("请先登录")
    return await principal_for_token(request, token)


async def principal_for_token(request: Request, token: str) -> Principal:
    """The principal of a bearer token (JWT): verified once per token, the principal cached for a short while."""
    user_id = _token_user(request.app.state.settings.jwt_key, token)
    now = time.monotonic()
    hit = _principals.get(user_id)
    if hit is not None and now - hit[0] < PRINCIPAL_TTL:
        return hit[1]
    principal = await run_in_threadpool(_with_session, request, lambda s: principal_for(s, user_by_id(s, user_id)))
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[user_id] = (now, principal)
    return principal


def _token_user(key: str, token: str) -> int:
    hit = _verified.get((key, token))
    if hit is not None and hit[1] > time.time():
        return hit[0]
    claims = read_token(key, token)  # raises for a bad or expired token
    user_id = int(claims["sub"])
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[(key, token)] = (user_id, float(claims.get("exp", 0)))
    return user_id


def _with_session(request: Request, work: Callable[[Session], Principal]) -> Principal:
    """Finding the caller is a unit of work of its own (an API key's last use is recorded)."""
    session: Session = request.app.state.session_factory()
    try:
        with UnitOfWork(session):
            return work(session)
    finally:
        session.close()


PrincipalDep = Annotated[Principal, Depends(get_principal)]
