"""一楼一档 in a real browser: reached from the address search and from a case's detail, it shows the building's
residents (current and past) with masked ID numbers, its rooms, companies, phones and the cases with their
outcomes; a caller with the unmask privilege reveals one resident (audited server-side)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

Login = Callable[..., Page]
MASKED = re.compile(r"身份证 4403\*{10}\d{3}[\dX]")


def test_the_building_profile_from_the_address_search(login: Login, seed: dict[str, Any], artifacts: Path) -> None:
    b = seed["building"]
    page = login("admin", "/admin")
    page.click('button[data-tab="address"]')
    page.fill("#addr-q", b["code"])
    page.click("#addr-form button[type=submit]")
    page.locator("#addr-list a", has_text=b["name"]).first.click()
    expect(page).to_have_url(re.compile(r"/building/" + b["code"]))
    expect(page.locator("#bld-head h2")).to_have_text(b["full_name"])
    residents = page.locator("#bld-res tbody tr")
    expect(residents).to_have_count(2)
    expect(page.locator("#bld-res")).to_contain_text("林晓梅")
    expect(page.locator("#bld-res")).to_contain_text("独居老人")
    expect(page.locator("#bld-past")).to_contain_text("黄小军")
    expect(page.locator("#bld-co")).to_contain_text("深圳市演示便利店有限公司")
    expect(page.locator("#bld-ph")).to_contain_text("139****2222")
    expect(page.locator("#bld-rooms")).to_contain_text("1单元301")
    expect(page.locator("#bld-ev")).to_contain_text(b["closed_title"])
    expect(page.locator("#bld-ev")).to_contain_text("已清理楼道杂物，通道畅通")
    first = residents.filter(has_text="林晓梅")
    expect(first.locator(".pii")).to_have_text(MASKED)
    for number in b["ids"]:
        assert number not in page.content()
    page.screenshot(path=str(artifacts / "building-profile.png"), full_page=True)
    first.locator("button", has_text="查看完整").click()
    expect(page.locator("#toasts")).to_contain_text("审计")
    expect(first.locator(".pii")).to_contain_text(b["ids"][0])
    expect(first.locator(".pii")).to_contain_text("13900002222")


def test_a_leader_without_the_privilege_sees_masks_only(login: Login, seed: dict[str, Any]) -> None:
    b = seed["building"]
    page = login(f"ldr_{seed['district']}", f"/building/{b['code']}")
    expect(page.locator("#bld-res tbody tr")).to_have_count(2)
    expect(page.locator("#bld-res .pii").first).to_have_text(MASKED)
    expect(page.locator("#bld-res button", has_text="查看完整")).to_have_count(0)


def test_the_building_profile_from_a_case_detail(login: Login, seed: dict[str, Any], artifacts: Path) -> None:
    b = seed["building"]
    dsp = login(f"dsp_{seed['street']}")
    dsp.locator("#case-list li", has_text=b["open_title"]).click()
    link = dsp.locator("#case-panel .kv a", has_text="一楼一档")
    expect(link).to_have_attribute("href", f"/building/{b['code']}")
    with dsp.context.expect_page() as opened:
        link.click()
    profile = opened.value
    expect(profile.locator("#bld-ev")).to_contain_text(b["open_title"])
    expect(profile.locator("#bld-res")).to_contain_text("林国强")
    profile.screenshot(path=str(artifacts / "building-from-case.png"))
