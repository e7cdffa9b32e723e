"""The admin page's audit tab in a real browser (issue 12): the hash chain's verification shown, the rows in pages
of 50 (next and back), filters by actor, action and time range, an unknown actor named, and the CSV export
downloaded — the export itself then listed in the log under the admin's name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

Login = Callable[..., Page]
ROWS = "#audit-table tbody tr"


def _count(page: Page, query: str) -> int:
    got: int = page.evaluate(
        "(q) => fetch('/api/admin/audit?' + q).then((r) => r.json()).then((j) => j.items.length)", query
    )
    return got


def test_the_audit_tab_verifies_filters_pages_and_exports(login: Login, artifacts: Path) -> None:
    page = login("admin", "/admin")
    missing = 51 - _count(page, "limit=51")
    for _ in range(max(0, missing)):  # two pages' worth of rows: each export is an audited action of its own
        page.evaluate("() => fetch('/api/admin/audit.csv?entity=none').then((r) => r.text())")
    page.click('#tabs button[data-tab="audit"]')
    expect(page.locator("#audit-verify")).to_contain_text("哈希链完整")
    expect(page.locator(ROWS)).to_have_count(50)
    first_seq = page.locator(f"{ROWS} td").first.inner_text()
    expect(page.locator("#audit-prev")).to_be_disabled()
    page.click("#audit-next")
    expect(page.locator("#audit-page")).to_have_text("第 2 页")
    assert page.locator(f"{ROWS} td").first.inner_text() != first_seq
    page.click("#audit-prev")
    expect(page.locator("#audit-page")).to_have_text("第 1 页")
    expect(page.locator(f"{ROWS} td").first).to_have_text(first_seq)

    form = page.locator("#audit-filter")
    form.locator("input[name=actor]").fill("admin")
    form.locator("select[name=action]").select_option("auth.login")
    form.locator("button[type=submit]").click()
    expect(page.locator(f"{ROWS}[data-action='auth.login']").first).to_be_visible()
    expect(page.locator(f"{ROWS}:not([data-action='auth.login'])")).to_have_count(0)
    assert all(t == "admin" for t in page.locator(f"{ROWS} td:nth-child(3)").all_inner_texts())

    form.locator("input[name=at_from]").fill("2999-01-01T00:00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#audit-list .empty")).to_have_text("没有符合条件的审计记录")
    form.locator("input[name=at_from]").fill("")

    form.locator("input[name=actor]").fill("nobody_at_all")
    form.locator("button[type=submit]").click()
    expect(page.locator("#audit-error")).to_contain_text("操作人“nobody_at_all”不存在")
    form.locator("input[name=actor]").fill("admin")

    with page.expect_download() as download:
        page.click("#audit-export")
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv.startswith("id,seq,at,actor_id,actor_role,action,entity,entity_id,detail,hash") and "auth.login" in csv
    form.locator("select[name=action]").select_option("audit.export")
    form.locator("button[type=submit]").click()
    top = page.locator(ROWS).first
    expect(top).to_have_attribute("data-action", "audit.export")
    expect(top).to_contain_text('"action":"auth.login"')  # the export's row names the filter it exported
    page.screenshot(path=str(artifacts / "admin-audit.png"), full_page=True)
