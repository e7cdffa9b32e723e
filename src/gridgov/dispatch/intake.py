"""Intake: a report from any channel becomes a located, categorized case (and the grid worker's 自行处置)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.matcher import MatchResult
from gridgov.address.models import Address
from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.cache import CategoryInfo
from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.models import Attachment, Event
from gridgov.dispatch.rules import Action
from gridgov.dispatch.schemas import ReportIn
from gridgov.org import cache
from gridgov.org.spatial import grid_locator

UNCLASSIFIED_LEVEL = "street"  # the street center classifies what arrives without a category


def category_by_code(session: Session, code: str, field: str = "category_code") -> CategoryInfo:
    cat = catalog_cache.snapshot(session).by_code.get(code)
    if cat is None or cat.parent_id is None or not cat.active:
        raise InvalidInput(f"事件小类“{code}”不存在或已停用", field=field)
    return cat


@dataclass
class Location:
    """Where a report is: its grid (None when it could not be placed), point, standard address and confidence."""

    grid_id: int | None
    lon: float | None = None
    lat: float | None = None
    address_code: str | None = None
    confidence: float | None = None
    review: MatchResult | None = None  # a match too weak to trust: goes to the review queue


NEAREST_ADDRESS_M = 80.0


def _locate(session: Session, actor: Principal, data: ReportIn) -> Location:
    """grid code > coordinates (WGS-84, GCJ-02 or BD-09) > address text; the text is always translated when
    given, so the case gets its standard address; the coordinates find the nearest one otherwise."""
    from gridgov.address import library
    from gridgov.address.geo import convert

    snap = cache.snapshot(session)
    loc = Location(grid_id=None)
    if data.grid_code:
        grid_id = snap.by_code.get(data.grid_code)
        if grid_id is None or snap.divisions[grid_id].level != "grid":
            raise InvalidInput(f"网格代码“{data.grid_code}”不存在", field="grid_code")
        loc.grid_id = grid_id
    if data.lon is not None and data.lat is not None:
        lon, lat = convert(data.lon, data.lat, data.coord_system, "wgs84")
        loc.lon, loc.lat = round(lon, 6), round(lat, 6)
        if loc.grid_id is None:
            loc.grid_id = grid_locator(session).locate(loc.lon, loc.lat)
            if loc.grid_id is None:
                raise InvalidInput("坐标不在任何网格内，请核对位置和坐标系", field="lon")
    text = data.address_text.strip()
    if text or loc.lon is not None:
        eng = library.engines(session)
        if text:
            result = eng.matcher.match(text)
            if result.best is not None and not result.needs_review:
                loc.address_code, loc.confidence = result.best.code, round(result.confidence, 3)
            else:
                loc.review = result
        if loc.address_code is None and loc.lon is not None and loc.lat is not None:
            hit = eng.points.nearest(loc.lon, loc.lat, k=1, max_m=NEAREST_ADDRESS_M)
            if hit:
                loc.address_code = hit[0][0]
                loc.confidence = round(max(0.0, 1.0 - hit[0][1] / NEAREST_ADDRESS_M), 3)
        if loc.address_code is not None:
            rec = eng.records.get(loc.address_code)
            if rec is not None:
                if loc.lon is None and rec.lon is not None:
                    loc.lon, loc.lat = rec.lon, rec.lat
                if loc.grid_id is None:
                    grid_code = eng.grid_of(rec.code)
                    loc.grid_id = snap.by_code.get(grid_code) if grid_code else None
    if loc.grid_id is None and actor.role == Role.GRID_WORKER and len(actor.grid_ids) == 1:
        loc.grid_id = next(iter(actor.grid_ids))
    if loc.grid_id is None and not text:
        raise InvalidInput("请提供网格代码、经纬度或地址", field="grid_code")
    return loc


def _check_attachments(session: Session, hashes: list[str], uploaded: set[str] | None = None) -> None:
    """Every photo named must have been uploaded. `uploaded`: the hashes already looked up (a batch's, at once)."""
    if not hashes:
        return
    found = uploaded if uploaded is not None else uploaded_hashes(session, hashes)
    for h in hashes:
        if h not in found:
            raise InvalidInput(f"附件 {h[:12]}… 未上传", field="attachments")


def uploaded_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = set(hashes)
    if not wanted:
        return set()
    return set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(wanted))))


