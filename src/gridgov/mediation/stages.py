"""One step of a dispute: the stage rule, the history row, the audit row and the domain event, in the caller's
transaction (services never commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import InvalidInput
from gridgov.common.events import bus
from gridgov.common.pii_text import mask_text
from gridgov.common.principal import Principal
from gridgov.mediation.models import Dispute, DisputeStep
from gridgov.mediation.rules import TRANSITIONS, MediationAction, MediationAudit, Stage, check_transition

AUDIT = {a: MediationAudit[a.name] for a in MediationAction}


def check(actor: Principal, dispute: Dispute | None, action: MediationAction, note: str | None) -> Stage:
    """The stage `action` leads to (IllegalTransition listing the allowed ones otherwise)."""
    stage = Stage(dispute.stage) if dispute is not None else Stage.NEW
    target = check_transition(action, stage, actor.role)
    if TRANSITIONS[action].needs_note and not (note or "").strip():
        raise InvalidInput(f"“{action.label}”需要填写说明", field="note")
    return target


def advance(
    session: Session,
    actor: Principal,
    dispute: Dispute,
    action: MediationAction,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> Dispute:
    """Move the dispute one step (checked first), recorded three ways: step, audit, `mediation.<action>`."""
    before = dispute.stage if dispute.stage else Stage.NEW.value
    target = check(actor, dispute if dispute.stage else None, action, note)
    dispute.stage = target.value
    dispute.updated_at = now
    session.flush()  # the dispute's id, for a new one
    session.add(
        DisputeStep(
            dispute_id=dispute.id,
            action=action.value,
            from_stage=before,
            to_stage=target.value,
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            at=now,
            note=mask_text(note) if note else None,  # the full text stays with the dispute or session
        )
    )
    detail = {"number": dispute.number, "from": before, "to": target.value, **(data or {})}
    record_audit(session, actor, AUDIT[action], "dispute", dispute.id, detail)
    payload = {**detail, "division_path": dispute.division_path, "risk_level": dispute.risk_level}
    bus.publish(session, f"mediation.{action.value}", "dispute", dispute.id, payload, actor=actor, at=now)
    return dispute
