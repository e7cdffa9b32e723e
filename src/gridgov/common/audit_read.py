"""Reading the audit log: the administrator's filtered, paginated list, the CSV export (itself audited) and the
walk of the hash chain (`gridgov audit verify`'s check, for the admin page)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog, CommonAudit, Verdict, record_audit, verify
from gridgov.common.errors import Forbidden, InvalidInput
from gridgov.common.principal import Principal, Role
from gridgov.db import settings_of

EXPORT_MAX = 100_000


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        if self.at_from is not None and self.at_to is not None and self.at_from > self.at_to:
            raise InvalidInput("开始时间晚于结束时间", field="at_from")
        found: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            found.append(AuditLog.actor_id == self.actor_id)
        if self.action:
            found.append(AuditLog.action == self.action)
        if self.entity:
            found.append(AuditLog.entity == self.entity)
        if self.entity_id:
            found.append(AuditLog.entity_id == self.entity_id)
        if self.at_from is not None:
            found.append(AuditLog.at >= self.at_from)
        if self.at_to is not None:
            found.append(AuditLog.at < self.at_to)
        return found


def require_admin(actor: Principal) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以查阅审计日志")


def list_audit(
    session: Session, actor: Principal, flt: AuditFilter, limit: int, cursor: int | None = None
) -> tuple[Sequence[AuditLog], int | None]:
    """Newest first; the next page starts below `cursor` (the last id of this one)."""
    require_admin(actor)
    stmt = select(AuditLog).where(*flt.where()).order_by(AuditLog.id.desc()).limit(limit + 1)
    if cursor is not None:
        stmt = stmt.where(AuditLog.id < cursor)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


COLUMNS = ("id", "seq", "at", "actor_id", "actor_role", "action", "entity", "entity_id", "detail", "hash")


def export_csv(session: Session, actor: Principal, flt: AuditFilter) -> str:
    """The filtered rows (oldest first) as CSV; the export itself is one audit row naming its filter."""
    require_admin(actor)
    rows = list(session.scalars(select(AuditLog).where(*flt.where()).order_by(AuditLog.id).limit(EXPORT_MAX + 1)))
    if len(rows) > EXPORT_MAX:
        raise InvalidInput(f"一次最多导出 {EXPORT_MAX} 条，请缩小时间范围", field="at_from")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        detail = json.dumps(r.detail, ensure_ascii=False, sort_keys=True)
        at = r.at.isoformat()
        writer.writerow([r.id, r.seq, at, r.actor_id, r.actor_role, r.action, r.entity, r.entity_id, detail, r.hash])
    given = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(flt).items() if v is not None}
    record_audit(session, actor, CommonAudit.AUDIT_EXPORT, "audit_log", "*", {"filter": given, "rows": len(rows)})
    return out.getvalue()


def verify_log(session: Session, actor: Principal) -> Verdict:
    """The whole chain walked, the append-only triggers checked (read-only)."""
    require_admin(actor)
    return verify(session.connection(), settings_of(session).audit_secret)
