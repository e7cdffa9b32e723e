"""HTTP entry points: login, the caller, the org tree, departments, users and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.fields import NonBlank
from gridgov.common.principal import Role
from gridgov.common.security import mask_phone, pii_cipher
from gridgov.common.uow import UnitOfWork
from gridgov.org import cache, services
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep
from gridgov.org.models import Division, User

router = APIRouter(prefix="/api", tags=["org"])


@router.get("/me", summary="当前用户")
def me(actor: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    snap = cache.snapshot(session)
    division = snap.divisions.get(actor.division_id) if actor.division_id is not None else None
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "must_change_password": services.must_change_password(session, actor),
        "role": actor.role.value,
        "role_label": actor.role.label,
        "division_id": actor.division_id,
        "division_code": division.code if division else None,
        "division_name": division.name if division else None,
        "division_level": division.level if division else None,
        "department_id": actor.department_id,
        "department_name": snap.dept_names.get(actor.department_id) if actor.department_id else None,
        "grid_ids": sorted(actor.grid_ids),
        "grids": [
            {"id": g, "code": snap.divisions[g].code, "name": snap.divisions[g].name}
            for g in sorted(actor.grid_ids)
            if g in snap.divisions
        ],
    }


class DivisionOut(BaseModel):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    area_class: str
    center: tuple[float, float] | None
    demo_geometry: bool
    code_is_official: bool
    geometry: dict[str, Any] | None = None


def _div(d: Division, geometry: bool) -> DivisionOut:
    center = (d.center_lon, d.center_lat) if d.center_lon is not None and d.center_lat is not None else None
    return DivisionOut(
        id=d.id,
        code=d.code,
        name=d.name,
        level=d.level,
        parent_id=d.parent_id,
        area_class=d.area_class,
        center=center,
        demo_geometry=d.demo_geometry,
        code_is_official=d.code_is_official,
        geometry=d.geometry if geometry else None,
    )


@router.get("/org/divisions", response_model=list[DivisionOut], summary="区划与网格（按上级或层级）")
def divisions(
    session: SessionDep,
    _actor: PrincipalDep,
    parent_code: str | None = None,
    level: str | None = None,
    geometry: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[DivisionOut]:
    stmt = select(Division)
    if parent_code:
        parent = session.scalar(select(Division).where(Division.code == parent_code))
        if parent is None:
            raise NotFound(f"区划代码“{parent_code}”不存在", field="parent_code")
        stmt = stmt.where(Division.parent_id == parent.id)
    elif not level:
        stmt = stmt.where(Division.parent_id.is_(None))
    if level:
        stmt = stmt.where(Division.level == level)
    return [_div(d, geometry) for d in session.scalars(stmt.order_by(Division.code).limit(limit))]


@router.get("/org/divisions/{code}", response_model=DivisionOut, summary="区划详情（含边界）")
def division(code: str, session: SessionDep, _actor: PrincipalDep) -> DivisionOut:
    d = session.scalar(select(Division).where(Division.code == code))
    if d is None:
        raise NotFound(f"区划代码“{code}”不存在", field="code")
    return _div(d, True)


class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=128)
    display_name: NonBlank = Field(min_length=1, max_length=64)
    role: Role
    division_code: str | None = None
    department_code: str | None = None
    grid_codes: list[str] = []
    phone: str | None = Field(default=None, max_length=20)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    division_id: int | None
    department_id: int | None
    phone: str | None


def _user(u: User, cipher_secret: str) -> UserOut:
    phone = mask_phone(pii_cipher(cipher_secret).decrypt(u.phone_enc)) if u.phone_enc else None
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        division_id=u.division_id,
        department_id=u.department_id,
        phone=phone,
    )


@router.get("/users", response_model=list[UserOut], summary="用户列表（管理员）")
def users(
    session: SessionDep,
    actor: PrincipalDep,
    settings: SettingsDep,
    role: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UserOut]:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以查看用户")
    stmt = select(User).order_by(User.id).limit(limit).offset(offset)
    if role:
        stmt = stmt.where(User.role == role)
    return [_user(u, settings.pii_secret) for u in session.scalars(stmt)]


@router.post("/users", response_model=UserOut, status_code=201, summary="新建用户（管理员）")
def create_user(body: UserIn, session: SessionDep, actor: PrincipalDep, settings: SettingsDep) -> UserOut:
    with UnitOfWork(session):
        user = services.create_user(
            session,
            actor,
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role=body.role,
            division_code=body.division_code,
            department_code=body.department_code,
            grid_codes=body.grid_codes,
            phone=body.phone,
        )
    return _user(user, settings.pii_secret)


@router.get("/users/{user_id}/phone", summary="查看完整手机号（留痕）")
def user_phone(user_id: int, session: SessionDep, actor: PrincipalDep) -> dict[str, str]:
    with UnitOfWork(session):
        return {"phone": services.reveal_phone(session, actor, user_id)}


class ApiKeyIn(BaseModel):
    name: NonBlank = Field(min_length=1, max_length=64)


@router.post("/users/{user_id}/api-keys", status_code=201, summary="签发 API 密钥（只显示一次）")
def new_key(user_id: int, body: ApiKeyIn, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    with UnitOfWork(session):
        key, plaintext = services.issue_api_key(session, actor, user_id, body.name)
    return {"id": key.id, "prefix": key.prefix, "api_key": plaintext}


@router.delete("/api-keys/{key_id}", status_code=204, summary="吊销 API 密钥")
def revoke_key(key_id: int, session: SessionDep, actor: PrincipalDep) -> None:
    with UnitOfWork(session):
        services.revoke_api_key(session, actor, key_id)
