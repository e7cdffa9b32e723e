"""Intake: a report from any channel becomes a located, categorized case (and the grid worker's 自行处置)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.security import normalize_phone, pii_cipher
from gridgov.common.timeutil import to_local, utcnow
from gridgov.config import get_settings
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.models import Attachment, Event, EventTask, TaskRole, TaskStatus
from gridgov.dispatch.rules import Action
from gridgov.dispatch.schemas import ReportIn
from gridgov.org import cache
from gridgov.org.spatial import GridLocator

UNCLASSIFIED_LEVEL = "street"  # the street center classifies what arrives without a category


_locators: dict[str, GridLocator] = {}


def grid_locator(session: Session) -> GridLocator:
    key = str(session.get_bind().engine.url)
    loc = _locators.get(key)
    if loc is None:
        loc = GridLocator.load(session)
        _locators[key] = loc
    return loc


def reset_locator() -> None:
    _locators.clear()


def category_by_code(session: Session, code: str, field: str = "category_code") -> EventCategory:
    cat = session.scalar(select(EventCategory).where(EventCategory.code == code))
    if cat is None or cat.parent_id is None or not cat.active:
        raise InvalidInput(f"事件小类“{code}”不存在或已停用", field=field)
    return cat


def _locate(session: Session, actor: Principal, data: ReportIn) -> int:
    snap = cache.snapshot(session)
    if data.grid_code:
        grid_id = snap.by_code.get(data.grid_code)
        if grid_id is None or snap.divisions[grid_id].level != "grid":
            raise InvalidInput(f"网格代码“{data.grid_code}”不存在", field="grid_code")
        return grid_id
    if data.lon is not None and data.lat is not None:
        found = grid_locator(session).locate(data.lon, data.lat)
        if found is None:
            raise InvalidInput("坐标不在任何网格内，请核对位置（WGS-84 经纬度）", field="lon")
        return found
    if actor.role == Role.GRID_WORKER and len(actor.grid_ids) == 1:
        return next(iter(actor.grid_ids))
    raise InvalidInput("请提供网格代码或经纬度", field="grid_code")


def _check_attachments(session: Session, hashes: list[str]) -> None:
    if not hashes:
        return
    found = set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(hashes))))
    for h in hashes:
        if h not in found:
            raise InvalidInput(f"附件 {h[:12]}… 未上传", field="attachments")


def _existing(session: Session, actor: Principal, key: str | None) -> Event | None:
    if key is None:
        return None
    return session.scalar(
        select(Event).where(Event.idem_scope == actor.idempotency_scope, Event.idempotency_key == key)
    )


def report_event(session: Session, actor: Principal, data: ReportIn, now: datetime | None = None) -> tuple[Event, bool]:
    """Create a case. Returns (event, created); a retry with the same idempotency key returns the first one."""
    return _create(session, actor, data, Action.REPORT, now or utcnow())


def self_handle_event(
    session: Session, actor: Principal, data: ReportIn, now: datetime | None = None
) -> tuple[Event, bool]:
    """A grid worker reports and handles on the spot; someone else verifies it."""
    if not data.category_code:
        raise InvalidInput("自行处置需要选择事件小类", field="category_code")
    if not (data.result_note or "").strip():
        raise InvalidInput("请填写处置结果", field="result_note")
    return _create(session, actor, data, Action.SELF_HANDLE, now or utcnow())


def _create(session: Session, actor: Principal, data: ReportIn, action: Action, now: datetime) -> tuple[Event, bool]:
    found = _existing(session, actor, data.idempotency_key)
    if found is not None:
        return found, False
    category = category_by_code(session, data.category_code) if data.category_code else None
    if action == Action.SELF_HANDLE and category is not None and not category.self_handle:
        raise Forbidden(f"“{category.name}”不允许网格员自行处置，请正常上报", field="category_code")
    grid_id = _locate(session, actor, data)
    if actor.role == Role.GRID_WORKER and grid_id not in actor.grid_ids:
        raise Forbidden("网格员只能上报本人负责网格内的事件", field="grid_code")
    _check_attachments(session, data.attachments)
    snap = cache.snapshot(session)
    grid = snap.divisions[grid_id]
    level = category.default_level if category else UNCLASSIFIED_LEVEL
    if action == Action.SELF_HANDLE:
        level = "grid"
    event = Event(
        title=data.title,
        description=data.description,
        channel=data.channel.value,
        category_id=category.id if category else None,
        status="",
        level=level,
        grid_id=grid_id,
        division_path=grid.path,
        owner_division_id=snap.ancestor_at(grid_id, level),
        area_class=grid.area_class,
        address_text=data.address_text,
        lon=data.lon,
        lat=data.lat,
        reporter_id=actor.user_id,
        idem_scope=actor.idempotency_scope if data.idempotency_key else None,
        idempotency_key=data.idempotency_key,
        reported_at=now,
        updated_at=now,
    )
    if data.reporter_phone:
        cipher = pii_cipher(get_settings().pii_secret)
        event.reporter_phone_enc = cipher.encrypt(normalize_phone(data.reporter_phone))
        event.reporter_phone_index = cipher.blind_index(data.reporter_phone)
    session.add(event)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        again = _existing(session, actor, data.idempotency_key)
        if again is None:
            raise
        return again, False
    event.number = f"{to_local(now):%Y%m%d}{event.id:08d}"
    apply_transition(
        session,
        actor,
        event,
        action,
        now,
        note=data.result_note if action == Action.SELF_HANDLE else None,
        attachments=data.attachments,
    )
    if action == Action.SELF_HANDLE:
        event.self_handled = True
        event.handled_by_id = actor.user_id
        event.handled_at = now
        event.result_note = data.result_note
        session.add(
            EventTask(
                event_id=event.id,
                role=TaskRole.LEAD.value,
                grid_id=grid_id,
                status=TaskStatus.REPORTED.value,
                note=data.result_note,
                created_at=now,
                done_at=now,
            )
        )
    session.commit()
    return event, True


def load_visible(session: Session, actor: Principal, event_id: int, for_update: bool = False) -> Event:
    """The event if the actor may see it; otherwise 404 (existence is not revealed)."""
    from gridgov.dispatch.scope import event_scope

    stmt = select(Event).where(Event.id == event_id, event_scope(actor))
    if for_update:
        stmt = stmt.with_for_update()
    event = session.scalar(stmt)
    if event is None:
        raise NotFound("事件不存在或无权查看", field="event_id")
    return event
