"""访前甄别 (petition screening): a visit or letter that may become a 信访 case is registered, screened by a lawyer
first — the legal route advised, mediation offered (a dispute is registered through the dispute channel, so it
enters through the intake port), or referred to the competent body — and the outcome followed up. One service per
action: role and scope checked, the audit row and the `mediation.petition_<action>` event written; nothing commits.
The stage table is pure (`PETITION_STEPS`); an illegal step is refused with the allowed ones listed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.scope import may_see
from gridgov.common.security import mask_phone, normalize_phone, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.mediation.access import in_area, require_mediator
from gridgov.mediation.channel import submit_dispute
from gridgov.mediation.models import Mediator, PetitionScreening
from gridgov.mediation.parties import PartyData, mask_name
from gridgov.mediation.registration import DisputeIn
from gridgov.mediation.rules import MediatorKind, PartyKind, PartyRole, Source
from gridgov.org import cache

FOLLOW_UP_AFTER = timedelta(days=15)
TEXT_MAX = 5000
LAWYERS = frozenset({MediatorKind.LAWYER.value, MediatorKind.ADVISER.value})


@published("petition_channel")
class PetitionChannel(ChoiceSet):
    VISIT = ("visit", "来访", "#5b8ff9")
    LETTER = ("letter", "来信", "#9270ca")


@published("petition_status")
class PetitionStatus(ChoiceSet):
    PENDING = ("pending", "待甄别", "#fa8c16")
    SCREENED = ("screened", "已甄别", "#5b8ff9")
    FOLLOWED_UP = ("followed_up", "已回访", "#269a99")


@published("petition_outcome")
class PetitionOutcome(ChoiceSet):
    LEGAL_ROUTE = ("legal_route", "释法明理，引导法律途径", "#5b8ff9")
    MEDIATION = ("mediation", "转入人民调解", "#5ad8a6")
    REFERRED = ("referred", "移交有权处理机关", "#9270ca")


@published("audit_action")
class PetitionAudit(AuditAction):
    REGISTER = ("mediation.petition_register", "登记访前甄别")
    SCREEN = ("mediation.petition_screen", "律师甄别")
    FOLLOW_UP = ("mediation.petition_follow_up", "甄别回访")


PETITION_STEPS: dict[str, tuple[PetitionStatus, PetitionStatus]] = {
    "screen": (PetitionStatus.PENDING, PetitionStatus.SCREENED),
    "follow_up": (PetitionStatus.SCREENED, PetitionStatus.FOLLOWED_UP),
}
STEP_LABELS = {"screen": "律师甄别", "follow_up": "回访"}


def check_step(step: str, status: PetitionStatus) -> PetitionStatus:
    """The status after `step`, or IllegalTransition naming the step allowed now (pure)."""
    source, target = PETITION_STEPS[step]
    if status == source:
        return target
    allowed = [s for s, (src, _t) in PETITION_STEPS.items() if src == status]
    listed = "、".join(STEP_LABELS[s] for s in allowed) or "无"
    raise IllegalTransition(
        f"访前甄别当前“{status.label}”，不能{STEP_LABELS[step]}；可执行的操作：{listed}",
        allowed=allowed,
        status_now=status.value,
    )


@dataclass(frozen=True)
class PetitionIn:
    channel: str
    name: str
    matter: str
    division_code: str  # the community (or grid) the petitioner comes from
    phone: str | None = None


@dataclass(frozen=True)
class ScreenIn:
    outcome: str
    lawyer_id: int
    advice: str
    referred_to: str | None = None  # REFERRED: the body it goes to
    dispute_type: str | None = None  # MEDIATION: the dispute offered
    respondent: str | None = None  # MEDIATION: the other side


def scoped(actor: Principal) -> Select[PetitionScreening]:
    return in_area(actor, PetitionScreening, PetitionScreening.division_path)


def _load(session: Session, actor: Principal, screening_id: int) -> PetitionScreening:
    found = session.scalar(scoped(actor).where(PetitionScreening.id == screening_id).with_for_update())
    if found is None:
        raise NotFound("访前甄别记录不存在或不在管辖范围内", field="screening_id")
    return found


def _text(value: str, field: str, label: str) -> str:
    if not value.strip():
        raise InvalidInput(f"请填写{label}", field=field)
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{label}不能超过 {TEXT_MAX} 字", field=field)
    return value.strip()


def _record(session: Session, actor: Principal, audit: PetitionAudit, row: PetitionScreening, now: datetime) -> None:
    detail = {"number": row.number, "status": row.status, "outcome": row.outcome}
    record_audit(session, actor, audit, "petition_screening", row.id, detail)
    payload = {**detail, "division_path": row.division_path}
    bus.publish(session, audit.value, "petition_screening", row.id, payload, actor=actor, at=now)


def register_petition(
    session: Session, actor: Principal, cmd: PetitionIn, now: datetime | None = None
) -> PetitionScreening:
    """登记: a visit or letter to be screened, in the caller's area."""
    require_mediator(actor)
    now = now or utcnow()
    try:
        channel = PetitionChannel(cmd.channel)
    except ValueError:
        raise InvalidInput("来源只能是来访（visit）或来信（letter）", field="channel") from None
    name = _text(cmd.name, "name", "来访人姓名")[:100]
    matter = _text(cmd.matter, "matter", "反映事项")
    snap = cache.snapshot(session)
    found = snap.by_code.get(cmd.division_code)
    if found is None or snap.divisions[found].level not in ("grid", "community"):
        raise InvalidInput(f"网格或社区代码“{cmd.division_code}”不存在", field="division_code")
    path = snap.divisions[found].path
    if not may_see(actor, path):
        raise InvalidInput("来访人所在社区不在您的管辖范围内", field="division_code")
    cipher = pii_cipher(settings_of(session).pii_secret)
    phone = normalize_phone(cmd.phone) if cmd.phone else None
    if phone is not None and not (len(phone) == 11 and phone.isdigit()):
        raise InvalidInput("请输入 11 位手机号", field="phone")
    row = PetitionScreening(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        channel=channel.value,
        division_id=found,
        division_path=path,
        name_enc=cipher.encrypt(name),
        name_masked=mask_name(name, PartyKind.PERSON.value),
        phone_enc=cipher.encrypt(phone) if phone else None,
        phone_index=cipher.blind_index(phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        matter=matter,
        status=PetitionStatus.PENDING.value,
        registered_at=now,
        created_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    row.number = f"FQ{now:%Y%m%d}{row.id:06d}"
    _record(session, actor, PetitionAudit.REGISTER, row, now)
    return row


def screen_petition(
    session: Session, actor: Principal, screening_id: int, cmd: ScreenIn, now: datetime | None = None
) -> PetitionScreening:
    """律师甄别: the lawyer (or community legal adviser) serving the area advises the legal route, offers mediation
    (the dispute is registered through the dispute channel) or refers it; the follow-up is scheduled."""
    require_mediator(actor)
    now = now or utcnow()
    row = _load(session, actor, screening_id)
    target = check_step("screen", PetitionStatus(row.status))
    try:
        outcome = PetitionOutcome(cmd.outcome)
    except ValueError:
        listed = "、".join(f"{o.value}（{o.label}）" for o in PetitionOutcome)
        raise InvalidInput(f"甄别结果“{cmd.outcome}”不存在；可选：{listed}", field="outcome") from None
    lawyer = session.get(Mediator, cmd.lawyer_id)
    if lawyer is None or lawyer.kind not in LAWYERS or not row.division_path.startswith(lawyer.division_path):
        raise InvalidInput("甄别须由负责该地的律师或社区法律顾问进行", field="lawyer_id")
    advice = _text(cmd.advice, "advice", "甄别意见")
    if outcome == PetitionOutcome.REFERRED:
        row.referred_to = _text(cmd.referred_to or "", "referred_to", "移交机关")[:120]
    if outcome == PetitionOutcome.MEDIATION:
        respondent = _text(cmd.respondent or "", "respondent", "被申请人")[:100]
        cipher = pii_cipher(settings_of(session).pii_secret)
        applicant = PartyData(
            PartyRole.APPLICANT,
            PartyKind.PERSON,
            cipher.decrypt(row.name_enc),
            None,
            cipher.decrypt(row.phone_enc) if row.phone_enc else None,
        )
        dispute = submit_dispute(
            session,
            actor,
            DisputeIn(
                dispute_type=cmd.dispute_type or "other",
                title=f"访前甄别转调解：{row.number}",
                description=advice,
                source=Source.SCREENING,
                division_code=cache.snapshot(session).divisions[row.division_id].code,
                parties=(applicant, PartyData(PartyRole.RESPONDENT, PartyKind.PERSON, respondent)),
            ),
            now,
        )
        row.dispute_id = dispute.id
    row.status, row.outcome, row.advice, row.lawyer_id = target.value, outcome.value, advice, lawyer.id
    row.screened_at, row.follow_up_due = now, now + FOLLOW_UP_AFTER
    _record(session, actor, PetitionAudit.SCREEN, row, now)
    return row


def follow_up_petition(
    session: Session, actor: Principal, screening_id: int, note: str, resolved: bool, now: datetime | None = None
) -> PetitionScreening:
    """回访: was the matter resolved before it became a petition?"""
    require_mediator(actor)
    now = now or utcnow()
    row = _load(session, actor, screening_id)
    target = check_step("follow_up", PetitionStatus(row.status))
    row.follow_up_note = _text(note, "note", "回访情况")
    row.status, row.resolved, row.followed_up_at = target.value, resolved, now
    _record(session, actor, PetitionAudit.FOLLOW_UP, row, now)
    return row


def list_petitions(session: Session, actor: Principal, status: str | None, limit: int) -> list[dict[str, object]]:
    query = scoped(actor)
    if status:
        try:
            query = query.where(PetitionScreening.status == PetitionStatus(status).value)
        except ValueError:
            raise InvalidInput(f"状态“{status}”不存在", field="status") from None
    rows = session.scalars(query.order_by(PetitionScreening.id.desc()).limit(min(limit, 200))).all()
    return [petition_out(r) for r in rows]


def petition_out(r: PetitionScreening) -> dict[str, object]:
    allowed = [s for s, (src, _t) in PETITION_STEPS.items() if src.value == r.status]
    return {
        "id": r.id,
        "number": r.number,
        "channel": r.channel,
        "channel_label": PetitionChannel(r.channel).label,
        "name": r.name_masked,
        "phone": r.phone_masked,
        "matter": r.matter,
        "status": r.status,
        "status_label": PetitionStatus(r.status).label,
        "outcome": r.outcome,
        "outcome_label": PetitionOutcome(r.outcome).label if r.outcome else None,
        "advice": r.advice,
        "referred_to": r.referred_to,
        "lawyer_id": r.lawyer_id,
        "dispute_id": r.dispute_id,
        "follow_up_due": r.follow_up_due,
        "follow_up_note": r.follow_up_note,
        "resolved": r.resolved,
        "registered_at": r.registered_at,
        "allowed": [{"value": s, "label": STEP_LABELS[s]} for s in allowed],
    }
