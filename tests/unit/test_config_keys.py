"""Generated keys (secret.key, pii.key, audit.key under var/): a process that starts while another is writing the
key reads the one complete key — never the empty file caught between its creation and its write — and the key
file is private."""

from __future__ import annotations

import secrets
import stat
import threading
import time
from pathlib import Path

import pytest

from gridgov.config import Settings


def test_a_reader_during_the_write_gets_the_complete_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = secrets.token_urlsafe
    writing = threading.Event()

    def slow_token(n: int) -> str:  # the writer is caught between creating the key and writing it
        writing.set()
        time.sleep(0.3)
        return real(n)

    monkeypatch.setattr(secrets, "token_urlsafe", slow_token)  # the module gridgov.config calls
    var = tmp_path / "var"
    got: dict[str, str] = {}
    # _key itself: the cached properties share one lock inside a process (Python 3.11), two processes do not
    writer = threading.Thread(target=lambda: got.setdefault("writer", Settings(var_dir=var)._key("", "audit.key")))
    writer.start()
    assert writing.wait(5)
    time.sleep(0.05)
    got["reader"] = Settings(var_dir=var)._key("", "audit.key")  # arrives while the writer is still writing
    writer.join()
    assert got["reader"] == got["writer"] and len(got["writer"]) >= 48, got
    assert stat.S_IMODE((var / "audit.key").stat().st_mode) == 0o600
    assert [p.name for p in var.iterdir()] == ["audit.key"]  # no temporary file left behind
