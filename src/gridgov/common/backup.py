"""Backups and restores with a verified round trip.

SQLite: the online backup API copies a consistent snapshot while writers go on, including what is still in the
write-ahead log (a plain copy of the file misses it). PostgreSQL: `pg_dump` of a snapshot exported by a
repeatable-read transaction, the same one that counts the rows. Next to the backup, a manifest (FILE.json) holds
each table's row count and the audit chain's head; a restore checks both against what it restored, and walks
the audit chain. Files are created 0600."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, make_url, text

from gridgov.common.audit import Verdict, verify
from gridgov.common.timeutil import utcnow


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Manifest:
    dialect: str
    created_at: str
    tables: dict[str, int]
    audit_head: tuple[int, str]

    def dump(self, path: Path) -> None:
        body = {
            "dialect": self.dialect,
            "created_at": self.created_at,
            "tables": self.tables,
            "audit_head": list(self.audit_head),
        }
        write_private(path, json.dumps(body, ensure_ascii=False, indent=1).encode())

    @staticmethod
    def load(path: Path) -> Manifest:
        body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        head = body["audit_head"]
        return Manifest(body["dialect"], body["created_at"], dict(body["tables"]), (int(head[0]), str(head[1])))


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def write_private(path: Path, data: bytes) -> None:
    """Write `path` readable by its owner only (0600 from the start, replaced atomically)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def counts(conn: Connection) -> dict[str, int]:
    names = sorted(n for n in inspect(conn).get_table_names() if n != "alembic_version")
    return {n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names}


def audit_head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one_or_none()
    return (int(row[0]), str(row[1])) if row is not None else (0, "")


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(database)


# --- backup -----------------------------------------------------------------------------------------------


def backup(engine: Engine, out: Path) -> Manifest:
    out.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        return _backup_sqlite(engine, out)
    if engine.dialect.name == "postgresql":
        return _backup_postgres(engine, out)
    raise BackupError(f"不支持的数据库：{engine.dialect.name}")


def _backup_sqlite(engine: Engine, out: Path) -> Manifest:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    source = sqlite3.connect(sqlite_path(engine), timeout=30)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)  # one step: a consistent snapshot (the WAL's committed frames included)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        source.close()
        target.close()
    os.replace(tmp, out)
    probe = engine_for_file(out)
    try:
        with probe.connect() as conn:
            manifest = Manifest("sqlite", utcnow().isoformat(), counts(conn), audit_head(conn))
    finally:
        probe.dispose()
    manifest.dump(manifest_path(out))
    return manifest


def engine_for_file(path: Path) -> Engine:
    from sqlalchemy import create_engine

    return create_engine(f"sqlite:///{path.resolve()}")


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / name).exists():
            return str(root / name)
    raise BackupError(f"未找到 {name}（PostgreSQL 客户端工具）")


def libpq_url(engine: Engine) -> str:
    return make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _backup_postgres(engine: Engine, out: Path) -> Manifest:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            manifest = Manifest("postgresql", utcnow().isoformat(), counts(conn), audit_head(conn))
            tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            cmd = [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-owner", "-f", str(tmp)]
            done = subprocess.run([*cmd, libpq_url(engine)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
    os.replace(tmp, out)
    manifest.dump(manifest_path(out))
    return manifest


# --- restore ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    tables: dict[str, int]
    mismatched: dict[str, tuple[int, int]]  # table: (in the manifest, restored)
    head_ok: bool
    audit: Verdict

    @property
    def ok(self) -> bool:
        return not self.mismatched and self.head_ok and self.audit.ok


def restore(engine: Engine, source: Path, audit_secret: str) -> Restored:
    """Replace the database's content with the backup's (stop the server first), then verify the round trip."""
    if not source.exists():
        raise BackupError(f"备份文件不存在：{source}")
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, source)
    elif engine.dialect.name == "postgresql":
        _restore_postgres(engine, source)
    else:
        raise BackupError(f"不支持的数据库：{engine.dialect.name}")
    engine.dispose()  # no pooled connection keeps a view of the old content
    manifest = Manifest.load(manifest_path(source)) if manifest_path(source).exists() else None
    with engine.connect() as conn:
        restored, head = counts(conn), audit_head(conn)
        verdict = verify(conn, audit_secret)
    expected = manifest.tables if manifest is not None else restored
    mismatched = {
        name: (expected.get(name, -1), restored.get(name, -1))
        for name in sorted(set(expected) | set(restored))
        if expected.get(name, -1) != restored.get(name, -1)
    }
    head_ok = manifest is None or manifest.audit_head == head
    return Restored(restored, mismatched, head_ok, verdict)


def _restore_sqlite(engine: Engine, source: Path) -> None:
    path = sqlite_path(engine)
    engine.dispose()
    with _private_file(path):
        src = sqlite3.connect(source)
        dst = sqlite3.connect(path, timeout=30)
        try:
            src.backup(dst)  # page by page into the live file, through its own journal: never half-restored
        finally:
            src.close()
            dst.close()


@contextmanager
def _private_file(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    yield


def _restore_postgres(engine: Engine, source: Path) -> None:
    cmd = [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "-d"]
    done = subprocess.run([*cmd, libpq_url(engine), str(source)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
