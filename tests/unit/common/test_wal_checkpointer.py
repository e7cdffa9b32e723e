"""The WAL checkpoint thread: the application's connections leave checkpoints to it, and it copies the log
back into the database file."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from gridgov.db import WalCheckpointer, make_engine


def _autocheckpoint(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_checkpoints_move_to_the_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ck.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    assert _autocheckpoint(engine) == 1000  # SQLite's default: the committing connection checkpoints
    ck = WalCheckpointer(engine, interval=0.01, safety_pages=50_000)
    assert ck.applies
    ck.start()
    try:
        assert _autocheckpoint(engine) == 50_000  # pooled connections made before start were replaced too
        for i in range(200):
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 2000 + str(i)})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (ck.last and ck.last[0] > 0 and ck.last[0] == ck.last[1]):
            time.sleep(0.02)
        assert ck.checkpoints > 0
        assert ck.last is not None and ck.last[0] > 0 and ck.last[1] == ck.last[0], ck.last
    finally:
        ck.stop()
    assert _autocheckpoint(engine) == 50_000  # a connection from before stop keeps its setting ...
    engine.dispose()
    assert _autocheckpoint(engine) == 1000  # ... new ones are SQLite's default again
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 200
    engine.dispose()


def test_not_for_memory_or_postgres() -> None:
    memory = make_engine("sqlite:///:memory:")
    ck = WalCheckpointer(memory)
    assert not ck.applies
    ck.start()
    assert ck.checkpoints == 0 and _autocheckpoint(memory) == 1000
    ck.stop()
    assert not WalCheckpointer(make_engine("postgresql+psycopg://u:p@127.0.0.1:1/x")).applies
