"""`/api/notify`: the caller's own bell (list, unread count, mark read), his preferences, and the admin's
templates. Every read is the caller's own: there is no way to ask for another person's notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gridgov.common.errors import Forbidden
from gridgov.common.principal import Principal, Role
from gridgov.common.security import pii_cipher
from gridgov.common.uow import UnitOfWork
from gridgov.notify import services, templates
from gridgov.notify.models import Notification, NotifyPreference
from gridgov.notify.planner import configured_channels
from gridgov.notify.rules import DEFAULT_CHANNELS, Kind
from gridgov.notify.schemas import (
    InboxOut,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    ReadIn,
    TemplateIn,
    TemplateOut,
    mask_email,
)
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/notify", tags=["notify"])


def _out(n: Notification) -> NotificationOut:
    kind = Kind(n.kind)
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        kind_label=kind.label,
        urgent=n.urgent,
        title=n.title,
        body=n.body,
        link=n.link,
        case_id=n.case_id,
        created_at=n.created_at,
        read=n.read_at is not None,
    )


@router.get("/inbox", response_model=InboxOut, summary="我的通知（未读数与最近的通知）")
def inbox(
    session: SessionDep,
    actor: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    unread_only: bool = False,
    before_id: int | None = None,
) -> InboxOut:
    items = services.my_notifications(session, actor, unread_only=unread_only, limit=limit, before_id=before_id)
    return InboxOut(unread=services.unread_count(session, actor), items=[_out(n) for n in items])


@router.get("/unread", summary="我的未读通知数")
def unread(session: SessionDep, actor: PrincipalDep) -> dict[str, int]:
    return {"unread": services.unread_count(session, actor)}


@router.post("/read", summary="标记已读（指定的或全部）")
def read(body: ReadIn, session: SessionDep, actor: PrincipalDep) -> dict[str, int]:
    with UnitOfWork(session):
        changed = services.mark_read(session, actor, body.ids)
    return {"changed": changed, "unread": services.unread_count(session, actor)}


def _preferences(pref: NotifyPreference | None, secret: str, available: list[str]) -> PreferencesOut:
    chosen = dict(pref.channels) if pref else {}
    email = pii_cipher(secret).decrypt(pref.email_enc) if pref and pref.email_enc else None
    return PreferencesOut(
        channels={k.value: list(chosen.get(k.value, [c.value for c in DEFAULT_CHANNELS[k]])) for k in Kind},
        chosen=sorted(chosen),
        quiet_start=pref.quiet_start if pref else None,
        quiet_end=pref.quiet_end if pref else None,
        email=mask_email(email) if email else None,
        available=available,
    )


@router.get("/preferences", response_model=PreferencesOut, summary="我的通知偏好")
def preferences(session: SessionDep, actor: PrincipalDep, settings: SettingsDep) -> PreferencesOut:
    available = sorted(c.value for c in configured_channels(settings))
    return _preferences(services.preferences_of(session, actor), settings.pii_secret, available)


@router.put("/preferences", response_model=PreferencesOut, summary="修改我的通知偏好（渠道、免打扰、邮箱）")
def put_preferences(
    body: PreferencesIn, session: SessionDep, actor: PrincipalDep, settings: SettingsDep
) -> PreferencesOut:
    with UnitOfWork(session):
        pref = services.set_preferences(session, actor, body)
        available = sorted(c.value for c in configured_channels(settings))
        out = _preferences(pref, settings.pii_secret, available)
    return out


def _template(t: templates.Template) -> TemplateOut:
    title, body = templates.defaults()[t.kind]
    return TemplateOut(
        kind=t.kind.value,
        kind_label=t.kind.label,
        title=t.title,
        body=t.body,
        changed=t.changed,
        default_title=title,
        default_body=body,
        variables=sorted(templates.SAMPLE),
    )


def _admin_only(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以查看通知模板")


@router.get("/templates", response_model=list[TemplateOut], summary="通知模板（管理员）")
def list_templates(session: SessionDep, actor: PrincipalDep) -> list[TemplateOut]:
    _admin_only(actor)
    return [_template(t) for t in templates.current(session).values()]


@router.put("/templates/{kind}", response_model=TemplateOut, summary="修改通知模板（管理员）")
def put_template(kind: Kind, body: TemplateIn, session: SessionDep, actor: PrincipalDep) -> TemplateOut:
    with UnitOfWork(session):
        return _template(services.set_template(session, actor, kind, body))


@router.delete("/templates/{kind}", response_model=TemplateOut, summary="恢复默认通知模板（管理员）")
def delete_template(kind: Kind, session: SessionDep, actor: PrincipalDep) -> TemplateOut:
    with UnitOfWork(session):
        return _template(services.reset_template(session, actor, kind))
