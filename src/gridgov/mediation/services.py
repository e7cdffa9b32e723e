"""The dispute's actions after 分派, one service per action (role and scope checked, the step, audit row and
domain event written by stages.advance; the entrypoint's unit of work commits): 调解 sessions, 达成协议 / 未达成,
司法确认 or 转入, 回访 (scheduled when the outcome is reached), 结案."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.errors import InvalidInput
from gridgov.common.pii_text import mask_text
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.mediation.access import load, require_mediator
from gridgov.mediation.models import Dispute, DisputeSession, Mediator
from gridgov.mediation.registration import refresh_risk
from gridgov.mediation.rules import Destination, MediationAction
from gridgov.mediation.stages import advance, check

FOLLOW_UP_AFTER = timedelta(days=15)  # 回访 is due this long after the outcome
NOTE_MAX = 5000
OUTCOME_TERMS_MAX = 500


def _open(session: Session, actor: Principal, dispute_id: int, action: MediationAction, note: str | None) -> Dispute:
    require_mediator(actor)
    dispute = load(session, actor, dispute_id, for_update=True)
    check(actor, dispute, action, note)  # refused before anything is written
    if note is not None and len(note) > NOTE_MAX:
        raise InvalidInput(f"说明不能超过 {NOTE_MAX} 字", field="note")
    return dispute


def hold_session(
    session: Session,
    actor: Principal,
    dispute_id: int,
    held_at: datetime,
    notes: str,
    mediator_ids: list[int] | None = None,
    now: datetime | None = None,
) -> Dispute:
    """调解: one session (date, mediators, notes); its words feed the risk flags."""
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.HOLD_SESSION, notes)
    ids = list(dict.fromkeys(mediator_ids or ([dispute.mediator_id] if dispute.mediator_id else [])))
    known = set(session.scalars(select(Mediator.id).where(Mediator.id.in_(ids)))) if ids else set()
    if set(ids) - known:
        raise InvalidInput(f"调解员不存在：{sorted(set(ids) - known)}", field="mediator_ids")
    if held_at > now + timedelta(days=1):
        raise InvalidInput("调解日期不能晚于今天", field="held_at")
    dispute.sessions.append(
        DisputeSession(held_at=held_at, mediator_ids=ids, notes=notes.strip(), recorded_by=actor.user_id)
    )
    session.flush()
    refresh_risk(session, dispute, now, (notes,))
    n = len(dispute.sessions)
    return advance(session, actor, dispute, MediationAction.HOLD_SESSION, now, notes, {"session": n})


def agree(session: Session, actor: Principal, dispute_id: int, terms: str, now: datetime | None = None) -> Dispute:
    """达成协议 with its terms (the agreement document is generated from them); 回访 is scheduled."""
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.AGREE, None)
    if not terms.strip():
        raise InvalidInput("请填写协议内容", field="terms")
    if len(terms) > NOTE_MAX:
        raise InvalidInput(f"协议内容不能超过 {NOTE_MAX} 字", field="terms")
    dispute.terms, dispute.agreed_at = terms.strip(), now
    dispute.follow_up_due = now + FOLLOW_UP_AFTER
    return advance(session, actor, dispute, MediationAction.AGREE, now)


def fail(session: Session, actor: Principal, dispute_id: int, note: str, now: datetime | None = None) -> Dispute:
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.FAIL, note)
    dispute.outcome_note = note.strip()
    return advance(session, actor, dispute, MediationAction.FAIL, now, note)


def confirm(
    session: Session, actor: Principal, dispute_id: int, note: str = "", now: datetime | None = None
) -> Dispute:
    """司法确认 of the agreement by the court."""
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.CONFIRM, note)
    return advance(session, actor, dispute, MediationAction.CONFIRM, now, note or None)


def transfer(
    session: Session, actor: Principal, dispute_id: int, destination: str, note: str = "", now: datetime | None = None
) -> Dispute:
    """转入 arbitration, an administrative ruling, litigation or a petition; 回访 is scheduled."""
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.TRANSFER, note)
    try:
        where = Destination(destination)
    except ValueError:
        listed = "、".join(f"{d.value}（{d.label}）" for d in Destination)
        raise InvalidInput(f"转入去向“{destination}”不存在；可选：{listed}", field="destination") from None
    dispute.destination, dispute.follow_up_due = where.value, now + FOLLOW_UP_AFTER
    return advance(session, actor, dispute, MediationAction.TRANSFER, now, note or None, {"destination": where.value})


def follow_up(session: Session, actor: Principal, dispute_id: int, note: str, now: datetime | None = None) -> Dispute:
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.FOLLOW_UP, note)
    return advance(session, actor, dispute, MediationAction.FOLLOW_UP, now, note)


def outcome_of(dispute: Dispute) -> str:
    """The dispute's outcome in one line, as the case it was filed under records it (pure; terms masked)."""
    if dispute.destination:
        return f"调解未达成，已转入{Destination(dispute.destination).label}"
    terms = mask_text(dispute.terms or "")[:OUTCOME_TERMS_MAX]
    confirmed = any(s.action == MediationAction.CONFIRM.value for s in dispute.steps)
    return ("达成调解协议并经司法确认" if confirmed else "达成调解协议") + (f"：{terms}" if terms else "")


def close(session: Session, actor: Principal, dispute_id: int, now: datetime | None = None) -> Dispute:
    """结案; the case the dispute was filed under closes with its outcome (dispatch reacts to the event)."""
    now = now or utcnow()
    dispute = _open(session, actor, dispute_id, MediationAction.CLOSE, None)
    dispute.closed_at = now
    data = {"source_event_id": dispute.source_event_id, "outcome": outcome_of(dispute)}
    return advance(session, actor, dispute, MediationAction.CLOSE, now, data=data)
