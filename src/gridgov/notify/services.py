"""The actions of the notifications context, one service per action: check who may, change, write the audit
row, publish the domain event. They never commit (the entrypoint's unit of work does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import published
from gridgov.common.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.notify import templates
from gridgov.notify.models import Notification, NotifyPreference, NotifyTemplate
from gridgov.notify.rules import Kind, parse_hhmm
from gridgov.notify.schemas import PreferencesIn, TemplateIn


@published("audit_action")
class NotifyAudit(AuditAction):
    READ = ("notify.read", "标记通知已读")
    PREFERENCES = ("notify.preferences", "修改通知偏好")
    TEMPLATE = ("notify.template", "修改通知模板")
    TEMPLATE_RESET = ("notify.template_reset", "恢复默认通知模板")


def _user(actor: Principal) -> int:
    if actor.user_id is None:
        raise NotAuthenticated("请先登录")
    return actor.user_id


def mark_read(session: Session, actor: Principal, ids: list[int] | None, now: datetime | None = None) -> int:
    """Mark the caller's own notifications read (the ones listed, or all); returns how many changed."""
    user_id = _user(actor)
    now = now or utcnow()
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.inbox_at.is_not(None), Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    changed = int(session.connection().execute(stmt.values(read_at=now)).rowcount)
    detail: dict[str, Any] = {"ids": ids if ids is not None else "all", "changed": changed}
    record_audit(session, actor, NotifyAudit.READ, "app_user", user_id, detail)
    bus.publish(session, "notify.read", "app_user", user_id, detail, actor=actor, at=now)
    return changed


def set_preferences(session: Session, actor: Principal, body: PreferencesIn) -> NotifyPreference:
    user_id = _user(actor)
    for field, value in (("quiet_start", body.quiet_start), ("quiet_end", body.quiet_end)):
        if value:
            try:
                parse_hhmm(value, field)
            except ValueError as exc:
                raise InvalidInput(str(exc), field=field) from None
    if bool(body.quiet_start) != bool(body.quiet_end):
        raise InvalidInput(
            "免打扰时段需同时填写开始和结束时间", field="quiet_end" if body.quiet_start else "quiet_start"
        )
    pref = session.get(NotifyPreference, user_id, with_for_update=True)
    if pref is None:
        pref = NotifyPreference(user_id=user_id, channels={})
        session.add(pref)
    pref.channels = {k.value: [c.value for c in v] for k, v in body.channels.items()}
    pref.quiet_start, pref.quiet_end = body.quiet_start or None, body.quiet_end or None
    if body.email is not None:
        pref.email_enc = pii_cipher(settings_of(session).pii_secret).encrypt(body.email) if body.email else None
    pref.updated_at = utcnow()
    detail = {
        "kinds": sorted(pref.channels),
        "quiet": [pref.quiet_start, pref.quiet_end],
        "email": body.email is not None,
    }
    record_audit(session, actor, NotifyAudit.PREFERENCES, "app_user", user_id, detail)
    bus.publish(session, "notify.preferences_changed", "app_user", user_id, detail, actor=actor)
    return pref


def _admin(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以修改通知模板")


def set_template(session: Session, actor: Principal, kind: Kind, body: TemplateIn) -> templates.Template:
    _admin(actor)
    for field, text in (("title", body.title), ("body", body.body)):
        try:
            templates.check(text, field)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=field) from None
    row = session.get(NotifyTemplate, kind.value, with_for_update=True)
    if row is None:
        row = NotifyTemplate(kind=kind.value, title=body.title, body=body.body)
        session.add(row)
    row.title, row.body, row.updated_at, row.updated_by = body.title, body.body, utcnow(), actor.user_id
    record_audit(session, actor, NotifyAudit.TEMPLATE, "notify_template", kind.value, {"title": body.title})
    bus.publish(session, "notify.template_changed", "notify_template", 0, {"kind": kind.value}, actor=actor)
    return templates.Template(kind, body.title, body.body, True)


def reset_template(session: Session, actor: Principal, kind: Kind) -> templates.Template:
    _admin(actor)
    row = session.get(NotifyTemplate, kind.value, with_for_update=True)
    if row is None:
        raise NotFound("该通知模板未被修改，已是默认模板", field="kind")
    session.delete(row)
    record_audit(session, actor, NotifyAudit.TEMPLATE_RESET, "notify_template", kind.value)
    bus.publish(
        session, "notify.template_changed", "notify_template", 0, {"kind": kind.value, "reset": True}, actor=actor
    )
    title, text = templates.defaults()[kind]
    return templates.Template(kind, title, text, False)


# --- reads -------------------------------------------------------------------------------------------------


def my_notifications(
    session: Session, actor: Principal, *, unread_only: bool = False, limit: int = 20, before_id: int | None = None
) -> list[Notification]:
    """The caller's own bell: nobody reads another person's notifications, whatever his role."""
    stmt = select(Notification).where(Notification.user_id == _user(actor), Notification.inbox_at.is_not(None))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, actor: Principal) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == _user(actor), Notification.inbox_at.is_not(None), Notification.read_at.is_(None)
    )
    return int(session.scalar(stmt) or 0)


def preferences_of(session: Session, actor: Principal) -> NotifyPreference | None:
    return session.get(NotifyPreference, _user(actor))
