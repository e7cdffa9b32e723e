"""核查: the grid worker's verification tasks — settle one on site (confirm, correct, reject), and open tasks for
records not verified for the days their type allows. A confirmed or corrected task writes a new source record
through the import's own writer (checked, placed, encrypted, one batch with provenance); nothing is overwritten,
the linkage clusters the new record with the old ones."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, exists, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gridgov.blockdata.access import VERIFIERS, BlockdataAudit, record_scope, require
from gridgov.blockdata.declarations import declared_pii
from gridgov.blockdata.importing import write_checked
from gridgov.blockdata.models import EntityRecord, PersonRecord, PhoneRecord
from gridgov.blockdata.placing import place_all
from gridgov.blockdata.rules import FIELDS, check_row
from gridgov.blockdata.verify_models import Declaration, VerificationTask, VerifySource, VerifyStatus
from gridgov.blockdata.verify_rules import (
    CORRECTABLE,
    DECLARED_DEPARTMENT,
    OUTCOMES,
    VERIFIED_DEPARTMENT,
    allowed_outcomes,
    corrected,
    rental_row,
    stale_cutoff,
)
from gridgov.common.audit import record_audit
from gridgov.common.errors import IllegalTransition, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.periodic import Periodic
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal, Role
from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.db import settings_of

log = logging.getLogger(__name__)
VERIFIED = "blockdata.verified"
DUE_OPENED = "blockdata.verifications_due"
SWEEP_LIMIT = 5_000
SWEEPERS = frozenset({Role.ADMIN, Role.SYSTEM})


def load_task(session: Session, actor: Principal, task_id: int) -> VerificationTask:
    """One task in the caller's data scope (else 404, as if it did not exist)."""
    task = session.scalar(
        select(VerificationTask).where(
            VerificationTask.id == task_id,
            record_scope(actor, VerificationTask.division_path, VerificationTask.grid_id),
        )
    )
    if task is None:
        raise NotFound("核查任务不存在或无权查看", field="task_id")
    return task


def settle(
    session: Session,
    actor: Principal,
    task_id: int,
    outcome: str,
    note: str = "",
    changes: dict[str, str] | None = None,
    today: date | None = None,
) -> VerificationTask:
    """Confirm, correct or reject one open task on site; audited and published."""
    require(actor, VERIFIERS, "现场核查")
    task = load_task(session, actor, task_id)
    allowed = allowed_outcomes(task.status)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"核查结果应为 {'、'.join(OUTCOMES)} 之一", field="outcome")
    if outcome not in allowed:
        raise IllegalTransition(
            f"该任务已{VerifyStatus(task.status).label}，不能再次核查", allowed=list(allowed), status_now=task.status
        )
    note = note.strip()
    if outcome == "reject" and not note:
        raise InvalidInput("核查不实需填写原因（如：查无此人、已搬离）", field="note")
    if outcome == "correct" and not any(str(v).strip() for v in (changes or {}).values()):
        raise InvalidInput("请填写需要更正的内容", field="changes")
    if outcome == "correct":
        allowed_fields = CORRECTABLE if task.declaration_id is not None else tuple(FIELDS[task.record or "person"])
        unknown = sorted(k for k in (changes or {}) if k not in allowed_fields)
        if unknown:
            raise InvalidInput(f"不能更正字段“{unknown[0]}”，可更正：{'、'.join(allowed_fields)}", field="changes")
    today = today or date.today()
    if outcome != "reject":
        task.written_record_id = _write_verified(session, actor, task, outcome, changes or {}, today)
    status = OUTCOMES[outcome]
    task.status, task.note = status.value, note[:500] or None
    task.done_at, task.done_by, task.done_by_name = utcnow(), actor.user_id, actor.username[:64]
    if task.declaration_id is not None:
        declaration = session.get(Declaration, task.declaration_id)
        assert declaration is not None
        declaration.status = status.value
    detail: dict[str, Any] = {"outcome": outcome, "source": task.source, "written_record_id": task.written_record_id}
    if outcome == "correct":
        detail["fields"] = sorted(k for k, v in (changes or {}).items() if str(v).strip())  # names, never values
    record_audit(session, actor, BlockdataAudit.VERIFY, "bd_verification", task.id, detail)
    bus.publish(session, VERIFIED, "bd_verification", task.id, detail | {"grid_id": task.grid_id}, actor=actor)
    session.flush()
    return task


