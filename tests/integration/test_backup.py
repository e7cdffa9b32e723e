"""Backup and restore: a consistent copy taken while writers commit (what is still in the write-ahead log
included), restored with every table's row count and the audit chain checked; files readable by their owner only."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from gridgov.common.audit import AuditLog, CommonAudit, record_audit, verify
from gridgov.common.backup import Manifest, backup, counts, engine_for_file, manifest_path, restore
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.db import make_engine, session_factory
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import submit
from gridgov.dispatch.models import Event
from gridgov.org.models import Division
from support import People


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite online backup (PostgreSQL: pg_dump, covered by the CLI round trip)")


def test_backup_while_writers_commit_then_restore(
    engine: Engine, settings: Settings, people: People, tmp_path: Path, sqlite_only: None
) -> None:
    worker = people.grid_worker(3)
    factory = session_factory(engine, settings)
    with factory() as s:
        grid = s.get(Division, sorted(worker.grid_ids)[0])
        assert grid is not None
        grid_code = grid.code
    stop, written, errors = threading.Event(), [0], []

    def writer() -> None:
        try:
            while not stop.is_set():
                with factory() as s, UnitOfWork(s):
                    submit(s, worker, IntakeCommand(title=f"备份期间上报 {written[0]}", grid_code=grid_code))
                    record_audit(s, SYSTEM_PRINCIPAL, CommonAudit.PII_READ, "backup-test", written[0], {})
                written[0] += 1
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    while written[0] < 20:
        time.sleep(0.01)
    out = tmp_path / "nightly.db"
    committed = written[0]  # reports acknowledged before the backup starts (their commits may sit in the WAL)
    manifest = backup(engine, out)  # while the writers go on
    during = written[0]
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()
    assert errors == [] and written[0] > during >= 20

    assert _mode(out) == 0o600 and _mode(manifest_path(out)) == 0o600
    assert Manifest.load(manifest_path(out)) == manifest
    copy = engine_for_file(out)
    with copy.connect() as conn:
        assert counts(conn) == manifest.tables  # the manifest describes the file, one snapshot
        assert verify(conn, settings.audit_secret).ok  # a consistent cut: the chain holds in the copy
        kept = conn.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "backup-test"))
        assert int(kept or 0) >= committed  # none of the acknowledged writes is missing
    copy.dispose()
    with engine.connect() as conn:
        live_events = conn.scalar(select(func.count()).select_from(Event))
    assert manifest.tables["event"] < int(live_events or 0)  # the writers went on after the snapshot

    target = make_engine(f"sqlite:///{tmp_path / 'restored' / 'gridgov.db'}")
    result = restore(target, out, settings.audit_secret)
    assert result.ok, (result.mismatched, result.audit.first_bad)
    assert result.tables == manifest.tables and result.audit.head == manifest.audit_head
    with target.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditLog)) == manifest.tables["audit_log"]
    target.dispose()
    assert _mode(tmp_path / "restored") == 0o700 and _mode(tmp_path / "restored" / "gridgov.db") == 0o600


def test_a_restore_that_does_not_match_its_manifest_fails(
    engine: Engine, settings: Settings, tmp_path: Path, sqlite_only: None
) -> None:
    out = tmp_path / "b.db"
    backup(engine, out)
    body = manifest_path(out).read_text(encoding="utf-8").replace('"event": ', '"event": 1', 1)
    manifest_path(out).write_text(body, encoding="utf-8")
    target = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    result = restore(target, out, settings.audit_secret)
    target.dispose()
    assert not result.ok and "event" in result.mismatched


def test_the_cli_round_trip(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    """`gridgov backup --out` then `gridgov restore` into another database: exit 0 and 恢复并校验通过."""
    from gridgov.cli import app

    out = tmp_path / ("cli.db" if engine.dialect.name == "sqlite" else "cli.dump")
    made = CliRunner().invoke(app, ["backup", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "备份完成" in made.output and _mode(out) == 0o600
    if engine.dialect.name != "sqlite":
        return  # restoring drops and recreates every table: not into the database the other tests use
    target = tmp_path / "other" / "gridgov.db"
    env = {"GRIDGOV_DATABASE_URL": f"sqlite:///{target}"}
    from gridgov.config import get_settings
    from gridgov.db import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        done = CliRunner(env=env).invoke(app, ["restore", str(out)])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert done.exit_code == 0, done.output
    assert "恢复并校验通过" in done.output


def test_new_database_and_key_files_are_private(tmp_path: Path) -> None:
    db = tmp_path / "var" / "gridgov.db"
    eng = make_engine(f"sqlite:///{db}")
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert _mode(Path(f"{db}-wal")) == 0o600
    eng.dispose()
    assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
    keys = Settings(var_dir=tmp_path / "keys")
    keys.jwt_key, keys.pii_secret, keys.audit_secret  # noqa: B018 - generated on first use
    assert _mode(tmp_path / "keys") == 0o700
    for name in ("secret.key", "pii.key", "audit.key"):
        assert _mode(tmp_path / "keys" / name) == 0o600


def test_an_older_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    db.touch()
    os.chmod(db, 0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600
