"""The grid worker's 巡查 tab in a real browser: a due inspection of a hazard source in his grid, its checklist,
one item marked 发现问题 with a note, submitted — and the rectification case it opened named on the page. (Named
to run after the hazard layer: it uses the hazards demo in the shared e2e database, adding it when missing.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect


def test_a_grid_worker_inspects_and_a_finding_becomes_a_case(
    run_script: Callable[[str], Any], server: str, login: Callable[..., Page], artifacts: Path
) -> None:
    task = run_script("inspections_seed.py")
    page = login(f"gw_{task['grid_code']}", "/grid?view=inspect", viewport={"width": 390, "height": 844})
    item = page.locator(f'#inspect-list .item[data-inspection="{task["inspection_id"]}"]')
    expect(item).to_contain_text(task["source_name"])
    expect(page.locator("#n-inspect")).not_to_have_text("")
    item.click()
    form = page.locator("#inspect-form")
    expect(form.locator(".check-item")).to_have_count(3)
    first = form.locator(".check-item").first
    first.locator('input[value="bad"]').check()
    page.click("#inspect-submit")
    expect(page.locator("#inspect-error")).to_contain_text("请说明发现的情况")  # a problem needs its note
    first.locator("textarea").fill("警示标识缺失，入口无安全提示")
    page.screenshot(path=str(artifacts / "grid-inspection-form.png"), full_page=True)
    page.click("#inspect-submit")
    done = page.locator("#inspect-done")
    expect(done).to_contain_text("已立案")
    expect(done).to_contain_text("警示标识缺失")
    expect(page.locator(f'#inspect-list .item[data-inspection="{task["inspection_id"]}"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "grid-inspection-done.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # phone-first: no horizontal scroll
