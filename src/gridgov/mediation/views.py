"""Reads of the mediation API, scoped in the query (access.scoped): the caller's disputes by stage, one dispute with
its parties masked, mediators and agencies of the caller's area, and the parties unmasked for a caller allowed to
(audited)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden, InvalidInput
from gridgov.common.principal import Principal
from gridgov.common.scope import UNLIMITED, subtree
from gridgov.common.security import pii_cipher
from gridgov.db import settings_of
from gridgov.dispatch.models import Event
from gridgov.mediation import parties
from gridgov.mediation.access import load, scoped
from gridgov.mediation.dispute_types import dispute_type
from gridgov.mediation.models import Dispute, MediationAgency, Mediator
from gridgov.mediation.risk import RiskLevel
from gridgov.mediation.rules import AgencyKind, MediationAudit, PartyRole, Source, Stage, TaskStatus, allowed_actions
from gridgov.mediation.scans import scan_rows
from gridgov.mediation.schemas import DisputeDetail, DisputeRow, PartyOut
from gridgov.org import cache

LIST_MAX = 200


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Mediator.id, Mediator.name).where(Mediator.id.in_(ids))).all()
    return {int(i): str(n) for i, n in rows}


def _row(d: Dispute, names: dict[int, str]) -> dict[str, object]:
    return {
        "id": d.id,
        "number": d.number,
        "title": d.title,
        "dispute_type": d.dispute_type,
        "type_label": dispute_type(d.dispute_type).label,
        "stage": d.stage,
        "stage_label": Stage(d.stage).label,
        "risk_level": d.risk_level,
        "risk_label": RiskLevel(d.risk_level).label,
        "amount": d.amount,
        "place": d.address_text,
        "registered_at": d.registered_at,
        "mediator": names.get(d.mediator_id) if d.mediator_id else None,
    }


def list_disputes(
    session: Session, actor: Principal, stage: str | None = None, mine: bool = False, limit: int = 50
) -> list[DisputeRow]:
    query = scoped(actor)
    if stage:
        try:
            query = query.where(Dispute.stage == Stage(stage).value)
        except ValueError:
            listed = "、".join(f"{s.value}（{s.label}）" for s in Stage if s != Stage.NEW)
            raise InvalidInput(f"阶段“{stage}”不存在；可选：{listed}", field="stage") from None
    if mine:
        own = select(Mediator.id).where(Mediator.user_id == actor.user_id)
        query = query.where(Dispute.mediator_id.in_(own))
    found = session.scalars(query.order_by(Dispute.id.desc()).limit(min(limit, LIST_MAX))).all()
    names = _names(session, {d.mediator_id for d in found if d.mediator_id})
    return [DisputeRow.model_validate(_row(d, names)) for d in found]


def stage_counts(session: Session, actor: Principal) -> dict[str, int]:
    sub = scoped(actor).subquery()
    rows = session.execute(select(sub.c.stage, func.count()).group_by(sub.c.stage)).all()
    return {stage: int(n) for stage, n in rows}


def detail(session: Session, actor: Principal, dispute_id: int) -> DisputeDetail:
    d = load(session, actor, dispute_id)
    ids = {d.mediator_id} if d.mediator_id else set()
    for s in d.sessions:
        ids.update(s.mediator_ids)
    names = _names(session, ids)
    agencies = {
        a.id: a.name
        for a in session.scalars(select(MediationAgency).where(MediationAgency.id.in_([t.agency_id for t in d.tasks])))
    }
    body = _row(d, names) | {
        "description": d.description,
        "source": d.source,
        "source_label": Source(d.source).label,
        "risk_flags": d.risk_flags,
        "parties": [
            PartyOut(
                id=p.id,
                role=p.role,
                role_label=PartyRole(p.role).label,
                kind=p.kind,
                name=p.name_masked,
                id_number=p.id_number_masked,
                phone=p.phone_masked,
            )
            for p in d.parties
        ],
        "sessions": [
            {"held_at": s.held_at, "notes": s.notes, "mediators": [names.get(i, str(i)) for i in s.mediator_ids]}
            for s in d.sessions
        ],
        "tasks": [
            {
                "id": t.id,
                "agency": agencies.get(t.agency_id, ""),
                "kind_label": AgencyKind(t.agency_kind).label,
                "status": t.status,
                "status_label": TaskStatus(t.status).label,
                "deadline_at": t.deadline_at,
                "sla_state": t.sla_state,
                "note": t.note,
            }
            for t in d.tasks
        ],
        "steps": [
            {
                "action": s.action,
                "to_stage": s.to_stage,
                "to_label": Stage(s.to_stage).label,
                "at": s.at,
                "note": s.note,
            }
            for s in d.steps
        ],
        "terms": d.terms,
        "destination": d.destination,
        "follow_up_due": d.follow_up_due,
        "allowed": [{"value": a.value, "label": a.label} for a in allowed_actions(Stage(d.stage), actor.role)],
        "source_case": session.scalar(select(Event.number).where(Event.id == d.source_event_id))
        if d.source_event_id
        else None,
        "scans": scan_rows(session, d.id),
    }
    return DisputeDetail.model_validate(body)


def parties_unmasked(session: Session, actor: Principal, dispute_id: int) -> list[PartyOut]:
    """The parties in full, for a caller allowed to unmask PII; audited."""
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看当事人完整信息")
    d = load(session, actor, dispute_id)
    cipher = pii_cipher(settings_of(session).pii_secret)
    out = []
    for p in d.parties:
        full = parties.opened(cipher, p)
        out.append(
            PartyOut(
                id=p.id,
                role=p.role,
                role_label=PartyRole(p.role).label,
                kind=p.kind,
                name=full.name,
                id_number=full.id_number,
                phone=full.phone,
            )
        )
    record_audit(session, actor, MediationAudit.PII_READ, "dispute", d.id, {"parties": [p.id for p in d.parties]})
    return out


def mediators(session: Session, actor: Principal) -> list[dict[str, object]]:
    """Mediators whose area lies in the caller's (or above it, serving it), with their open load."""
    scoped(actor)  # role check
    snap = cache.snapshot(session)
    query = select(Mediator).where(Mediator.active.is_(True)).order_by(Mediator.id)
    if actor.role not in UNLIMITED and actor.division_path:
        root = actor.division_path
        ups = [snap.divisions[int(i)].path for i in root.strip("/").split("/")]
        query = query.where(subtree(Mediator.division_path, root) | Mediator.division_path.in_(ups))
    found = session.scalars(query.limit(LIST_MAX)).all()
    return [
        {"id": m.id, "name": m.name, "kind": m.kind, "skills": m.skills, "area": snap.divisions[m.division_id].name}
        for m in found
    ]