def report_event(session: Session, actor: Principal, data: ReportIn, now: datetime | None = None) -> tuple[Event, bool]:
    """Create a case. Returns (event, created); a retry with the same idempotency key returns the first one.
    One report is a batch of one: the same checks, locating and history as batch intake, written with a few
    plain inserts."""
    return _one(session, actor, data, now, self_handle=False)


def self_handle_event(
    session: Session, actor: Principal, data: ReportIn, now: datetime | None = None
) -> tuple[Event, bool]:
    """A grid worker reports and handles on the spot; someone else verifies it."""
    if not data.category_code:
        raise InvalidInput("自行处置需要选择事件小类", field="category_code")
    if not (data.result_note or "").strip():
        raise InvalidInput("请填写处置结果", field="result_note")
    return _one(session, actor, data, now, self_handle=True)


def _one(
    session: Session, actor: Principal, data: ReportIn, now: datetime | None, *, self_handle: bool
) -> tuple[Event, bool]:
    from gridgov.dispatch.bulk import intake_batch

    result = intake_batch(session, actor, [data], now=now or utcnow(), single=True, self_handle=self_handle)[0]
    event = session.get(Event, result.event_id)
    assert event is not None
    return event, result.created


def _root_id(snap: cache.OrgSnapshot) -> int:
    return next(d.id for d in snap.divisions.values() if d.parent_id is None)


def attach_address(
    session: Session, actor: Principal, event_id: int, address: Address, confidence: float, now: datetime
) -> Event:
    """Give a case its confirmed standard address; a case not yet placed also gets its grid and tier.
    Does not commit (the review resolution owns the transaction)."""
    from gridgov.address import library

    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("事件不存在", field="event_id")
    eng = library.engines(session)
    snap = cache.snapshot(session)
    data: dict[str, object] = {"address": address.code, "confidence": confidence}
    event.address_id, event.address_confidence = address.id, confidence
    if event.lon is None and address.lon is not None:
        event.lon, event.lat = address.lon, address.lat
    if event.grid_id is None:
        grid_code = eng.grid_of(address.code)
        grid_id = snap.by_code.get(grid_code) if grid_code else None
        if grid_id is not None:
            grid = snap.divisions[grid_id]
            event.grid_id, event.division_path, event.area_class = grid_id, grid.path, grid.area_class
            event.owner_division_id = snap.ancestor_at(grid_id, event.level)
            data["grid"] = grid.code
    apply_transition(session, actor, event, Action.LOCATE, now, note=address.full_name, data=data)
    return event


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


def reveal_phone(session: Session, actor: Principal, event_id: int) -> str:
    """The reporter's full phone number, for callers allowed to unmask PII; every read is audited."""
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看完整手机号")
    event = load_visible(session, actor, event_id)
    if event.reporter_phone_enc is None:
        raise NotFound("该事件没有上报人手机号", field="event_id")
    phone = pii_cipher(settings_of(session).pii_secret).decrypt(event.reporter_phone_enc)
    record_audit(session, actor, "pii.read", "event", event_id, {"field": "reporter_phone"})
    session.commit()
    return phone


def report_public_event(session: Session, actor: Principal, data: ReportIn, token_digest: str) -> Event:
    """An anonymous report; `token_digest` (SHA-256 of the follow-up token) is the only key to the case. A
    repeated submission (same idempotency key) gets the new token: the caller lost the first answer."""
    if actor.public_scope is None:
        raise Forbidden("仅限免登录上报")
    event, _created = report_event(session, actor, data)
    event.public_token_digest = token_digest
    record_audit(session, actor, "event.public_token", "event", event.id, {})
    session.commit()
    return event
