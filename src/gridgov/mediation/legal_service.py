"""Public legal service (一社区一法律顾问, 法i社区): each community's legal adviser with his duty hours; a resident
books a consultation or applies for legal aid from the phone page (no login: the public API rate-limits it, and the
name, phone and question are protected like every public page's); the adviser answers online or meets the resident, and
a consultation can turn into a mediation case (registered through the dispute channel, so through the intake port).
One service per action with its audit row and domain event; nothing here commits."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.security import mask_phone, normalize_phone, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.mediation.access import in_area, require_mediator
from gridgov.mediation.channel import submit_dispute
from gridgov.mediation.models import Dispute, LegalAdviser, LegalConsultation, Mediator
from gridgov.mediation.parties import PartyData, mask_name
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import PartyKind, PartyRole, Source
from gridgov.org import cache

TEXT_MAX = 2000
BOOK_AHEAD = timedelta(days=60)


@published("consultation_kind")
class ConsultationKind(ChoiceSet):
    CONSULT = ("consult", "法律咨询", "#5b8ff9")
    LEGAL_AID = ("legal_aid", "法律援助申请", "#fa8c16")


@published("consultation_status")
class ConsultationStatus(ChoiceSet):
    SUBMITTED = ("submitted", "待答复", "#fa8c16")
    ANSWERED = ("answered", "已线上答复", "#5b8ff9")
    MET = ("met", "已约见", "#269a99")
    CONVERTED = ("converted", "已转调解", "#5ad8a6")


@published("audit_action")
class ConsultationAudit(AuditAction):
    SUBMIT = ("mediation.consult_submit", "居民申请法律咨询")
    ANSWER = ("mediation.consult_answer", "法律顾问答复")
    CONVERT = ("mediation.consult_convert", "咨询转调解")


S = ConsultationStatus
CONSULT_STEPS: dict[str, tuple[frozenset[ConsultationStatus], frozenset[ConsultationStatus]]] = {
    # step: (from, to-able)
    "answer": (frozenset({S.SUBMITTED}), frozenset({S.ANSWERED, S.MET})),
    "convert": (frozenset({S.ANSWERED, S.MET}), frozenset({S.CONVERTED})),
}
STEP_LABELS = {"answer": "答复或约见", "convert": "转调解"}


def check_step(step: str, status: ConsultationStatus) -> None:
    """Refuse `step` at `status` with the steps allowed now listed (pure)."""
    if status in CONSULT_STEPS[step][0]:
        return
    allowed = [s for s, (src, _t) in CONSULT_STEPS.items() if status in src]
    listed = "、".join(STEP_LABELS[s] for s in allowed) or "无"
    raise IllegalTransition(
        f"咨询当前“{status.label}”，不能{STEP_LABELS[step]}；可执行的操作：{listed}",
        allowed=allowed,
        status_now=status.value,
    )


@dataclass(frozen=True)
class BookingIn:
    kind: str
    community_code: str
    name: str
    phone: str
    question: str
    preferred_at: datetime | None = None


def follow_token_digest(secret: str, number: str) -> str:
    """The digest of a consultation's follow-up token (the token itself is handed to the resident once)."""
    token = follow_token(secret, number)
    return hashlib.sha256(token.encode()).hexdigest()


def follow_token(secret: str, number: str) -> str:
    return hmac.new(secret.encode(), f"consult\0{number}".encode(), hashlib.sha256).hexdigest()[:32]


def adviser_of(session: Session, community_id: int) -> LegalAdviser | None:
    return session.scalar(
        select(LegalAdviser).where(LegalAdviser.community_id == community_id, LegalAdviser.active.is_(True))
    )


