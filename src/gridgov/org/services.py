"""Org actions: log in, principals, users, grid assignments and API keys (each checks and audits; the caller
commits)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditAction, CommonAudit, record_audit
from gridgov.common.choices import published
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.security import (
    api_key_digest,
    hash_password,
    new_api_key,
    normalize_phone,
    pii_cipher,
)
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.org import cache
from gridgov.org.models import ApiKey, Department, Division, GridAssignment, User


@published("audit_action")
class OrgAudit(AuditAction):
    USER_CREATE = ("user.create", "新建用户")
    API_KEY_ISSUE = ("api_key.issue", "签发 API 密钥")
    API_KEY_REVOKE = ("api_key.revoke", "吊销 API 密钥")


def principal_for(session: Session, user: User, api_key_id: int | None = None) -> Principal:
    grids: frozenset[int] = frozenset()
    if user.role == Role.GRID_WORKER:
        grids = frozenset(
            session.scalars(select(GridAssignment.grid_id).where(GridAssignment.user_id == user.id)).all()
        )
    path = None
    if user.division_id is not None:
        path = cache.snapshot(session).divisions[user.division_id].path
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        division_id=user.division_id,
        division_path=path,
        department_id=user.department_id,
        grid_ids=grids,
        api_key_id=api_key_id,
        can_unmask_pii=user.can_unmask_pii,
    )


def must_change_password(session: Session, actor: Principal) -> bool:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return bool(user and user.must_change_password)


def user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotAuthenticated("用户不存在或已停用")
    return user


def principal_from_api_key(session: Session, plaintext: str) -> Principal:
    key = session.scalar(select(ApiKey).where(ApiKey.digest == api_key_digest(plaintext)))
    if key is None or key.revoked_at is not None:
        raise NotAuthenticated("API 密钥无效或已吊销", field="X-API-Key")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= API_KEY_USE_RESOLUTION:
        # to the minute: a machine client posting alarms every few milliseconds must not add a write (and,
        # on SQLite, a wait for the write lock) to each of its requests
        key.last_used_at = now
    return principal_for(session, user_by_id(session, key.user_id), api_key_id=key.id)


API_KEY_USE_RESOLUTION = timedelta(minutes=1)  # how exactly an API key's last use is recorded


def _require_admin(actor: Principal) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以执行此操作")


def create_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    division_code: str | None = None,
    department_code: str | None = None,
    grid_codes: list[str] | None = None,
    phone: str | None = None,
) -> User:
    _require_admin(actor)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名“{username}”已存在", field="username")
    if len(password) < 8:
        raise InvalidInput("密码至少 8 位", field="password")
    # the admin chose this password: the account chooses its own at the first login
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=hash_password(password),
        must_change_password=True,
    )
    if division_code:
        div = session.scalar(select(Division).where(Division.code == division_code))
        if div is None:
            raise InvalidInput(f"区划代码“{division_code}”不存在", field="division_code")
        user.division_id = div.id
    if department_code:
        dept = session.scalar(select(Department).where(Department.code == department_code))
        if dept is None:
            raise InvalidInput(f"部门代码“{department_code}”不存在", field="department_code")
        user.department_id = dept.id
        user.division_id = user.division_id or dept.division_id
    if role in (Role.DISPATCHER, Role.LEADER, Role.COMMUNITY_STAFF) and user.division_id is None:
        raise InvalidInput("该角色需要指定管辖区划", field="division_code")
    if role == Role.HANDLER and user.department_id is None:
        raise InvalidInput("部门处置人员需要指定部门", field="department_code")
    if phone:
        cipher = pii_cipher(settings_of(session).pii_secret)
        user.phone_enc, user.phone_index = cipher.encrypt(normalize_phone(phone)), cipher.blind_index(phone)
    session.add(user)
    session.flush()
    for code in grid_codes or []:
        grid = session.scalar(select(Division).where(Division.code == code, Division.level == "grid"))
        if grid is None:
            raise InvalidInput(f"网格代码“{code}”不存在", field="grid_codes")
        session.add(GridAssignment(user_id=user.id, grid_id=grid.id))
    record_audit(session, actor, OrgAudit.USER_CREATE, "user", user.id, {"username": username, "role": role.value})
    return user


def issue_api_key(session: Session, actor: Principal, user_id: int, name: str) -> tuple[ApiKey, str]:
    """Returns the stored key and its plaintext, which is shown once and never stored."""
    _require_admin(actor)
    if session.get(User, user_id) is None:
        raise NotFound("用户不存在", field="user_id")
    fresh = new_api_key()
    key = ApiKey(user_id=user_id, name=name, prefix=fresh.prefix, digest=fresh.digest)
    session.add(key)
    session.flush()
    record_audit(session, actor, OrgAudit.API_KEY_ISSUE, "api_key", key.id, {"user_id": user_id, "name": name})
    return key, fresh.plaintext


def revoke_api_key(session: Session, actor: Principal, key_id: int) -> None:
    _require_admin(actor)
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API 密钥不存在", field="key_id")
    key.revoked_at = utcnow()
    record_audit(session, actor, OrgAudit.API_KEY_REVOKE, "api_key", key.id, {})


def reveal_phone(session: Session, actor: Principal, user_id: int) -> str:
    """Unmasked phone number, for privileged callers only; every read is audited."""
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看完整手机号")
    user = session.get(User, user_id)
    if user is None or user.phone_enc is None:
        raise NotFound("无手机号记录", field="user_id")
    record_audit(session, actor, CommonAudit.PII_READ, "user", user_id, {"field": "phone"})
    return pii_cipher(settings_of(session).pii_secret).decrypt(user.phone_enc)
