"""The append-only audit log, written in the same transaction as the change it records.

Audit actions are ChoiceSets, not free strings: each context declares its own set (a subclass of `AuditAction`,
published under "audit_action"), so every action the log can hold has a value and a Chinese label."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditAction(ChoiceSet):
    """The base of every context's audit actions (no members of its own)."""


@published("audit_action")
class CommonAudit(AuditAction):
    PII_READ = ("pii.read", "查看完整个人信息")


def _refuse(kind: str) -> Callable[..., None]:
    def listener(_mapper: Any, _conn: Any, target: Any) -> None:
        raise PermissionError(f"{type(target).__name__} is append-only: {kind} refused")

    return listener


def make_append_only(model: type[Base]) -> None:
    event.listen(model, "before_update", _refuse("update"))
    event.listen(model, "before_delete", _refuse("delete"))


make_append_only(AuditLog)


def record_audit(
    session: Session,
    actor: Principal,
    action: AuditAction,
    entity: str,
    entity_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit action {action!r} is not declared in an AuditAction set")
    row = AuditLog(
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        action=action.value,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail or {},
    )
    session.add(row)
    return row