def advisers(session: Session, community_code: str | None = None) -> list[dict[str, object]]:
    """The communities' legal advisers and their duty hours (public: names of the advisers, never residents)."""
    snap = cache.snapshot(session)
    query = (
        select(LegalAdviser, Mediator.name)
        .join(Mediator, Mediator.id == LegalAdviser.mediator_id)
        .where(LegalAdviser.active.is_(True))
        .order_by(LegalAdviser.community_id)
    )
    if community_code:
        found = snap.by_code.get(community_code)
        if found is None or snap.divisions[found].level != "community":
            raise InvalidInput(f"社区代码“{community_code}”不存在", field="community_code")
        query = query.where(LegalAdviser.community_id == found)
    return [
        {
            "community_code": snap.divisions[a.community_id].code,
            "community": snap.divisions[a.community_id].name,
            "adviser": name,
            "duty_hours": a.duty_hours,
            "office": a.office,
        }
        for a, name in session.execute(query.limit(500)).all()
    ]


def book(session: Session, actor: Principal, cmd: BookingIn, now: datetime | None = None) -> tuple[str, str]:
    """A resident's booking or legal-aid application; returns its number and follow-up token."""
    now = now or utcnow()
    try:
        kind = ConsultationKind(cmd.kind)
    except ValueError:
        raise InvalidInput("类型只能是法律咨询（consult）或法律援助（legal_aid）", field="kind") from None
    snap = cache.snapshot(session)
    found = snap.by_code.get(cmd.community_code)
    if found is None or snap.divisions[found].level != "community":
        raise InvalidInput(f"社区代码“{cmd.community_code}”不存在", field="community_code")
    adviser = adviser_of(session, found)
    if adviser is None:
        raise InvalidInput("该社区暂未配备法律顾问，请选择其他社区或拨打 12348", field="community_code")
    name, question = cmd.name.strip(), cmd.question.strip()
    if not name or len(name) > 50:
        raise InvalidInput("请填写姓名（不超过 50 字）", field="name")
    if not question or len(question) > TEXT_MAX:
        raise InvalidInput(f"请填写咨询事项（不超过 {TEXT_MAX} 字）", field="question")
    phone = normalize_phone(cmd.phone)
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise InvalidInput("请输入 11 位手机号", field="phone")
    if cmd.preferred_at is not None and not (now - timedelta(hours=1) <= cmd.preferred_at <= now + BOOK_AHEAD):
        raise InvalidInput("预约时间应在今后 60 天内", field="preferred_at")
    secret = settings_of(session).pii_secret
    cipher = pii_cipher(secret)
    row = LegalConsultation(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        kind=kind.value,
        community_id=found,
        community_path=snap.divisions[found].path,
        adviser_id=adviser.id,
        name_enc=cipher.encrypt(name),
        name_masked=mask_name(name, PartyKind.PERSON.value),
        phone_enc=cipher.encrypt(phone),
        phone_index=cipher.blind_index(phone),
        phone_masked=mask_phone(phone),
        question=question,
        preferred_at=cmd.preferred_at,
        status=S.SUBMITTED.value,
        token_digest="",
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    row.number = f"FZ{now:%Y%m%d}{row.id:06d}"
    row.token_digest = follow_token_digest(secret, row.number)
    _record(session, actor, ConsultationAudit.SUBMIT, row, now)
    return row.number, follow_token(secret, row.number)


def _record(
    session: Session, actor: Principal, audit: ConsultationAudit, row: LegalConsultation, now: datetime
) -> None:
    detail = {"number": row.number, "kind": row.kind, "status": row.status}
    record_audit(session, actor, audit, "legal_consultation", row.id, detail)
    payload = {**detail, "division_path": row.community_path}
    bus.publish(session, audit.value, "legal_consultation", row.id, payload, actor=actor, at=now)


def by_token(session: Session, number: str, token: str) -> LegalConsultation:
    """The resident's own consultation, opened by its number and token only."""
    row = session.scalar(select(LegalConsultation).where(LegalConsultation.number == number))
    digest = hashlib.sha256(token.encode()).hexdigest()
    if row is None or not hmac.compare_digest(row.token_digest, digest):
        raise NotFound("咨询编号或凭证不正确", field="number")
    return row


def scoped(actor: Principal) -> Select[LegalConsultation]:
    return in_area(actor, LegalConsultation, LegalConsultation.community_path)


def _load(session: Session, actor: Principal, consultation_id: int) -> LegalConsultation:
    row = session.scalar(scoped(actor).where(LegalConsultation.id == consultation_id).with_for_update())
    if row is None:
        raise NotFound("咨询不存在或不在管辖范围内", field="consultation_id")
    return row


def answer(
    session: Session, actor: Principal, consultation_id: int, mode: str, text: str, now: datetime | None = None
) -> LegalConsultation:
    """The adviser answers online (answered) or records the meeting (met)."""
    require_mediator(actor)
    now = now or utcnow()
    row = _load(session, actor, consultation_id)
    check_step("answer", S(row.status))
    if mode not in (S.ANSWERED.value, S.MET.value):
        raise InvalidInput("答复方式只能是线上答复（answered）或约见（met）", field="mode")
    if not text.strip() or len(text) > TEXT_MAX:
        raise InvalidInput(f"请填写答复内容（不超过 {TEXT_MAX} 字）", field="answer")
    row.status, row.answer, row.answered_at = mode, text.strip(), now
    _record(session, actor, ConsultationAudit.ANSWER, row, now)
    return row


def convert(
    session: Session,
    actor: Principal,
    consultation_id: int,
    dispute_type: str,
    respondent: str,
    now: datetime | None = None,
) -> Dispute:
    """The consultation turns into a mediation case: the resident is the applicant; through the dispute channel."""
    require_mediator(actor)
    now = now or utcnow()
    row = _load(session, actor, consultation_id)
    check_step("convert", S(row.status))
    if not respondent.strip() or len(respondent) > 100:
        raise InvalidInput("请填写被申请人（不超过 100 字）", field="respondent")
    cipher = pii_cipher(settings_of(session).pii_secret)
    applicant = PartyData(
        PartyRole.APPLICANT, PartyKind.PERSON, cipher.decrypt(row.name_enc), None, cipher.decrypt(row.phone_enc)
    )
    dispute = submit_dispute(
        session,
        actor,
        DisputeIn(
            dispute_type=dispute_type,
            title=f"法律咨询转调解：{row.number}",
            description=row.question,
            source=Source.CONSULTATION,
            division_code=cache.snapshot(session).divisions[row.community_id].code,
            parties=(applicant, PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, respondent.strip())),
        ),
        now,
    )
    row.status, row.dispute_id = S.CONVERTED.value, dispute.id
    _record(session, actor, ConsultationAudit.CONVERT, row, now)
    return dispute


def consultation_out(r: LegalConsultation) -> dict[str, object]:
    allowed = [s for s, (src, _t) in CONSULT_STEPS.items() if S(r.status) in src]
    return {
        "id": r.id,
        "number": r.number,
        "kind": r.kind,
        "kind_label": ConsultationKind(r.kind).label,
        "name": r.name_masked,
        "phone": r.phone_masked,
        "question": r.question,
        "preferred_at": r.preferred_at,
        "status": r.status,
        "status_label": S(r.status).label,
        "answer": r.answer,
        "dispute_id": r.dispute_id,
        "submitted_at": r.submitted_at,
        "allowed": [{"value": s, "label": STEP_LABELS[s]} for s in allowed],
    }


def list_consultations(session: Session, actor: Principal, status: str | None, limit: int) -> list[dict[str, object]]:
    query = scoped(actor)
    if status:
        try:
            query = query.where(LegalConsultation.status == S(status).value)
        except ValueError:
            raise InvalidInput(f"状态“{status}”不存在", field="status") from None
    rows = session.scalars(query.order_by(LegalConsultation.id.desc()).limit(min(limit, 200))).all()
    return [consultation_out(r) for r in rows]
