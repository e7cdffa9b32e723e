"""Repeats on the pages: a neighbour's report attached by the intake port shows 重复 +1 on its case in the
dispatcher's queue, and the IOC's 热点诉求 table and 重复投诉地址 list show the seeded reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")

from playwright.sync_api import Page, expect


def test_an_attached_repeat_shows_in_the_queue_and_the_ioc_lists_hot_issues_and_places(
    run_script: Callable[[str], Any], server: str, login: Callable[..., Page], artifacts: Path
) -> None:
    seeded = run_script("repeats_seed.py")
    dsp = login(seeded["dispatcher"], "/dispatch")
    row = dsp.locator("#case-list li", has_text=seeded["title"])
    expect(row).to_contain_text("重复 +1", timeout=15_000)
    dsp.screenshot(path=str(artifacts / "dispatch-repeat.png"))

    ioc = login(seeded["leader"], "/ioc", viewport={"width": 1920, "height": 1080})
    ioc.click("#hot-issues-tab")  # 高发网格 | 热点诉求 | 重复投诉地址 share one panel
    expect(ioc.locator("#hotspots")).to_be_hidden()
    hot = ioc.locator("#hot-issues table tbody tr", has_text="搅拌站")
    expect(hot.first).to_be_visible(timeout=20_000)
    expect(hot.first).to_contain_text("3")
    ioc.screenshot(path=str(artifacts / "ioc-hot-issues.png"))
    ioc.click("#repeat-places-tab")
    expect(ioc.locator("#hot-issues")).to_be_hidden()
    places = ioc.locator("#repeat-places table tbody tr")
    expect(places.first).to_be_visible(timeout=20_000)
    expect(places.first).to_contain_text("3")
    ioc.screenshot(path=str(artifacts / "ioc-repeats.png"))
