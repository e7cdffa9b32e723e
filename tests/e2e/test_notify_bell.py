"""The notification bell in a real browser: a resident reports through the API, the app's own workers (outbox →
planner → sender, as `make run` runs them) put the receipt and the dispatch notice in his bell; the count and
the list show in the page, a click marks one read, 全部已读 the rest; the grid worker's bell shows the new task."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")

from playwright.sync_api import Browser, BrowserContext, Page, expect

TIMEOUT = 20_000


@pytest.fixture
def signed_in(
    browser: Browser, browser_context_args: dict[str, Any], password_of: Callable[[str], str]
) -> Iterator[Callable[[str, str], Page]]:
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _open(username: str, path: str) -> Page:
        context = browser.new_context(**browser_context_args)
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password_of(username))
        page.click("#login-btn")
        page.wait_for_url(re.compile(r"/(ioc|dispatch|handler|grid|resident|admin)"))
        if path not in page.url:
            page.goto(path)
        return page

    yield _open
    for c in contexts:
        c.close()
    assert not errors, "JavaScript errors: " + "; ".join(errors)


def _token(server: str, username: str, password: str) -> dict[str, str]:
    r = httpx.post(server + "/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_bell_shows_counts_lists_and_marks_read(
    signed_in: Callable[[str, str], Page],
    server: str,
    seed: dict[str, Any],
    password_of: Callable[[str], str],
    artifacts: Path,
) -> None:
    resident = _token(server, "resident1", password_of("resident1"))
    page = signed_in("resident1", "/resident")
    httpx.post(server + "/api/notify/read", json={}, headers=resident)  # earlier tests' notifications

    title = f"小区门口路灯不亮 {uuid.uuid4().hex[:4]}"
    r = httpx.post(server + "/api/events", json={"title": title, "grid_code": seed["grid"]["code"]}, headers=resident)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    dsp = _token(server, f"dsp_{seed['street']}", password_of(f"dsp_{seed['street']}"))
    for action, body in (("file", {"category_code": "01001"}), ("dispatch", {})):
        r = httpx.post(f"{server}/api/events/{case_id}/actions/{action}", json=body, headers=dsp)
        assert r.status_code == 200, r.text

    page.evaluate("() => GG.bell.refresh()")
    expect(page.locator("#bell-count")).to_have_text("2", timeout=TIMEOUT)  # receipt and dispatch (polled)
    page.click("#bell")
    panel = page.locator("#bell-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("li.unread")).to_have_count(2)
    expect(panel.locator("li", has_text="您反映的问题已受理")).to_contain_text(title)
    expect(panel.locator("li", has_text="您反映的问题已派遣")).to_be_visible()
    page.screenshot(path=str(artifacts / "notify-bell-resident.png"))

    with page.expect_navigation():  # marked read, then its case opens (a new page: wait for it, not the old one)
        panel.locator("li", has_text="您反映的问题已受理").click()
    page.evaluate("() => GG.bell.refresh()")
    expect(page.locator("#bell-count")).to_have_text("1")
    page.click("#bell")
    page.click("#bell-all-read")
    expect(page.locator("#bell-count")).to_be_hidden()
    expect(page.locator("#bell-panel li.unread")).to_have_count(0)

    worker = seed["grid_worker"]
    inbox = httpx.get(server + "/api/notify/inbox", headers=_token(server, worker, password_of(worker))).json()
    if not any(n["case_id"] == case_id for n in inbox["items"]):
        return  # the case went to a department, not to this grid
    gw = signed_in(worker, "/grid")
    expect(gw.locator("#bell-count")).to_be_visible()
    gw.click("#bell")
    expect(gw.locator("#bell-panel li", has_text=title)).to_contain_text("新任务")  # earlier tests' tasks listed too
    gw.screenshot(path=str(artifacts / "notify-bell-grid.png"))


def test_the_admin_edits_a_template_in_the_page(
    signed_in: Callable[[str, str], Page], server: str, password_of: Callable[[str], str], artifacts: Path
) -> None:
    page = signed_in("admin", "/admin#notify")
    page.click('#tabs button[data-tab="notify"]')
    form = page.locator('form.tpl[data-kind="yellow"]')
    expect(form).to_be_visible()
    form.locator('input[name="title"]').fill("黄灯：{{ number")
    form.locator("button[type=submit]").click()
    expect(form.locator(".tpl-msg")).to_contain_text("模板有误")
    form.locator('input[name="title"]').fill("黄灯预警 {{ number }}（请加快办理）")
    form.locator("button[type=submit]").click()
    expect(page.locator('form.tpl[data-kind="yellow"] h3')).to_contain_text("已修改")
    page.screenshot(path=str(artifacts / "notify-admin-templates.png"))
    page.locator('form.tpl[data-kind="yellow"] [data-reset]').click()
    expect(page.locator('form.tpl[data-kind="yellow"] h3')).to_contain_text("默认")
    admin = _token(server, "admin", password_of("admin"))
    rows = httpx.get(server + "/api/notify/templates", headers=admin).json()
    assert next(t for t in rows if t["kind"] == "yellow")["changed"] is False
