"""A value read from the database and shared by the whole process (the org tree, the catalog, the working
calendar): reloaded after a time-to-live — so that a change made by another process shows within it — and at
once after `invalidate()`, which this process's own writers call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class SharedSnapshot(Generic[T]):
    def __init__(self, load: Callable[[Session], T], ttl_seconds: float) -> None:
        self._load = load
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0
        self._generation = 0

    def get(self, session: Session) -> T:
        with self._lock:
            if self._value is not None and time.monotonic() - self._loaded_at < self.ttl_seconds:
                return self._value
            generation = self._generation
        value = self._load(session)  # outside the lock: a slow load does not hold up readers of a fresh value
        with self._lock:
            # An invalidate() during the load means the value may predate the change: use it for this call,
            # keep it for no one else.
            if generation == self._generation:
                self._value, self._loaded_at = value, time.monotonic()
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
            self._generation += 1
