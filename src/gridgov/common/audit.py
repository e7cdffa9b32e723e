"""The append-only audit log, written in the same transaction as the change it records.

Audit actions are ChoiceSets, not free strings: each context declares its own set (a subclass of `AuditAction`,
published under "audit_action"), so every action the log can hold has a value and a Chinese label.

The log is a hash chain (common/audit_chain.py): `record_audit` queues the row, the transaction's commit numbers
its rows after the chain head and links each to the one before (`seal`), and `verify` walks it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Connection, Integer, String, Table, event, insert, select, text, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from gridgov.common.audit_chain import GENESIS, Break, Walk, chain, chain_key, walk
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.events import OUTBOX_LOCK
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime, settings_of

PENDING_AUDIT = "gridgov.audit"


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
    # the chain: the row's place, the previous row's hash and its own (HMAC over prev_hash and its content)
    seq: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row): the last sequence number and hash, moved by every commit that writes audit
    rows, with the row locked for that commit — so two writers never link to the same row (no fork) — and
    compared by `verify` with the last row (a deleted tail)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAction(ChoiceSet):
    """The base of every context's audit actions (no members of its own)."""


@published("audit_action")
class CommonAudit(AuditAction):
    PII_READ = ("pii.read", "查看完整个人信息")
    AUDIT_EXPORT = ("audit.export", "导出审计日志")


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
) -> None:
    """Queue one audit row in the session's transaction; it is chained and written when the transaction commits
    (and dropped with it when it rolls back)."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit action {action!r} is not declared in an AuditAction set")
    if not session.in_transaction():
        session.begin()  # so that its end, whichever it is, is seen
    row = {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_role": actor.role.value,
        "action": action.value,
        "entity": entity,
        "entity_id": str(entity_id),
        # as the JSON column gives it back (tuples become lists), so that the hash is over what is stored
        "detail": json.loads(json.dumps(detail or {}, ensure_ascii=False)),
    }
    session.info.setdefault(PENDING_AUDIT, []).append(row)


# --- the chain, sealed at commit ---------------------------------------------------------------------------

_LOG = cast(Table, AuditLog.__table__)
_HEAD = cast(Table, AuditHead.__table__)
_INSERT = insert(_LOG)


def seal(conn: Connection, key: bytes, rows: list[dict[str, Any]]) -> None:
    """Number and link `rows` after the chain head and insert them, in the connection's transaction.

    Writers never fork the chain: one UPDATE of the head row (``seq = seq + n ... RETURNING``) takes SQLite's
    write lock or PostgreSQL's row lock — after the commit-order advisory lock the outbox takes too, so every
    transaction takes the two in one order — and holds it until the commit: the next writer reads this head."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK})
    head = conn.execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + len(rows)).returning(_HEAD.c.seq, _HEAD.c.hash)
    ).one_or_none()
    if head is None:
        raise RuntimeError("audit_head is missing: run the migrations (gridgov init)")
    last = chain(key, int(head.seq) - len(rows) + 1, str(head.hash), rows)
    conn.execute(update(_HEAD).where(_HEAD.c.id == 1).values(hash=last))
    conn.execute(_INSERT, rows)


@event.listens_for(Session, "before_commit")
def _seal_pending(session: Session) -> None:
    rows: list[dict[str, Any]] | None = session.info.get(PENDING_AUDIT)
    if not rows:
        return
    session.flush()  # the transaction's own row locks first, then the commit-order lock and the head
    session.info[PENDING_AUDIT] = []
    seal(session.connection(), chain_key(settings_of(session).audit_secret), rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (and sealed), rolled back or closed
        session.info.pop(PENDING_AUDIT, None)


# --- verification -----------------------------------------------------------------------------------------

EXPECTED_TRIGGERS = {"sqlite": ("audit_log_no_delete", "audit_log_no_update"), "postgresql": ("audit_log_no_change",)}


@dataclass(frozen=True)
class Verdict:
    walk: Walk
    head: tuple[int, str]
    triggers: tuple[str, ...]
    first_bad: Break | None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def _chain_rows(conn: Connection, batch: int = 5_000) -> Iterator[Mapping[str, Any]]:
    """Rows without a place first (inserted past the chain), then every row by seq, a batch at a time."""
    for stray in conn.execute(select(_LOG).where(_LOG.c.seq.is_(None)).order_by(_LOG.c.id)).mappings():
        yield dict(stray)
    after = 0
    while True:
        found = list(conn.execute(select(_LOG).where(_LOG.c.seq > after).order_by(_LOG.c.seq).limit(batch)).mappings())
        yield from (dict(r) for r in found)
        if len(found) < batch:
            return
        after = found[-1]["seq"]


def append_only_triggers(conn: Connection) -> tuple[str, ...]:
    """The enabled database triggers on audit_log (the migrations create them)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' ORDER BY name"
    elif conn.dialect.name == "postgresql":
        sql = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal "
            "AND tgenabled <> 'D' ORDER BY tgname"
        )
    else:
        return ()
    return tuple(str(name) for name in conn.execute(text(sql)).scalars())


def verify(conn: Connection, secret: str, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the whole chain and check the append-only triggers; `anchor`: a (seq, hash) noted outside the
    database earlier, which must still be there."""
    found = conn.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).one_or_none()
    head = (int(found.seq), str(found.hash)) if found is not None else (0, GENESIS)
    result = walk(chain_key(secret), _chain_rows(conn), head, anchor)
    triggers = append_only_triggers(conn)
    bad = result.first_bad
    if bad is None and triggers != EXPECTED_TRIGGERS.get(conn.dialect.name, triggers):
        bad = Break(None, None, f"只追加触发器不完整：{', '.join(triggers) or '无'}")
    return Verdict(result, head, triggers, bad)
