"""The edges every request passes (issue 12, findings 3-5): a body cap before parsing, rate limits that survive
a restart, ignore a spoofed X-Forwarded-For unless a proxy is trusted and refuse a limited client before its body
is read, security headers on every response, /docs behind a setting, and no open redirect after the login."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.types import Message
from typer.testing import CliRunner

from gridgov.app import create_app
from gridgov.cli import app as cli_app
from gridgov.common.audit import AuditLog
from gridgov.common.headers import page_policy, tile_source
from gridgov.common.ratelimit import RateLimiter, TooManyRequests, edge_limiter
from gridgov.common.redirects import safe_next
from gridgov.config import Settings

Client = Callable[..., TestClient]


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[Client]:
    def _client(address: str, **changes: Any) -> TestClient:
        app = create_app(settings.model_copy(update=changes), engine, sweeper=False, warm=False)
        return TestClient(app, client=(address, 40000))

    yield _client


# --- finding 3: the body cap ------------------------------------------------------------------------------


def test_a_declared_oversize_body_is_refused_before_parsing(client: Client) -> None:
    c = client("10.2.0.1", max_body_bytes=64 * 1024)
    big = b'{"title": "' + b"x" * (200 * 1024) + b'"}'
    r = c.post("/api/public/events", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    err = r.json()["error"]
    assert err["code"] == "too_large" and err["message"] == "请求体过大（上限 64 KB）" and err["field"] == "body"
    assert r.headers["x-content-type-options"] == "nosniff"  # the refusal carries the headers too


def test_a_streamed_body_is_counted_and_cut_off(client: Client) -> None:
    c = client("10.2.0.2", max_body_bytes=64 * 1024)
    chunks = (b'{"title": "' + b"y" * 16 * 1024 for _ in range(40))  # no Content-Length: chunked
    r = c.post("/api/public/events", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "请求体过大" in r.json()["error"]["message"]


def test_uploads_have_a_larger_limit_of_their_own(client: Client, login: Any) -> None:
    c = client("10.2.0.3", max_body_bytes=64 * 1024, max_upload_bytes=1024 * 1024)
    payload = b"\x89PNG\r\n\x1a\n" + b"0" * (300 * 1024)  # over the body cap, under the upload limit
    headers = login("admin")
    r = c.post("/api/attachments", files={"file": ("a.png", payload, "image/png")}, headers=headers)
    assert r.status_code != 413, r.text  # past the cap: the upload route judges the file itself
    r = c.post("/api/attachments", files={"file": ("a.png", b"0" * (2 * 1024 * 1024), "image/png")}, headers=headers)
    assert r.status_code == 413


# --- finding 3: rate limits -------------------------------------------------------------------------------


def test_public_limit_ignores_a_spoofed_forwarded_for_and_survives_a_restart(client: Client) -> None:
    c = client("10.2.1.1")
    codes = []
    for i in range(31):  # 30 uploads per 10 minutes from one address
        spoof = {"X-Forwarded-For": f"203.0.113.{i}"}
        r = c.post("/api/public/attachments", files={"file": ("a.txt", b"not an image", "text/plain")}, headers=spoof)
        codes.append(r.status_code)
    assert 429 not in codes[:30] and codes[30] == 429, codes
    restarted = client("10.2.1.1")  # a new app on the same database
    r = restarted.post("/api/public/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 429 and "秒后再试" in r.json()["error"]["message"]


def test_forwarded_for_counts_only_from_a_trusted_proxy(client: Client, session: Session) -> None:
    name = f"xff_{uuid.uuid4().hex[:6]}"
    for proxy, trusted in (("10.2.2.1", []), ("10.2.2.2", ["10.2.2.2"])):
        c = client(proxy, trusted_proxies=trusted)
        c.post("/api/auth/token", data={"username": name, "password": "x"}, headers={"X-Forwarded-For": "198.51.100.7"})
    session.expire_all()
    sources = [
        a.detail["source"]
        for a in session.scalars(select(AuditLog).where(AuditLog.entity_id == name).order_by(AuditLog.id))
    ]
    assert sources == ["10.2.2.1", "198.51.100.7"]


def _raw_post(app: Any, path: str, address: str, body: bytes) -> tuple[int, int]:
    """POST `body` straight into the ASGI app; (status answered, times the app asked for the body)."""
    asked: list[int] = []
    sent: list[Message] = []

    async def receive() -> Message:
        asked.append(1)
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": (address, 40000),
        "server": ("testserver", 80),
    }
    # in a thread of its own: the browser tests (Playwright's sync API) leave an event loop in the main thread
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, app, scope, receive, send).result()
    return int(sent[0]["status"]), len(asked)


def test_a_limited_client_is_refused_before_its_body_is_read(client: Client) -> None:
    c = client("10.2.1.5")
    for _ in range(20):  # 20 reports per 10 minutes from one address, bodies valid or not
        assert c.post("/api/public/events", json={}).status_code == 422
    body = json.dumps({"title": "x" * 200, "phone": "13800000000", "description": "y" * 1_000_000}).encode()
    status, reads = _raw_post(c.app, "/api/public/events", "10.2.1.5", body)
    assert status == 429 and reads == 0  # refused without the server taking in a byte of the body
    status, reads = _raw_post(c.app, "/api/public/events", "10.2.1.6", b"{}")  # another address is not limited
    assert status == 422 and reads == 1
    r = c.get("/api/public/events/GG000000?token=abcdefgh")  # the follow-up routes count under their own limit
    assert r.status_code == 404


def test_a_limited_upload_is_refused_before_the_multipart_is_parsed(client: Client) -> None:
    c = client("10.2.1.7")
    for _ in range(30):
        c.post("/api/public/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    status, reads = _raw_post(c.app, "/api/public/attachments", "10.2.1.7", b"x" * 4 * 1024 * 1024)
    assert status == 429 and reads == 0


def test_every_public_write_route_is_limited_at_the_edge(client: Client) -> None:
    """Each context registers its public routes' per-address limits where it defines them (limit_at_edge): a new
    public route that writes and forgot to do so fails here, whichever router it lives in."""
    from gridgov.common.error_docs import api_routes

    writes = [
        (method, route.path)
        for route in api_routes(client("10.2.1.8").app)  # type: ignore[arg-type]
        if route.path and route.path.startswith("/api/public/")
        for method in sorted(route.methods or ())
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert writes, "no public write route found"
    unlimited = [f"{m} {p}" for m, p in writes if p and edge_limiter(m, p.replace("{", "").replace("}", "")) is None]
    assert not unlimited, f"public write routes without a per-address limit at the edge: {unlimited}"


def test_gridgov_serve_turns_off_uvicorns_own_forwarded_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: behind nothing, a client on the same host could
    name any source. `gridgov serve` leaves the header to the app's trusted-proxy setting."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kw: seen.update(kw))
    monkeypatch.setattr("gridgov.app.create_app", lambda **_kw: object())
    result = CliRunner().invoke(cli_app, ["serve", "--port", "8999", "--no-sweeper"])
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False and seen["port"] == 8999


def test_sliding_window_weighs_the_previous_window() -> None:
    limiter = RateLimiter(f"t_{uuid.uuid4().hex[:8]}", limit=10, window_seconds=100)
    for i in range(10):
        limiter.hit("k", now=50 + i)
    with pytest.raises(TooManyRequests):
        limiter.hit("k", now=105)  # 95 % of the previous window's 10 still overlap: 9.5 + 1 > 10
    limiter.hit("k", now=350)  # two windows later nothing overlaps


# --- finding 5: headers and docs --------------------------------------------------------------------------

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")


@pytest.mark.parametrize("path", ["/login", "/dispatch", "/api/me", "/api/public/events/1?token=abcdefgh", "/healthz"])
def test_every_response_carries_the_security_headers(app_client: TestClient, path: str) -> None:
    r = app_client.get(path)
    for name in HEADERS:
        assert name in r.headers, (path, name)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


def test_static_files_carry_them_too(app_client: TestClient) -> None:
    r = app_client.get("/static/js/api.js")
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"


def test_the_tile_host_is_allowed_for_images_only() -> None:
    assert tile_source("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://*.tile.openstreetmap.org"
    assert tile_source("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == "https://*.is.autonavi.com"
    assert tile_source("javascript:alert(1)") is None and tile_source("") is None
    policy = page_policy("http://127.0.0.1:9000/tiles/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: http://127.0.0.1:9000" in policy and "connect-src 'self';" in policy


def test_docs_are_off_unless_the_setting_turns_them_on(client: Client) -> None:
    off = client("10.2.3.1")
    assert off.get("/docs").status_code == 404 and off.get("/openapi.json").status_code == 404
    on = client("10.2.3.2", api_docs=True)
    assert on.get("/openapi.json").status_code == 200
    docs = on.get("/docs")
    assert docs.status_code == 200 and "https:" not in docs.headers["content-security-policy"]
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text and "cdn." not in docs.text


# --- finding 4: the redirect after the login --------------------------------------------------------------

FOREIGN = [
    "//evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0A/evil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    "/%00/evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/x:y/..",
    "",
]


@pytest.mark.parametrize("value", FOREIGN)
def test_foreign_next_is_refused(app_client: TestClient, value: str) -> None:
    assert safe_next(value) is None
    if value:
        r = app_client.get("/login", params={"next": value}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


@pytest.mark.parametrize("value", ["/dispatch", "/ioc?refresh=3", "/resident?number=2026&token=abc%3D"])
def test_own_paths_pass(app_client: TestClient, value: str) -> None:
    assert safe_next(value) == value
    assert app_client.get("/login", params={"next": value}, follow_redirects=False).status_code == 200
