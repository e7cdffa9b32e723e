"""Rate limits for the public (no-login) endpoints, counted in the database (rate_counter) so that a restart or
a second API process does not reset them: a sliding window estimated from the current and the previous fixed
window (the previous one weighted by how much of it still overlaps). Without a database bound (unit tests of
the rule) the counts live in this process. `LimitBeforeBody` counts a request at the edge, before anything reads
or parses its body: a limited client is refused without the server taking in what it sends."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy import Engine, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Receive, Scope, Send

from gridgov.common.counters import increment
from gridgov.common.edge_errors import send_error
from gridgov.common.errors import AppError
from gridgov.db import Base


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"


class RateCounter(Base):
    __tablename__ = "rate_counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # start of the window, Unix seconds // length
    hits: Mapped[int] = mapped_column(Integer, default=0)


_engine: Engine | None = None


def use_database(engine: Engine | None) -> None:
    """Count in this database from now on (the app factory binds its engine)."""
    global _engine
    _engine = engine


def estimate(current: int, previous: int, elapsed_fraction: float) -> float:
    """Requests in the sliding window ending now (pure)."""
    return previous * (1.0 - elapsed_fraction) + current


class RateLimiter:
    def __init__(self, name: str, limit: int, window_seconds: int) -> None:
        self.name, self.limit, self.window = name, limit, window_seconds
        self._local: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request for `key`; raise TooManyRequests when the window is full."""
        now = time.time() if now is None else now
        window, into = divmod(now, self.window)
        current_window = int(window)
        key = key[:128]
        if _engine is None:
            current, previous = self._count_here(key, current_window)
        else:
            current, previous = self._count_in_database(_engine, key, current_window)
        if estimate(current, previous, into / self.window) > self.limit:
            wait = int(self.window - into) + 1
            raise TooManyRequests(f"操作过于频繁，请 {wait} 秒后再试", retry_after=wait)

    def _count_here(self, key: str, window: int) -> tuple[int, int]:
        with self._lock:
            self._local[(key, window)] += 1
            if len(self._local) > 50_000:  # forget old windows
                for k in [k for k in self._local if k[1] < window - 1]:
                    del self._local[k]
            return self._local[(key, window)], self._local.get((key, window - 1), 0)

    def _count_in_database(self, engine: Engine, key: str, window: int) -> tuple[int, int]:
        with engine.begin() as conn:  # its own short transaction: a refused or failing request still counts
            current = increment(conn, RateCounter, {"name": self.name, "key": key, "window": window}, "hits")
            previous = conn.execute(
                select(RateCounter.hits).where(
                    RateCounter.name == self.name, RateCounter.key == key, RateCounter.window == window - 1
                )
            ).scalar()
            if current == 1 and hash((key, window)) % 64 == 0:  # now and then, drop windows long past
                conn.execute(delete(RateCounter).where(RateCounter.name == self.name, RateCounter.window < window - 1))
        return current, previous or 0


_edge: list[tuple[str | None, str, bool, RateLimiter]] = []


def limit_at_edge(limiter: RateLimiter, path: str, method: str | None = "POST", prefix: bool = False) -> RateLimiter:
    """Register `limiter` as the per-address limit of a public route (`path` exactly, or every path under it with
    `prefix`; `method` None: any method), applied by LimitBeforeBody before the body is read. Each context
    registers its own public routes where it defines their limiters; returns the limiter."""
    _edge.append((method, path, prefix, limiter))
    return limiter


def edge_limiter(method: str, path: str) -> RateLimiter | None:
    """The registered per-address limiter of a request (None: the route is not limited at the edge)."""
    for want_method, want_path, prefix, limiter in _edge:
        if want_method is not None and want_method != method:
            continue
        if path == want_path or (prefix and path.startswith(want_path)):
            return limiter
    return None


class LimitBeforeBody:
    """Pure ASGI middleware: `limiter_for(method, path)` names the limiter of a route (None: not limited; by
    default the limiters registered with `limit_at_edge`); the
    request is counted under its client address (the socket's, or the one a trusted proxy gave: the proxy
    middleware sits outside this one) and refused with 429 before its body is read."""

    def __init__(self, app: ASGIApp, limiter_for: Callable[[str, str], RateLimiter | None] = edge_limiter) -> None:
        self.app, self.limiter_for = app, limiter_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.limiter_for(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if limiter is not None:
            client = scope.get("client")
            try:
                await anyio.to_thread.run_sync(limiter.hit, client[0] if client else "unknown")
            except TooManyRequests as exc:
                await send_error(send, exc, {"Retry-After": str(exc.extra["retry_after"])})
                return
        await self.app(scope, receive, send)
