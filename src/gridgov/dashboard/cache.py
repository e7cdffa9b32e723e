"""The dashboard's small TTL caches: endpoint results (5 s: wall screens poll every few seconds, one
computation serves them all) and reference data (a minute: categories, department names, division geometry)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from gridgov.dashboard.view import View

T = TypeVar("T")


class TTLCache:
    """A tiny thread-safe TTL cache: wall screens poll every few seconds, one computation serves them all.

    `ttl <= 0` disables it (the bench measures the SQL that way)."""

    def __init__(self, ttl: float, max_entries: int = 512) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._lock = threading.Lock()
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] > now:
                value: T = hit[1]
                return value
        value = compute()
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._evict(now)
            self._data[key] = (time.monotonic() + self.ttl, value)
        return value

    def _evict(self, now: float) -> None:
        for k in [k for k, (exp, _v) in self._data.items() if exp <= now]:
            del self._data[k]
        while len(self._data) >= self.max_entries:  # still full: drop the oldest insertions
            del self._data[next(iter(self._data))]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


RESULTS = TTLCache(ttl=5.0)  # endpoint results, keyed by scope + parameters
REFERENCE = TTLCache(ttl=60.0, max_entries=64)  # categories, department names, division geometry


def clear_caches() -> None:
    RESULTS.clear()
    REFERENCE.clear()


def cached(kind: str, view: View, params: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """An endpoint's result for this viewer scope and these parameters, computed at most every 5 seconds."""
    return RESULTS.get_or_compute((kind, view.scope_key, params), compute)
