"""Engine, sessions and the declarative base."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, FromClause, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from gridgov.config import Settings, get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, whatever the backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)  # SQLite's are naive

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, process_bind_param and SQLite's DATETIME text format in one step (bound values are a hot
        path of every insert): the same 'YYYY-MM-DD HH:MM:SS.ffffff' text SQLAlchemy writes."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use timezone-aware UTC")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class HintingSQLiteCompiler(SQLiteCompiler):
    """SQLite's statement compiler, also rendering the table hints of ``Select.with_hint(table, text, "sqlite")``
    after the table name (``INDEXED BY ix`` / ``NOT INDEXED``), which SQLAlchemy's own SQLite compiler drops."""

    def get_from_hint_text(self, table: FromClause, text: str | None) -> str | None:
        return text


def private_database_file(path: Path) -> None:
    """The SQLite database readable by its owner only: its folder 0700 when created here, the file created 0600
    (SQLite gives its -wal and -shm files the database file's mode) and an older, wider file narrowed."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm"):
        found = path.with_name(path.name + suffix)
        if found.exists() and found.stat().st_mode & 0o077 and found.stat().st_uid == os.getuid():
            found.chmod(0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_database_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        engine.dialect.statement_compiler = HintingSQLiteCompiler
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().db_url)


def session_factory(engine: Engine | None = None, settings: Settings | None = None) -> sessionmaker[Session]:
    """Sessions on `engine`; with `settings`, services reading `settings_of(session)` follow those (the
    application's) settings rather than the process environment's."""
    info = {"settings": settings} if settings is not None else {}
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False, info=info)


def settings_of(session: Session) -> Settings:
    """The settings a service call runs under: those its session factory was made with, else the environment's."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session holding one unit of work, for CLI commands and background jobs: committed when the block ends
    normally, rolled back when it raises (services never commit; a long job may commit as it goes)."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class WalCheckpointer:
    """SQLite's WAL checkpoints, moved off the request path into a thread of their own.

    By default the connection whose commit pushes the write-ahead log past 1,000 pages copies the log back
    into the database file (and syncs it) before its commit returns: with the server's many small
    transactions that is about half of every commit, paid on the event loop. Started with the application,
    this lowers the connections' automatic checkpoint to a safety net (``safety_pages``, for a burst the
    thread cannot follow) and runs a PASSIVE checkpoint every ``interval`` seconds on its own connection —
    sqlite3 releases the GIL while it copies and syncs, and one with nothing to copy costs next to nothing.
    (It polls rather than listening for commits: an engine-level event listener would switch on SQLAlchemy's
    event dispatch for every statement.) A no-op on PostgreSQL and in-memory SQLite."""

    def __init__(self, engine: Engine, *, interval: float = 0.1, safety_pages: int = 20_000) -> None:
        self.engine = engine
        self.interval = interval
        self.safety_pages = safety_pages
        self.checkpoints = 0  # checkpoints run by the thread
        self.last: tuple[int, int] | None = None  # the last one's (frames in the log, frames copied back)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def applies(self) -> bool:
        db = self.engine.url.database or ""
        return self.engine.dialect.name == "sqlite" and db not in ("", ":memory:") and "mode=memory" not in db

    def start(self) -> None:
        if self._thread is not None or not self.applies:
            return
        event.listen(self.engine, "connect", self._on_connect)  # a pool event: statements are not affected
        self.engine.dispose()  # connections made before this point would keep the default checkpoint
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        event.remove(self.engine, "connect", self._on_connect)
        self._stop.set()
        thread.join(timeout=30)

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={int(self.safety_pages)}")

    def _run(self) -> None:
        raw = self.engine.raw_connection()
        raw.detach()  # this thread's own connection, never returned to the pool
        try:
            while not self._stop.wait(self.interval):
                self._checkpoint(raw)
            self._checkpoint(raw)
        finally:
            raw.close()

    def _checkpoint(self, raw: Any) -> None:
        try:
            cur = raw.cursor()
            try:
                cur.execute("PRAGMA wal_checkpoint(PASSIVE)")
                row = cur.fetchone()
            finally:
                cur.close()
        except Exception:  # a locked or vanished database: the connections' own safety net still applies
            logging.getLogger(__name__).warning("WAL checkpoint failed", exc_info=True)
            return
        self.checkpoints += 1
        if row is not None:
            self.last = (int(row[1]), int(row[2]))
