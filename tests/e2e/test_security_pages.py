"""Security of the pages in a real browser: every page carries the security headers and runs under its CSP
without a violation, the login page refuses foreign `next` targets (server and script), and a signed-in page
stays signed in across access-token expiries by refreshing silently (a 6-second token on a second server)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Browser, Page, expect

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")
FOREIGN = [
    "//evil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/%0a/evil.example",
    "/%252F%252Fevil.example",
    "https://evil.example",
    "javascript:alert(1)",
]


def _sign_in(page: Page, username: str, password: str, next_: str | None = None) -> None:
    page.goto("/login" + (f"?next={next_}" if next_ else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-btn")


def _watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def test_pages_carry_the_headers_and_break_no_policy(
    browser: Browser, browser_context_args: dict[str, Any], password_of: Callable[[str], str], seed: dict[str, Any]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    violations = _watch_csp(page)
    _sign_in(page, f"ldr_{seed['district']}", password_of(f"ldr_{seed['district']}"))
    page.wait_for_url(re.compile(r"/ioc"))
    for path in ("/ioc", "/dispatch", "/handler", "/grid", "/admin", "/resident", "/login"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        headers = response.headers
        for name in HEADERS:
            assert name in headers, (path, name)
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    stored = page.evaluate("() => localStorage.getItem('gridgov.auth') || ''")
    assert "eyJ" not in stored  # no token where a script could read it
    assert "gg_access" not in page.evaluate("() => document.cookie")  # HttpOnly
    assert not violations, violations
    context.close()


def test_the_login_page_refuses_foreign_next(
    browser: Browser, browser_context_args: dict[str, Any], password_of: Callable[[str], str]
) -> None:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.goto("/login")
    verdicts = page.evaluate("(values) => values.map((v) => GG.safeNext(v))", FOREIGN)
    assert verdicts == [None] * len(FOREIGN)
    assert page.evaluate("() => GG.safeNext('/dispatch?id=3')") == "/dispatch?id=3"
    for value in ("/%5Cevil.example", "/%09/evil.example"):
        _sign_in(page, "resident1", password_of("resident1"), value)
        page.wait_for_url(re.compile(r"/resident"))
        assert page.url.startswith(browser_context_args["base_url"]), page.url
    _sign_in(page, "admin", password_of("admin"), "/admin%3Ftab%3Dusers")
    page.wait_for_url(re.compile(r"/admin"))
    context.close()


def test_a_page_stays_signed_in_across_access_token_expiries(
    browser: Browser,
    browser_context_args: dict[str, Any],
    short_lived_server: str,
    password_of: Callable[[str], str],
    seed: dict[str, Any],
    artifacts: Path,
) -> None:
    context = browser.new_context(**{**browser_context_args, "base_url": short_lived_server})
    page = context.new_page()
    refreshes: list[int] = []
    page.on("response", lambda r: refreshes.append(r.status) if r.url.endswith("/api/auth/refresh") else None)
    user = f"dsp_{seed['street']}"
    _sign_in(page, user, password_of(user))
    page.wait_for_url(re.compile(r"/dispatch"))
    page.wait_for_timeout(15_000)  # two and a half lifetimes of a 6-second access token
    me = page.evaluate("() => GG.api('/api/me').then((m) => m.username)")
    assert me == user and "/dispatch" in page.url
    assert len(refreshes) >= 2 and set(refreshes) == {200}, refreshes
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator("#login-form")).to_be_visible()
    page.screenshot(path=str(artifacts / "login-after-logout.png"))
    assert page.evaluate("() => fetch('/api/me').then((r) => r.status)") == 401
    context.close()


def test_an_account_made_by_the_admin_chooses_its_password_first(
    browser: Browser,
    browser_context_args: dict[str, Any],
    server: str,
    password_of: Callable[[str], str],
    seed: dict[str, Any],
    artifacts: Path,
) -> None:
    import httpx

    token = httpx.post(server + "/api/auth/token", data={"username": "admin", "password": password_of("admin")})
    admin = {"Authorization": "Bearer " + token.json()["access_token"]}
    made = httpx.post(
        server + "/api/users",
        json={"username": "new_gw_e2e", "password": "Given-by-admin1", "display_name": "新网格员", "role": "resident"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    _sign_in(page, "new_gw_e2e", "Given-by-admin1")
    expect(page.locator("#change-form")).to_be_visible()
    page.fill("#cur-password", "Given-by-admin1")
    page.fill("#new-password", "My-own-choice-42")
    page.fill("#new-password2", "My-own-choice-4")
    page.click("#change-btn")
    expect(page.locator("#change-error")).to_have_text("两次输入的新密码不一致")
    page.screenshot(path=str(artifacts / "login-change-password.png"))
    page.fill("#new-password2", "My-own-choice-42")
    page.click("#change-btn")
    page.wait_for_url(re.compile(r"/resident"))
    context.close()
