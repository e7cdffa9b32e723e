"""Reporting without an account (随手拍): a resident reports with a phone number to follow up, and gets a
case number and a secret follow-up token to track the case, rate it or ask for it to be redone.

No login, so: rate limits per client address and per phone number, smaller uploads, and the token (stored
only as its SHA-256 digest) is the only key to the case.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.fields import NonBlank
from gridgov.common.principal import Principal, Role
from gridgov.common.ratelimit import RateLimiter, limit_at_edge
from gridgov.common.security import normalize_phone, pii_cipher
from gridgov.common.uow import UnitOfWork, atomic_retrying_a_race
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.attachments import path_for, store_attachment
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.images import download_headers
from gridgov.dispatch.intake import submit
from gridgov.dispatch.locate import place_notice
from gridgov.dispatch.models import Attachment, Channel, Event
from gridgov.dispatch.public_view import public_steps
from gridgov.dispatch.queues import history
from gridgov.dispatch.rules import Status
from gridgov.dispatch.schemas import NoteIn, PointIn, RateIn
from gridgov.org import cache
from gridgov.org.deps import SessionDep, SettingsDep

router = APIRouter(
    prefix="/api/public", tags=["public"], responses={429: {"description": "请求过于频繁（按来源与手机号限流）"}}
)
PHONE = re.compile(r"^1[3-9]\d{9}$")
PUBLIC_UPLOAD_BYTES = 5 * 1024 * 1024
# Per-address limits at the edge (common.ratelimit.LimitBeforeBody, before the body is read or parsed); the
# per-phone limit needs the parsed body and stays in the route.
per_ip_reports = limit_at_edge(RateLimiter("public_report_ip", limit=20, window_seconds=600), "/api/public/events")
per_phone_reports = RateLimiter("public_report_phone", limit=5, window_seconds=600)
per_ip_uploads = limit_at_edge(RateLimiter("public_upload_ip", limit=30, window_seconds=600), "/api/public/attachments")
per_ip_follow = limit_at_edge(
    RateLimiter("public_follow_ip", limit=120, window_seconds=600), "/api/public/events/", method=None, prefix=True
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _followup_token(secret: str, idem_scope: str, idempotency_key: str | None) -> str:
    """The follow-up token of a submission. With an idempotency key it is derived from the key within the
    phone's scope (an HMAC under the server's secret), so a replay answers the very token of the first answer and
    the first stays valid; without one each submission is a new case with a random token."""
    if idempotency_key is None:
        return secrets.token_urlsafe(24)
    mac = hmac.new(secret.encode(), f"followup\0{idem_scope}\0{idempotency_key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")


class PublicReportIn(BaseModel):
    title: NonBlank = Field(min_length=1, max_length=200, description="看到了什么问题")
    description: str = Field(default="", max_length=2000)
    phone: str = Field(description="手机号，用于回访", max_length=20)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    coord_system: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address_text: str = Field(default="", max_length=300)
    attachments: list[str] = Field(default_factory=list, max_length=3)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=128)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        v = normalize_phone(v)
        if not PHONE.fullmatch(v):
            raise ValueError("请输入 11 位手机号")
        return v


class PublicReceipt(BaseModel):
    number: str
    token: str = Field(description="查询凭证：请妥善保存，凭案件编号和凭证查询进度、评价")
    status: str
    status_label: str
    place_needed: bool = Field(default=False, description="地址未能定位：请在地图上标出位置")
    place_note: str | None = None


class PublicStep(BaseModel):
    action: str
    label: str
    at: datetime
    note: str | None
    photos: list[str] = Field(default_factory=list, description="照片 sha256，凭凭证下载")


class PublicCase(BaseModel):
    number: str
    title: str
    status: str
    status_label: str
    reported_at: datetime
    closed_at: datetime | None
    result_note: str | None
    rating: int | None
    rating_comment: str | None
    can_rate: bool
    can_reopen: bool
    place_needed: bool = False
    place_note: str | None = None
    steps: list[PublicStep]


def _public_principal(scope: str | None = None, event_id: int | None = None) -> Principal:
    return Principal(user_id=None, username="public", role=Role.RESIDENT, public_scope=scope, public_event_id=event_id)


@router.post("/attachments", status_code=201, summary="上传照片（免登录，≤5MB）")
async def public_upload(
    session: SessionDep, settings: SettingsDep, file: Annotated[UploadFile, File()]
) -> dict[str, str | int]:
    data = await file.read(PUBLIC_UPLOAD_BYTES + 1)
    limit = min(PUBLIC_UPLOAD_BYTES, settings.max_upload_bytes)
    with UnitOfWork(session):
        row = store_attachment(session, _public_principal(), data, settings.attachments_dir, limit)
    return {"sha256": row.sha256, "content_type": row.content_type, "size": row.size}


@router.post("/events", response_model=PublicReceipt, status_code=201, summary="随手拍：免登录上报")
def public_report(body: PublicReportIn, session: SessionDep, settings: SettingsDep) -> PublicReceipt:
    scope = pii_cipher(settings.pii_secret).blind_index(body.phone)[:32]
    per_phone_reports.hit(scope)  # keyed by the blind index: the counter table never holds the number
    if body.lon is None and not body.address_text.strip():
        raise InvalidInput("请允许定位或填写地址", field="address_text")
    actor = _public_principal(scope=scope)
    token = _followup_token(settings.pii_secret, actor.idempotency_scope, body.idempotency_key)
    command = IntakeCommand(
        title=body.title,
        description=body.description,
        channel=Channel.PHOTO,
        lon=body.lon,
        lat=body.lat,
        coord_system=body.coord_system,
        address_text=body.address_text,
        reporter_phone=body.phone,
        attachments=tuple(body.attachments),
        idempotency_key=body.idempotency_key,
        followup_token_digest=_digest(token),
    )
    result = atomic_retrying_a_race(session, lambda: submit(session, actor, command))
    event = session.get(Event, result.event_id)
    assert event is not None
    status = Status(event.status)
    needed, note = place_notice(cache.snapshot(session), event.grid_id, event.status, event.owner_division_id)
    return PublicReceipt(
        number=event.number or "",
        token=token,
        status=status.value,
        status_label=status.label,
        place_needed=needed,
        place_note=note,
    )


def _holder(session: Session, number: str, token: str) -> tuple[Event, Principal]:
    event = session.scalar(select(Event).where(Event.number == number))
    if (
        event is None
        or not event.public_token_digest
        or not hmac.compare_digest(event.public_token_digest, _digest(token))
    ):
        raise NotFound("案件编号或查询凭证不正确", field="token")
    return event, _public_principal(event_id=event.id)


def _as_holder(
    session: Session, number: str, token: str, act: Callable[[Session, Principal, int], object]
) -> PublicCase:
    """One step the receipt's holder takes on their case (rate, reopen, place): checked, one unit of work (the
    address's limit was counted at the edge)."""
    event, actor = _holder(session, number, token)
    with UnitOfWork(session):
        act(session, actor, event.id)
    return _case(session, event)


