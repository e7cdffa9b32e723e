"""Browser (end-to-end) fixtures: an own demo database built in a subprocess (福田区, 60 grids), the app served by
uvicorn in a subprocess on a free 127.0.0.1 port, and Debian's Chromium driven by Playwright.

The root tests/conftest.py points GRIDGOV_VAR_DIR at a temp dir at import and may set GRIDGOV_DATABASE_URL; the
subprocesses here get their own GRIDGOV_* environment (separate var dir, SQLite file, keys, sweeper off), so the
two never share settings or data. Screenshots go to test-artifacts/e2e/ (gitignored)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path(os.environ.get("GRIDGOV_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
HERE = Path(__file__).resolve().parent
TIMEOUT = 15_000  # ms: every wait of a page


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each browser test may run a second time. In full CI runs on the shared 2-core machine, one or two of the
    46 page tests (a different one each run) missed a 15 s wait; each passed alone and in order. The cause is not
    found: see the session notes. A test that fails twice fails the run."""
    here = str(HERE)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.flaky(reruns=1))


@pytest.fixture(scope="session", autouse=True)
def _expect_waits_like_the_pages() -> None:
    """Playwright's `expect` keeps its own 5 s default, not the context's: on a shared 2-core CI machine an action
    answered in 5–6 s failed the test while every other wait allows TIMEOUT."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT)


def png_bytes(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (90, 140, 60)) -> bytes:
    """A small valid PNG (a gradient), made here so the tests need no image files."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(((rgb[0] + x) % 256, (rgb[1] + y) % 256, rgb[2])) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def e2e_env() -> Iterator[dict[str, str]]:
    if not CHROMIUM.exists():
        pytest.skip(f"浏览器测试需要 Debian 的 Chromium（{CHROMIUM}）：apt-get install -y chromium fonts-noto-cjk")
    tmp = Path(tempfile.mkdtemp(prefix="gridgov-e2e-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    env.update(
        {
            "GRIDGOV_VAR_DIR": str(tmp / "var"),
            "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
            "GRIDGOV_SLA_SWEEP_SECONDS": "0",
            # the other background rounds too (hazards sweep and grading, due 核查 tasks): the tests seed what they
            # need, and a round taking the database's write lock mid-test only makes a page wait
            "GRIDGOV_HAZARDS_SWEEP_SECONDS": "0",
            "GRIDGOV_BLOCKDATA_VERIFY_SWEEP_SECONDS": "0",
            # the pages' tests report look-alike cases at the same place on purpose (the dispatcher merges them)
            "GRIDGOV_REPEAT_ATTACH": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    yield env
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def seed(e2e_env: dict[str, str]) -> dict[str, Any]:
    """Build the database (subprocess) and return what seed.py printed: logins, a grid, prepared cases."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "seed.py")], env=e2e_env, capture_output=True, text=True, timeout=300, check=False
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("SEED-JSON ")), None)
    assert proc.returncode == 0 and line, f"seed failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    data: dict[str, Any] = json.loads(line.removeprefix("SEED-JSON "))
    return data


def _serve(env: dict[str, str], log_name: str) -> Iterator[str]:
    """uvicorn in a subprocess on a free port, until the generator is closed."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    cmd = [sys.executable, "-m", "uvicorn", "gridgov.app:create_app", "--factory", "--host", "127.0.0.1"]
    proc = subprocess.Popen([*cmd, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("uvicorn did not start: " + (ARTIFACTS / log_name).read_text()[-3000:])
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def run_script(e2e_env: dict[str, str], seed: dict[str, Any]) -> Callable[[str], Any]:
    """run_script("hazards_seed.py") -> what a helper script next to this file printed last, as JSON (run in a
    subprocess with the e2e environment, after seed.py)."""

    def _run(name: str) -> Any:
        proc = subprocess.run(
            [sys.executable, str(HERE / name)], env=e2e_env, capture_output=True, text=True, timeout=300, check=False
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return _run


@pytest.fixture(scope="session")
def server(e2e_env: dict[str, str], seed: dict[str, Any]) -> Iterator[str]:
    yield from _serve(e2e_env, "server.log")


@pytest.fixture(scope="session")
def short_lived_server(e2e_env: dict[str, str], seed: dict[str, Any]) -> Iterator[str]:
    """A second server on the same database whose access tokens last 6 seconds (the pages must refresh)."""
    yield from _serve({**e2e_env, "GRIDGOV_ACCESS_TOKEN_MINUTES": "0.1"}, "server-short.log")


# --- pytest-playwright: Debian's Chromium, never a downloaded browser -------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def base_url(server: str) -> str:
    return server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], server: str) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": server,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 900},
    }


@pytest.fixture(scope="session")
def password_of(seed: dict[str, Any]) -> Callable[[str], str]:
    """A printed demo login's own password; the seed gave every other demo account the test password."""
    logins, fallback = seed["logins"], str(seed["test_password"])

    def _pw(username: str) -> str:
        return str(logins[username]["password"]) if username in logins else fallback

    return _pw


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "现场照片.png"
    path.write_bytes(png_bytes())
    return path


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def login(
    browser: Browser, browser_context_args: dict[str, Any], password_of: Callable[[str], str]
) -> Iterator[Callable[..., Page]]:
    """login(username, path=None, **context options) -> a page of a fresh browser context, logged in (username
    None: not logged in, at `path`); any uncaught page error fails the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _login(username: str | None, path: str | None = None, **ctx: Any) -> Page:
        context = browser.new_context(**{**browser_context_args, **ctx})
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username or 'anonymous'}: {exc}"))
        if username is None:
            page.goto(path or "/resident")
            return page
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password_of(username))
        page.click("#login-btn")
        page.wait_for_url(re.compile(r"/(ioc|dispatch|handler|grid|resident|admin)"))
        if path:
            page.goto(path)
        return page

    yield _login
    for c in contexts:
        c.close()
    assert not errors, "JavaScript errors: " + "; ".join(errors)
