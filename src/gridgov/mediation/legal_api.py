"""`/api/mediation/petitions` (访前甄别) and `/api/mediation/consultations` (the advisers' side of the public legal
service), and `/api/public/legal` — the residents' side: the communities' advisers and duty hours, booking a
consultation or applying for legal aid without an account (rate-limited per source and phone), and following it up
by number and token. Each write is one service call in one unit of work."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from gridgov.common.principal import Principal, Role
from gridgov.common.ratelimit import RateLimiter, limit_at_edge
from gridgov.common.security import normalize_phone, pii_cipher
from gridgov.common.uow import UnitOfWork
from gridgov.mediation import legal_service, petition
from gridgov.mediation.legal_service import BookingIn, ConsultationKind, ConsultationStatus
from gridgov.mediation.petition import PetitionChannel, PetitionIn, PetitionOutcome, ScreenIn
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/mediation", tags=["mediation"])
public_router = APIRouter(
    prefix="/api/public/legal",
    tags=["public"],
    responses={429: {"description": "请求过于频繁（按来源与手机号限流）"}},
)
PHONE = re.compile(r"^1[3-9]\d{9}$")
# per-address limits at the edge, before the body is read (common.ratelimit.limit_at_edge); the per-phone one needs
# the parsed body and is keyed by the phone's blind index, so the counter table never holds the number
per_ip_bookings = limit_at_edge(
    RateLimiter("legal_booking_ip", limit=10, window_seconds=600), "/api/public/legal/consultations"
)
per_phone_bookings = RateLimiter("legal_booking_phone", limit=3, window_seconds=600)
per_ip_reads = limit_at_edge(
    RateLimiter("legal_read_ip", limit=120, window_seconds=600), "/api/public/legal/", method="GET", prefix=True
)
Limit = Annotated[int, Query(ge=1, le=200)]


class PetitionCreate(BaseModel):
    channel: PetitionChannel = Field(description="visit 来访 / letter 来信")
    name: str = Field(min_length=1, max_length=100, description="来访（来信）人")
    phone: str | None = Field(default=None, max_length=20)
    matter: str = Field(min_length=1, max_length=5000, description="反映事项")
    division_code: str = Field(pattern=r"^\d{12}(\d{3})?$", description="来访人所在社区或网格代码")


class ScreenBody(BaseModel):
    outcome: PetitionOutcome = Field(description="legal_route 引导法律途径 / mediation 转调解 / referred 移交")
    lawyer_id: int = Field(ge=1, description="甄别律师或社区法律顾问（调解员编号）")
    advice: str = Field(min_length=1, max_length=5000, description="甄别意见")
    referred_to: str | None = Field(default=None, max_length=120, description="移交机关（referred 时必填）")
    dispute_type: str | None = Field(default=None, max_length=32, description="纠纷类型（mediation 时）")
    respondent: str | None = Field(default=None, max_length=100, description="被申请人（mediation 时必填）")


class FollowBody(BaseModel):
    note: str = Field(min_length=1, max_length=5000)
    resolved: bool = Field(description="是否在信访前化解")


class AnswerBody(BaseModel):
    mode: ConsultationStatus = Field(description="answered 线上答复 / met 已约见")
    answer: str = Field(min_length=1, max_length=2000)


class ConvertBody(BaseModel):
    dispute_type: str = Field(max_length=32, description="纠纷类型代码")
    respondent: str = Field(min_length=1, max_length=100, description="被申请人")


class BookingBody(BaseModel):
    kind: ConsultationKind = Field(description="consult 法律咨询 / legal_aid 法律援助申请")
    community_code: str = Field(pattern=r"^\d{12}$", description="社区代码")
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(max_length=20, description="手机号，顾问据此联系")
    question: str = Field(min_length=1, max_length=2000, description="咨询事项")
    preferred_at: AwareDatetime | None = Field(default=None, description="希望约见的时间（线下，带时区）")

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        v = normalize_phone(v)
        if not PHONE.fullmatch(v):
            raise ValueError("请输入 11 位手机号")
        return v


class BookingReceipt(BaseModel):
    number: str
    token: str = Field(description="查询凭证：凭咨询编号和凭证查看答复")
    adviser: str
    duty_hours: str


class PublicConsultation(BaseModel):
    number: str
    kind_label: str
    status: str
    status_label: str
    answer: str | None
    preferred_at: datetime | None
    submitted_at: datetime


def _public() -> Principal:
    return Principal(user_id=None, username="public", role=Role.RESIDENT)


@router.get("/petitions", summary="访前甄别登记（本辖区）")
def petitions(session: SessionDep, actor: PrincipalDep, status: str | None = None, limit: Limit = 50) -> list[Any]:
    return petition.list_petitions(session, actor, status, limit)


@router.post("/petitions", status_code=201, summary="登记来访或来信（访前甄别）")
def create_petition(body: PetitionCreate, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    cmd = PetitionIn(body.channel.value, body.name, body.matter, body.division_code, body.phone)
    with UnitOfWork(session):
        row = petition.register_petition(session, actor, cmd)
        return petition.petition_out(row)


@router.post("/petitions/{screening_id}/screen", summary="律师甄别：引导法律途径、转调解或移交")
def screen(screening_id: int, body: ScreenBody, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    cmd = ScreenIn(
        body.outcome.value, body.lawyer_id, body.advice, body.referred_to, body.dispute_type, body.respondent
    )
    with UnitOfWork(session):
        return petition.petition_out(petition.screen_petition(session, actor, screening_id, cmd))


@router.post("/petitions/{screening_id}/follow-up", summary="甄别回访")
def follow(screening_id: int, body: FollowBody, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    with UnitOfWork(session):
        row = petition.follow_up_petition(session, actor, screening_id, body.note, body.resolved)
        return petition.petition_out(row)


@router.get("/consultations", summary="居民法律咨询与法律援助申请（本辖区）")
def consultations(session: SessionDep, actor: PrincipalDep, status: str | None = None, limit: Limit = 50) -> list[Any]:
    return legal_service.list_consultations(session, actor, status, limit)


@router.post("/consultations/{consultation_id}/answer", summary="法律顾问答复或记录约见")
def answer(consultation_id: int, body: AnswerBody, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    with UnitOfWork(session):
        row = legal_service.answer(session, actor, consultation_id, body.mode.value, body.answer)
        return legal_service.consultation_out(row)


@router.post("/consultations/{consultation_id}/convert", status_code=201, summary="咨询转为调解案件")
def convert(consultation_id: int, body: ConvertBody, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    with UnitOfWork(session):
        dispute = legal_service.convert(session, actor, consultation_id, body.dispute_type, body.respondent)
        return {"dispute_id": dispute.id, "number": dispute.number}


@public_router.get("/advisers", summary="社区法律顾问与值班时间（免登录）")
def public_advisers(
    session: SessionDep,
    community_code: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> list[dict[str, object]]:
    return legal_service.advisers(session, community_code)


@public_router.post(
    "/consultations", response_model=BookingReceipt, status_code=201, summary="预约法律咨询或申请法律援助"
)
def public_book(body: BookingBody, session: SessionDep, settings: SettingsDep) -> BookingReceipt:
    per_phone_bookings.hit(pii_cipher(settings.pii_secret).blind_index(body.phone)[:32])
    cmd = BookingIn(body.kind.value, body.community_code, body.name, body.phone, body.question, body.preferred_at)
    with UnitOfWork(session):
        number, token = legal_service.book(session, _public(), cmd)
    shown = legal_service.advisers(session, body.community_code)[0]
    return BookingReceipt(
        number=number, token=token, adviser=str(shown["adviser"]), duty_hours=str(shown["duty_hours"])
    )


@public_router.get("/consultations/{number}", response_model=PublicConsultation, summary="凭编号和凭证查看答复")
def public_consultation(
    number: str, session: SessionDep, token: Annotated[str, Query(min_length=8, max_length=64)]
) -> PublicConsultation:
    row = legal_service.by_token(session, number, token)
    return PublicConsultation(
        number=row.number,
        kind_label=ConsultationKind(row.kind).label,
        status=row.status,
        status_label=ConsultationStatus(row.status).label,
        answer=row.answer,
        preferred_at=row.preferred_at,
        submitted_at=row.submitted_at,
    )
