"""The append-only audit log and the domain-event outbox, written in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

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


class DomainEvent(Base):
    """Outbox of domain events; projections and notifications read it in order of id."""

    __tablename__ = "domain_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    aggregate: Mapped[str] = mapped_column(String(32))
    aggregate_id: Mapped[int] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


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
    action: str,
    entity: str,
    entity_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail or {},
    )
    session.add(row)
    return row


def emit(
    session: Session,
    name: str,
    aggregate: str,
    aggregate_id: int,
    payload: dict[str, Any],
    at: datetime | None = None,
) -> None:
    session.add(
        DomainEvent(name=name, aggregate=aggregate, aggregate_id=aggregate_id, payload=payload, at=at or utcnow())
    )
