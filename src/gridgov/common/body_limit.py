"""A cap on request bodies, enforced before anything parses them (pure ASGI middleware): a declared
Content-Length over the limit is answered 413 at once, and a body streamed without one (or longer than it said)
is counted as it arrives and cut off at the limit. Upload routes get a larger limit of their own."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridgov.common.edge_errors import send_error
from gridgov.common.errors import TooLarge


def _message(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"请求体过大（上限 {size}）"


class BodyLimit:
    """`limit_for(method, path)` gives the byte limit of a request."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _refuse(send, limit)
                return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            # Past the limit the 413 goes out at once and the app is told the client left: whatever it answers
            # then (FastAPI turns a failed body read into a 400) is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, watching_send)


async def _refuse(send: Send, limit: int) -> None:
    await send_error(send, TooLarge(_message(limit), field="body", limit_bytes=limit))
