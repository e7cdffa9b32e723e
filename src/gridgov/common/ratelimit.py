"""A small in-process sliding-window rate limiter for the public (no-login) endpoints."""

from __future__ import annotations

import threading
import time
from collections import deque

from gridgov.common.errors import AppError


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit, self.window = limit, window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request for `key`; raise TooManyRequests when the window is full."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and now - q[0] > self.window:
                q.popleft()
            if len(q) >= self.limit:
                wait = int(self.window - (now - q[0])) + 1
                raise TooManyRequests(f"操作过于频繁，请 {wait} 秒后再试")
            q.append(now)
            if len(self._hits) > 50_000:  # forget idle keys
                for k in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window]:
                    del self._hits[k]
