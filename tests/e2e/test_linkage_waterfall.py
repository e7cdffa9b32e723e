"""一人一档 in a real browser: on the building profile, 关联档案 on a resident opens her person cluster (stable key,
golden record with its reasons, the member records of both departments, ID numbers masked) and the match-weight
waterfall of her two records, drawn with ECharts from the stored model."""

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


def test_a_residents_cluster_and_waterfall_on_the_building_page(
    login: Login, seed: dict[str, Any], artifacts: Path
) -> None:
    b = seed["building"]
    page = login("admin", f"/building/{b['code']}")
    row = page.locator("#bld-res tbody tr", has_text="林晓梅")
    row.locator("button", has_text="关联档案").click()
    box = page.locator("#bld-link")
    expect(box.locator("#link-key")).to_have_text(re.compile(r"^P\d{9}$"))
    members = box.locator("#link-members tbody tr")
    expect(members).to_have_count(2)
    expect(box.locator("#link-members")).to_contain_text("林晓玫")
    expect(box.locator("#link-members")).to_contain_text("住建")
    expect(box.locator("#link-golden")).to_contain_text("来源「公安」优先")
    steps = box.locator("#link-step-table tbody tr")
    expect(steps).to_have_count(7)  # the prior and six comparisons
    expect(box.locator("#link-step-table")).to_contain_text("身份证号相同且校验通过")
    expect(box.locator("#link-step-table")).to_contain_text("同音（拼音相同）")
    expect(box.locator("#link-fall-note")).to_contain_text("同一人的概率")
    expect(box.locator("#link-chart canvas")).to_have_count(1)
    for number in b["ids"]:
        assert number not in page.content()
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "linkage-waterfall.png"), full_page=True)
