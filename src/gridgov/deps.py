"""FastAPI dependencies: the database session and the calling principal (JWT bearer or API key)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gridgov.common.errors import NotAuthenticated
from gridgov.common.principal import Principal
from gridgov.common.security import read_token
from gridgov.config import Settings
from gridgov.org.services import principal_for, principal_from_api_key, user_by_id

# A token's principal (role, scope, grids) is kept for a few seconds: a changed role or a deactivated user
# takes effect within PRINCIPAL_TTL, and each request saves its user and grid queries.
PRINCIPAL_TTL = 10.0
_principals: dict[int, tuple[float, Principal]] = {}

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
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


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    if x_api_key:
        return principal_from_api_key(session, x_api_key)
    if not token:
        raise NotAuthenticated("请先登录")
    claims = read_token(settings.jwt_key, token)
    user_id = int(claims["sub"])
    now = time.monotonic()
    hit = _principals.get(user_id)
    if hit is not None and now - hit[0] < PRINCIPAL_TTL:
        return hit[1]
    principal = principal_for(session, user_by_id(session, user_id))
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[user_id] = (now, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
