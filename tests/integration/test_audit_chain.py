"""The audit log's hash chain: every row linked to the one before, `audit verify` naming the first row where it
breaks (a deleted, edited or inserted row, a deleted tail, triggers dropped), and writers that never fork it.

Each tampering runs in a transaction that is rolled back (DDL included, on SQLite and PostgreSQL alike), so
the session's database stays whole for the other tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov.common.audit import AuditHead, AuditLog, CommonAudit, record_audit, verify
from gridgov.common.audit_read import verify_log
from gridgov.common.errors import Forbidden
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal, Role
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings, get_settings
from gridgov.db import session_factory


def _write(engine: Engine, settings: Settings, n: int, what: str = "x") -> None:
    with session_factory(engine, settings)() as s, UnitOfWork(s):
        for i in range(n):
            record_audit(s, SYSTEM_PRINCIPAL, CommonAudit.PII_READ, "test", f"{what}{i}", {"i": i, "t": (1, 2)})


@pytest.fixture
def chained(engine: Engine, settings: Settings, demo: object) -> Engine:
    _write(engine, settings, 6)
    return engine


@pytest.fixture
def tamper(chained: Engine) -> Iterator[Connection]:
    with chained.connect() as conn:
        tx = conn.begin()
        if conn.dialect.name == "sqlite":  # pysqlite opens a transaction before DML only: DDL needs it opened
            conn.exec_driver_sql("BEGIN")
        yield conn
        tx.rollback()
    with chained.connect() as conn:
        assert verify(conn, get_settings().audit_secret).ok  # the rollback left the session's database whole


def _without_triggers(conn: Connection, sql: str, **params: object) -> None:
    """The attack of the security review: drop the append-only trigger, change the table, put the trigger back."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text(sql), params)
        for verb in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                )
            )
    else:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        conn.execute(text(sql), params)
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))


def _seqs(conn: Connection) -> list[tuple[int, int]]:
    return [(int(r.id), int(r.seq)) for r in conn.execute(select(AuditLog.id, AuditLog.seq).order_by(AuditLog.seq))]


def test_the_chain_holds_and_the_rows_are_numbered_without_gaps(chained: Engine, settings: Settings) -> None:
    with chained.connect() as conn:
        verdict = verify(conn, settings.audit_secret)
        seqs = [s for _id, s in _seqs(conn)]
    assert verdict.ok, verdict.first_bad
    assert seqs == list(range(1, len(seqs) + 1)) and verdict.head[0] == len(seqs) >= 6


def test_a_rolled_back_transaction_leaves_no_row_and_no_gap(chained: Engine, settings: Settings) -> None:
    with session_factory(chained, settings)() as s:
        before = s.scalar(select(AuditHead.seq))
        record_audit(s, SYSTEM_PRINCIPAL, CommonAudit.PII_READ, "test", "gone", {})
        s.rollback()
        assert s.scalar(select(AuditHead.seq)) == before
    with chained.connect() as conn:
        assert verify(conn, settings.audit_secret).ok


def test_deleting_two_rows_behind_the_trigger_is_found(tamper: Connection, settings: Settings) -> None:
    rows = _seqs(tamper)
    (id_a, seq_a), (id_b, _seq_b) = rows[-4], rows[-3]
    _without_triggers(tamper, "DELETE FROM audit_log WHERE id IN (:a, :b)", a=id_a, b=id_b)
    verdict = verify(tamper, settings.audit_secret)
    assert verdict.triggers  # the triggers are back: only the chain shows it
    bad = verdict.first_bad
    assert bad is not None and bad.seq == seq_a + 2 and bad.id == rows[-2][0]
    assert f"第 {seq_a}–{seq_a + 1} 条缺失" in bad.reason


def test_the_admin_pages_verification_names_the_same_break(tamper: Connection, settings: Settings) -> None:
    rows = _seqs(tamper)
    _without_triggers(tamper, "DELETE FROM audit_log WHERE id = :a", a=rows[-3][0])
    admin = Principal(user_id=None, username="admin", role=Role.ADMIN)
    with Session(bind=tamper, info={"settings": settings}) as session:
        verdict = verify_log(session, admin)
        assert not verdict.ok and verdict.first_bad == verify(tamper, settings.audit_secret).first_bad
        with pytest.raises(Forbidden):
            verify_log(session, Principal(user_id=None, username="ldr", role=Role.LEADER))


