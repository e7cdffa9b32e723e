"""SharedSnapshot: loaded once, reloaded after its TTL or an invalidate, and never keeps a value that an
invalidate() overtook while it was loading."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from gridgov.common.snapshot import SharedSnapshot

NO_SESSION = cast(Session, None)


def test_loads_once_then_again_after_ttl_or_invalidate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("gridgov.common.snapshot.time.monotonic", lambda: clock[0])
    loads: list[int] = []

    def load(_session: Session) -> int:
        loads.append(1)
        return len(loads)

    shared = SharedSnapshot(load, ttl_seconds=60)
    assert [shared.get(NO_SESSION) for _ in range(3)] == [1, 1, 1]
    clock[0] += 59.9
    assert shared.get(NO_SESSION) == 1
    clock[0] += 0.2
    assert shared.get(NO_SESSION) == 2
    shared.invalidate()
    assert shared.get(NO_SESSION) == 3
    assert len(loads) == 3


def test_a_load_overtaken_by_invalidate_is_not_kept() -> None:
    shared: SharedSnapshot[str] = SharedSnapshot(lambda _s: "", ttl_seconds=60)
    values = iter(["before the change", "after the change"])

    def load(_session: Any) -> str:
        value = next(values)
        if value == "before the change":
            shared.invalidate()  # a writer commits and invalidates while this load is under way
        return value

    shared._load = load
    assert shared.get(NO_SESSION) == "before the change"  # this call may use what it read ...
    assert shared.get(NO_SESSION) == "after the change"  # ... but the next one reads again
    assert shared.get(NO_SESSION) == "after the change"