def _case(session: Session, event: Event) -> PublicCase:
    status = Status(event.status)
    needed, note = place_notice(cache.snapshot(session), event.grid_id, event.status, event.owner_division_id)
    steps = [
        PublicStep(action=p.action, label=p.label, at=p.at, note=p.note, photos=p.photos)
        for p in public_steps(history(session, event.id))
    ]
    return PublicCase(
        number=event.number or "",
        title=event.title,
        status=status.value,
        status_label=status.label,
        reported_at=event.reported_at,
        closed_at=event.closed_at,
        result_note=event.result_note,
        rating=event.rating,
        rating_comment=event.rating_comment,
        can_rate=status == Status.CLOSED,
        can_reopen=status in (Status.CLOSED, Status.RATED),
        place_needed=needed,
        place_note=note,
        steps=steps,
    )


@router.get("/events/{number}", response_model=PublicCase, summary="凭编号和凭证查询进度")
def public_case(
    number: str, session: SessionDep, token: Annotated[str, Query(min_length=8, max_length=64)]
) -> PublicCase:
    event, _ = _holder(session, number, token)
    return _case(session, event)


class PublicRateIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    note: str | None = Field(default=None, max_length=1000)


class PublicReopenIn(BaseModel):
    note: NonBlank = Field(min_length=1, max_length=1000, description="哪里还没有解决")


@router.post("/events/{number}/rate", response_model=PublicCase, summary="评价")
def public_rate(
    number: str,
    body: PublicRateIn,
    session: SessionDep,
    token: Annotated[str, Query(min_length=8, max_length=64)],
) -> PublicCase:
    return _as_holder(
        session,
        number,
        token,
        lambda s, who, eid: lc.rate_event(s, who, eid, RateIn(rating=body.rating, note=body.note)),
    )


@router.post("/events/{number}/reopen", response_model=PublicCase, summary="不满意，要求重新办理")
def public_reopen(
    number: str,
    body: PublicReopenIn,
    session: SessionDep,
    token: Annotated[str, Query(min_length=8, max_length=64)],
) -> PublicCase:
    return _as_holder(session, number, token, lambda s, who, eid: lc.reopen_event(s, who, eid, NoteIn(note=body.note)))


@router.post("/events/{number}/place", response_model=PublicCase, summary="补充位置（在地图上标出事件位置）")
def public_place(
    number: str,
    body: PointIn,
    session: SessionDep,
    token: Annotated[str, Query(min_length=8, max_length=64)],
) -> PublicCase:
    return _as_holder(session, number, token, lambda s, who, eid: lc.place_event(s, who, eid, body))


@router.get("/events/{number}/photos/{sha256}", summary="查看案件照片（凭凭证）")
def public_photo(
    number: str,
    sha256: str,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(min_length=8, max_length=64)],
) -> FileResponse:
    event, _ = _holder(session, number, token)
    shown = {p for step in public_steps(history(session, event.id)) for p in step.photos}
    row = session.get(Attachment, sha256) if sha256 in shown else None
    if row is None:
        raise NotFound("照片不存在", field="sha256")
    headers = download_headers(sha256, row.content_type)
    return FileResponse(path_for(settings.attachments_dir, sha256), media_type=row.content_type, headers=headers)
