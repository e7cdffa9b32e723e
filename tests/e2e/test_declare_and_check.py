"""自主申报 and 核查 in a real browser: a landlord declares a tenant on the public phone page (no login) and gets the
declaration's number with the ID number masked; the grid worker of that grid finds it in his 核查 tab beside his
cases, sees the masks only, is refused a correction that breaks the ID checksum, and confirms it on site; the
building's 一楼一档 then shows the tenant and that last verification."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

from gridgov.blockdata.idcodes import resident_id_check_char

Login = Callable[..., Page]


def _new_id() -> str:
    first17 = "440304" + "19930405" + f"{uuid.uuid4().int % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def test_a_declaration_is_checked_on_site_by_the_grid_worker(
    login: Login, seed: dict[str, Any], artifacts: Path
) -> None:
    b = seed["declare_building"]
    number, phone = _new_id(), "137" + f"{uuid.uuid4().int % 10**8:08d}"
    page = login(None, "/declare")
    page.select_option("#d-role", "agent")
    page.fill("#d-dname", "安居中介")
    page.fill("#d-dphone", "13600001111")
    page.fill("#d-addr", b["full_name"])
    page.fill("#d-room", "2单元502")
    page.fill("#d-tname", "许租客")
    page.fill("#d-idno", number)
    page.fill("#d-tphone", phone)
    page.fill("#d-in", (date.today() - timedelta(days=2)).isoformat())
    page.screenshot(path=str(artifacts / "declare-form.png"), full_page=True)
    page.click("#d-submit")
    expect(page.locator("#dc-number")).to_have_text(re.compile(r"^SB\d{14}$"))
    expect(page.locator("#dc-id")).to_have_text(number[:4] + "**********" + number[-4:])
    expect(page.locator("#dc-grid")).to_have_text(seed["grid"]["name"])
    declared = page.locator("#dc-number").inner_text()
    assert number not in page.content() and phone not in page.content()
    page.screenshot(path=str(artifacts / "declare-receipt.png"), full_page=True)

    worker = login(seed["grid_worker"], "/grid?view=checks")
    item = worker.locator("#check-list .item", has_text="许租客")
    expect(item).to_have_count(1)
    expect(worker.locator("#n-checks")).not_to_have_text("")
    item.click()
    card = worker.locator("#check-card")
    expect(card).to_contain_text(declared)
    expect(card).to_contain_text(number[:4] + "**********" + number[-4:])
    expect(card).to_contain_text("中介机构 安居中介 136****1111")
    assert number not in worker.content() and phone not in worker.content()
    worker.screenshot(path=str(artifacts / "grid-check.png"), full_page=True)
    card.locator("summary").click()
    card.locator('[data-fix="id_number"]').fill(number[:-1] + ("0" if number[-1] != "0" else "1"))
    worker.click("#k-correct")
    expect(worker.locator("#k-error")).to_contain_text("校验")
    card.locator('[data-fix="id_number"]').fill("")
    worker.fill("#k-note", "现场核实，与申报一致")
    worker.click("#k-confirm")
    expect(worker.locator("#toasts")).to_contain_text("核查属实")
    expect(worker.locator("#check-list .item", has_text="许租客")).to_have_count(0)
    worker.goto(f"/building/{b['code']}")  # 一楼一档 shows the last on-site verification and who did it
    expect(worker.locator("#bld-verified")).to_contain_text(f"{seed['grid_worker']} · 核查属实（自主申报）")
    expect(worker.locator("#bld-res")).to_contain_text("许租客")
