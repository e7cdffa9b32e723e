"""Error answers sent by the pure ASGI edges (body cap, rate limits) before the app or any parsing runs: the
project's error body, the connection closed, so a refused request's body is never read."""

from __future__ import annotations

import json

from starlette.types import Send

from gridgov.common.errors import AppError


async def send_error(send: Send, exc: AppError, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": exc.to_dict()}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status, "headers": [*raw, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
