"""HTTP entry points of signing in: the pages' cookie login, the machine clients' OAuth2 password form, silent
refresh, logout, changing one's password; an admin setting a password or (de)activating an account."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from gridgov.common.errors import NotAuthenticated
from gridgov.common.redirects import safe_next
from gridgov.common.security import csrf_token_for
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.org import auth, sessions
from gridgov.org.deps import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    CSRF_HEADER,
    REFRESH_COOKIE,
    PrincipalDep,
    SessionDep,
    SettingsDep,
    cookie_token,
    oauth2,
    token_session,
)
from gridgov.org.models import User
from gridgov.org.sessions import Tokens

# signing in can fail on the credentials themselves (401) and on the throttle (429), with or without a caller
router = APIRouter(
    prefix="/api",
    tags=["auth"],
    responses={401: {"description": "用户名、密码或令牌无效"}, 429: {"description": "尝试过于频繁，请稍后再试"}},
)
REFRESH_PATH = "/api/auth"
HOMES = {
    "admin": "/admin",
    "leader": "/ioc",
    "dispatcher": "/dispatch",
    "community_staff": "/dispatch",
    "handler": "/handler",
    "grid_worker": "/grid",
    "resident": "/resident",
}


def source_of(request: Request) -> str:
    """The caller's address (X-Forwarded-For counts only through the trusted-proxy middleware)."""
    return request.client.host if request.client else "unknown"


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="秒")
    refresh_token: str | None = Field(description="换取新访问令牌（POST /api/auth/refresh），每次使用后轮换")
    role: str
    display_name: str
    must_change_password: bool


class SessionOut(BaseModel):
    role: str
    display_name: str
    must_change_password: bool
    access_expires_at: str
    csrf_token: str
    home: str
    next: str | None = None


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)
    next: str | None = Field(default=None, max_length=2000, description="登录后前往的本站路径")


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=256)


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


def _token_out(tokens: Tokens, settings: Settings) -> TokenOut:
    return TokenOut(
        access_token=tokens.access_token,
        expires_in=int(settings.access_token_minutes * 60),
        refresh_token=tokens.refresh_token,
        role=tokens.role,
        display_name=tokens.display_name,
        must_change_password=tokens.must_change_password,
    )


def _secure(request: Request, settings: Settings) -> bool:
    return settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"


def _set_cookies(response: Response, request: Request, settings: Settings, tokens: Tokens) -> SessionOut:
    secure = _secure(request, settings)
    access_age = max(int((tokens.access_expires_at - utcnow()).total_seconds()), 1)
    refresh_age = max(int((tokens.refresh_expires_at - utcnow()).total_seconds()), access_age)
    common: dict[str, Any] = {"secure": secure, "samesite": "strict"}
    response.set_cookie(ACCESS_COOKIE, tokens.access_token, max_age=access_age, httponly=True, path="/", **common)
    if tokens.refresh_token:
        response.set_cookie(
            REFRESH_COOKIE, tokens.refresh_token, max_age=refresh_age, httponly=True, path=REFRESH_PATH, **common
        )
    response.set_cookie(CSRF_COOKIE, tokens.csrf_token, max_age=refresh_age, httponly=False, path="/", **common)
    return SessionOut(
        role=tokens.role,
        display_name=tokens.display_name,
        must_change_password=tokens.must_change_password,
        access_expires_at=tokens.access_expires_at.isoformat(),
        csrf_token=tokens.csrf_token,
        home=HOMES.get(tokens.role, "/resident"),
    )


def _clear_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH)
    response.delete_cookie(CSRF_COOKIE, path="/")


def _log_in(
    request: Request, session: SessionDep, settings: Settings, username: str, password: str, client: str
) -> Tokens:
    source = source_of(request)
    with UnitOfWork(session):
        outcome = auth.attempt_login(session, settings, username, password, source)
        user = outcome.user
        tokens = sessions.open_session(session, settings, user, client=client, source=source) if user else None
    if outcome.error is not None or tokens is None:
        raise outcome.error or NotAuthenticated("用户名或密码错误", field="password")
    return tokens


@router.post("/auth/token", response_model=TokenOut, summary="登录（OAuth2 密码模式，机器客户端）")
def token_login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """A bearer access token (`expires_in` seconds) and a refresh token for POST /api/auth/refresh."""
    return _token_out(_log_in(request, session, settings, form.username, form.password, "bearer"), settings)


