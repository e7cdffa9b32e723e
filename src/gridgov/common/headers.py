"""Security headers on every response (pure ASGI middleware): a Content-Security-Policy that fits the pages
(scripts and styles from this site only; inline style attributes, which the pages and Leaflet write, allowed;
map tiles from the configured tile host), no framing, no MIME sniffing, a referrer that leaves the site as an
origin only (case links carry follow-up tokens), and HSTS when the request came over https."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def tile_source(template: str) -> str | None:
    """The CSP source of an XYZ tile URL template: its scheme and host, a placeholder label ("{s}.tile...")
    widened to a wildcard subdomain (pure)."""
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = urlsplit(template).netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    if any("{" in label for label in labels):
        keep = [label for label in labels[1:] if "{" not in label]
        host = "*." + ".".join(keep) if keep else "*"
    return f"{parts.scheme}://{host}"


def page_policy(tile_url: str) -> str:
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src " + " ".join(images),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


# Swagger UI (only when GRIDGOV_API_DOCS is on) is FastAPI's page with its inline start-up script; the bundle is
# vendored from npm (static/vendor/swagger-ui), so nothing loads from another site.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, tile_url: str = "", docs_path: str | None = None) -> None:
        self.app, self.docs_path = app, docs_path
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.page = [*common, (b"content-security-policy", page_policy(tile_url).encode())]
        self.docs = [*common, (b"content-security-policy", DOCS_POLICY.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs if self.docs_path and scope["path"].startswith(self.docs_path) else self.page
        if scope.get("scheme") == "https":
            extra = [*extra, (b"strict-transport-security", b"max-age=31536000")]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