def test_an_edited_row_is_found(tamper: Connection, settings: Settings) -> None:
    target_id, target_seq = _seqs(tamper)[-3]
    _without_triggers(tamper, "UPDATE audit_log SET entity_id = 'someone-else' WHERE id = :id", id=target_id)
    bad = verify(tamper, settings.audit_secret).first_bad
    assert bad is not None and (bad.id, bad.seq) == (target_id, target_seq) and "被修改" in bad.reason


def test_a_recomputed_hash_without_the_key_is_found(tamper: Connection, settings: Settings) -> None:
    """Editing a row and hashing it again with a guessed key breaks the link to the next row anyway."""
    target_id, target_seq = _seqs(tamper)[-3]
    _without_triggers(tamper, "UPDATE audit_log SET hash = :h WHERE id = :id", h="f" * 64, id=target_id)
    bad = verify(tamper, settings.audit_secret).first_bad
    assert bad is not None and bad.id == target_id and bad.seq == target_seq


def test_an_inserted_row_is_found(tamper: Connection, settings: Settings) -> None:
    tamper.execute(
        text(
            "INSERT INTO audit_log (at, actor_id, actor_role, action, entity, entity_id, detail) "
            "VALUES (:at, NULL, 'system', 'pii.read', 'test', 'forged', '{}')"
        ),
        {"at": "2026-12-06 10:00:00.000000"},
    )
    bad = verify(tamper, settings.audit_secret).first_bad
    assert bad is not None and bad.seq is None and "不在链上" in bad.reason


def test_a_deleted_tail_is_found_against_the_head_and_an_anchor(tamper: Connection, settings: Settings) -> None:
    last_id, last_seq = _seqs(tamper)[-1]
    anchor = verify(tamper, settings.audit_secret).head
    _without_triggers(tamper, "DELETE FROM audit_log WHERE id = :id", id=last_id)
    bad = verify(tamper, settings.audit_secret).first_bad
    assert bad is not None and "链尾缺失" in bad.reason
    # the head moved back too: only the anchor noted outside the database still shows it
    tamper.execute(
        text("UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit_log WHERE seq = :s)"),
        {"s": last_seq - 1},
    )
    assert verify(tamper, settings.audit_secret).ok
    bad = verify(tamper, settings.audit_secret, anchor).first_bad
    assert bad is not None and bad.seq == last_seq and "锚点" in bad.reason


def test_a_dropped_trigger_is_reported(tamper: Connection, settings: Settings) -> None:
    if tamper.dialect.name == "sqlite":
        tamper.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        tamper.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
    bad = verify(tamper, settings.audit_secret).first_bad
    assert bad is not None and "触发器" in bad.reason


def test_concurrent_writers_never_fork_the_chain(chained: Engine, settings: Settings) -> None:
    with chained.connect() as conn:
        before = int(conn.scalar(select(func.count()).select_from(AuditLog)) or 0)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for round_ in range(10):
                _write(chained, settings, 1 + round_ % 3, f"w{k}-{round_}-")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with chained.connect() as conn:
        verdict = verify(conn, settings.audit_secret)
        after = conn.scalar(select(func.count()).select_from(AuditLog))
    assert verdict.ok, verdict.first_bad
    assert after == before + 6 * sum(1 + r % 3 for r in range(10)) == verdict.head[0]


def test_the_cli_verifies_and_exits_non_zero_on_a_break(chained: Engine, settings: Settings) -> None:
    from gridgov.cli import app

    ok = CliRunner().invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计日志完整" in ok.output
    bad_anchor = CliRunner().invoke(app, ["audit", "verify", "--anchor", f"1:{'0' * 64}"])
    assert bad_anchor.exit_code == 1 and "第 1 条" in bad_anchor.output and "锚点" in bad_anchor.output