@router.post("/auth/login", response_model=SessionOut, summary="页面登录（HttpOnly Cookie + CSRF 令牌）")
def cookie_login(
    body: LoginIn, request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> SessionOut:
    tokens = _log_in(request, session, settings, body.username, body.password, "cookie")
    out = _set_cookies(response, request, settings, tokens)
    out.next = safe_next(body.next)
    return out


@router.post("/auth/refresh", summary="刷新访问令牌（轮换刷新令牌）")
def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[RefreshIn | None, Body()] = None,
) -> dict[str, Any]:
    """The pages send the refresh cookie (and X-CSRF-Token); machine clients send `refresh_token` in the body
    and get a new pair. A refresh token is used once: presenting an old one again ends the sign-in."""
    presented = body.refresh_token if body and body.refresh_token else None
    from_cookie = presented is None
    presented = presented or request.cookies.get(REFRESH_COOKIE)
    if not presented:
        raise NotAuthenticated("请先登录", field="refresh_token")
    if from_cookie:
        expected = csrf_token_for(settings.jwt_key, presented.partition(".")[0])
        if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), expected):
            raise NotAuthenticated("请求缺少有效的 CSRF 令牌，请重新登录", field=CSRF_HEADER)
    with UnitOfWork(session):
        outcome = sessions.refresh_session(session, settings, presented)
    if outcome.error is not None or outcome.tokens is None:
        if from_cookie:
            _clear_cookies(response)
        raise outcome.error or NotAuthenticated("登录已失效，请重新登录")
    if from_cookie:
        return _set_cookies(response, request, settings, outcome.tokens).model_dump()
    return _token_out(outcome.tokens, settings).model_dump()


def _bearer_or_cookie(request: Request, bearer: str | None) -> tuple[str | None, bool]:
    """The caller's access token and whether it came from the cookie."""
    if bearer:
        return bearer, False
    return cookie_token(request), True


@router.post("/auth/logout", status_code=204, summary="退出登录（终止本次登录的全部令牌）")
def logout(
    request: Request,
    response: Response,
    actor: PrincipalDep,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2)],
) -> Response:
    token, _ = _bearer_or_cookie(request, bearer)
    if token and actor.api_key_id is None:
        with UnitOfWork(session):
            auth.log_out(session, actor, token_session(request, token))
    _clear_cookies(response)
    response.status_code = 204
    return response


@router.post("/auth/password", summary="修改自己的密码（其他登录全部失效）")
def change_password(
    body: PasswordIn,
    request: Request,
    response: Response,
    actor: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(oauth2)],
) -> dict[str, Any]:
    """Every sign-in of the account ends (a stolen token stops working); the caller gets a new one: cookies for
    the pages, a new token pair for a bearer client."""
    _, from_cookie = _bearer_or_cookie(request, bearer)
    source = source_of(request)
    with UnitOfWork(session):
        outcome = auth.change_password(session, settings, actor, body.current_password, body.new_password, source)
        user = outcome.user
        client = "cookie" if from_cookie else "bearer"
        tokens = sessions.open_session(session, settings, user, client=client, source=source) if user else None
    if outcome.error is not None or tokens is None:
        raise outcome.error or NotAuthenticated("请先登录")
    if from_cookie:
        return _set_cookies(response, request, settings, tokens).model_dump()
    return _token_out(tokens, settings).model_dump()


class SetPasswordIn(BaseModel):
    password: str | None = Field(default=None, max_length=256, description="留空则生成；用户下次登录时须修改")


@router.post("/users/{user_id}/password", summary="设置用户密码（管理员；只显示一次，用户首次登录须修改）")
def set_password(user_id: int, body: SetPasswordIn, actor: PrincipalDep, session: SessionDep) -> dict[str, str]:
    with UnitOfWork(session):
        password = auth.set_password(session, actor, user_id, body.password)
    return {"password": password}


class ActiveIn(BaseModel):
    active: bool


@router.put("/users/{user_id}/active", summary="停用或启用用户（管理员；停用即终止其全部登录）")
def set_active(user_id: int, body: ActiveIn, actor: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    with UnitOfWork(session):
        user: User = auth.set_active(session, actor, user_id, body.active)
        return {"id": user.id, "active": user.active}