def _write_verified(
    session: Session, actor: Principal, task: VerificationTask, outcome: str, changes: dict[str, str], today: date
) -> int:
    """The new source record a confirmation or correction writes, through the import's checks and writer."""
    if task.declaration_id is not None:
        declaration = session.get(Declaration, task.declaration_id)
        assert declaration is not None
        fields, pii = dict(declaration.fields), declared_pii(session, declaration)
        if outcome == "correct":
            fields, pii = corrected(fields, pii, changes)
        kind, label = "rental", declaration.number
        row = rental_row(declaration.address_text, fields.get("room", ""), fields, pii)
        department = DECLARED_DEPARTMENT if outcome == "confirm" else VERIFIED_DEPARTMENT
    else:
        kind, label = task.record or "person", f"核查 {task.id}"
        row = _record_row(session, kind, task.record_id or 0)
        if outcome == "correct":
            row |= {k: str(v).strip() for k, v in changes.items() if k in FIELDS[kind] and str(v).strip()}
        department = VERIFIED_DEPARTMENT
    checked, problems = check_row(kind, row, today)
    if problems:
        name, message = problems[0]
        raise InvalidInput(message, field=name)
    placement = place_all(session, [checked.address])[0]
    report = write_checked(session, actor, department, kind, label, [checked], [placement])
    model = EntityRecord if kind == "entity" else PersonRecord
    written = session.scalar(select(model.id).where(model.batch_id == report.batch_id))
    assert written is not None
    return int(written)


def _record_row(session: Session, kind: str, record_id: int) -> dict[str, str]:
    """A stored record as a row of its kind (our field names), PII decrypted in memory for the re-check."""
    cipher = pii_cipher(settings_of(session).pii_secret)
    link = PhoneRecord.entity_id if kind == "entity" else PhoneRecord.person_id
    token = session.scalar(select(PhoneRecord.phone_enc).where(link == record_id).limit(1))
    phone = cipher.decrypt(token) if token else ""
    if kind == "entity":
        e = session.get(EntityRecord, record_id)
        if e is None:
            raise NotFound("核查的记录已不存在", field="record_id")
        return {
            "name": e.name,
            "uscc": e.uscc,
            "legal_rep": e.legal_rep,
            "industry": e.industry,
            "licence_status": e.licence_status,
            "phone": phone,
            "address": e.address_text,
        }
    p = session.get(PersonRecord, record_id)
    if p is None:
        raise NotFound("核查的记录已不存在", field="record_id")
    return {
        "name": p.name,
        "id_type": p.id_type,
        "id_number": cipher.decrypt(p.id_enc) if p.id_enc else "",
        "phone": phone,
        "population": p.population,
        "address": p.address_text,
        "move_in": p.move_in.isoformat() if p.move_in else "",
        "move_out": p.move_out.isoformat() if p.move_out else "",
        "tags": "、".join(p.tags or []),
    }


def open_due_tasks(
    session: Session, actor: Principal, today: date | None = None, limit: int = SWEEP_LIMIT
) -> dict[str, int]:
    """Open a task for every placed, current record whose last verification (or import) is older than the days of
    its type and that has no open task; at most `limit` per type and run. Returns the count per type."""
    require(actor, SWEEPERS, "生成复核任务")
    days = settings_of(session).blockdata_verify_days
    today = today or date.today()
    opened: dict[str, int] = {}
    for type_, model, record in (
        ("floating", PersonRecord, "person"),
        ("registered", PersonRecord, "person"),
        ("entity", EntityRecord, "entity"),
    ):
        cutoff = stale_cutoff(today, int(days.get(type_, 0)))
        if cutoff is None:
            continue
        since = datetime.combine(cutoff, time(0), tzinfo=UTC)
        t = VerificationTask
        mine = and_(t.record == record, t.record_id == model.id)
        fresh = exists().where(mine, t.status.in_(("confirmed", "corrected")), t.done_at >= since)
        pending = exists().where(mine, t.status == VerifyStatus.OPEN.value)
        stmt = select(model.id, model.address_id, model.grid_id, model.division_path).where(
            model.grid_id.is_not(None), model.imported_at < since, ~pending, ~fresh
        )
        if model is PersonRecord:
            floating = PersonRecord.population == "floating"
            stmt = stmt.where(PersonRecord.move_out.is_(None), floating if type_ == "floating" else ~floating)
        else:
            stmt = stmt.where(EntityRecord.licence_status == "active")
        rows = [
            {
                "source": VerifySource.STALE.value,
                "record": record,
                "record_id": rid,
                "stale_type": type_,
                "address_id": aid,
                "grid_id": gid,
                "division_path": path,
                "status": VerifyStatus.OPEN.value,
                "due_on": cutoff,
                "created_at": utcnow(),
            }
            for rid, aid, gid, path in session.execute(stmt.order_by(model.id).limit(limit))
        ]
        if rows:
            session.execute(insert(VerificationTask), rows)
        opened[type_] = len(rows)
    detail = {"opened": opened, "today": today.isoformat()}
    record_audit(session, actor, BlockdataAudit.VERIFY_DUE, "bd_verification", 0, detail)
    bus.publish(session, DUE_OPENED, "bd_verification", 0, detail, actor=actor)
    return opened


class VerifyDueWorker(Periodic):
    """Opens the due re-verification tasks once per interval, as the system, one unit of work per round."""

    thread_name = "blockdata-verify-due"

    def __init__(self, factory: sessionmaker[Session], interval: float) -> None:
        super().__init__(interval)
        self.factory = factory

    def round(self) -> None:
        with self.factory() as session:
            opened = one_action(open_due_tasks, session, SYSTEM_PRINCIPAL)
        if any(opened.values()):
            log.info("re-verification tasks opened: %s", opened)
