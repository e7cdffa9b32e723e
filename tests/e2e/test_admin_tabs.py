"""The admin page follows its URL's hash: a link to another tab while /admin is open (only the hash changes, the
page is not loaded again) opens that tab. Before, the tab was read once at start-up, and the browser tests that
went to /admin#classifier right after the login landed on /admin passed or failed on timing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

Login = Callable[..., Page]


def test_a_hash_link_on_the_open_admin_page_switches_the_tab(login: Login) -> None:
    page = login("admin", "/admin")
    expect(page.locator('#tabs button[data-tab="org"].active')).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)  # the first tab has rendered
    page.evaluate("location.hash = 'classifier'")  # what following <a href="#classifier"> does
    expect(page.locator('#tabs button[data-tab="classifier"].active')).to_be_visible()
    expect(page.locator('#tabs button[data-tab="org"].active')).to_have_count(0)
    page.goto("/admin#blockdata")  # the same document: only the hash changes
    expect(page.locator("#bd-dept")).to_be_visible()
