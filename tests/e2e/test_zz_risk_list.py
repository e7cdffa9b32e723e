"""The regulator's 风险清单 in a real browser: a district department handler opens the tab of the handler page, sees
the graded places of his department type under his district, highest score first with the factors of each score,
filters by grade and by name, and exports what is shown as CSV. (Named to run after the hazard layer: it uses the
hazards demo in the shared e2e database, adding it and the grades when missing.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

LABEL = {"high": "高风险", "medium": "中风险", "low": "低风险"}


def test_a_regulator_filters_and_exports_his_risk_list(
    run_script: Callable[[str], Any], server: str, login: Callable[..., Page], artifacts: Path
) -> None:
    want = run_script("risk_seed.py")
    page = login(want["username"], "/handler")
    page.click('#tabs button[data-tab="risk"]')
    expect(page.locator(".two-col")).to_be_hidden()
    body = page.locator("#risk-body")
    rows = body.locator("tr[data-subject]")
    expect(rows).to_have_count(want["rows"])
    first = rows.first
    expect(first).to_contain_text(want["name"])
    expect(first).to_contain_text(LABEL[want["grade"]])
    expect(first.locator(".risk-factors li").first).to_contain_text("（+")
    scores = [int(t) for t in body.locator("tr[data-subject] td.num:nth-child(2)").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    page.screenshot(path=str(artifacts / "handler-risk-list.png"), full_page=True)

    page.select_option("#risk-grade", want["grade"])
    expect(body.locator(f'tr[data-subject]:not([data-grade="{want["grade"]}"])')).to_have_count(0)
    expect(body.locator("tr[data-subject]").first).to_contain_text(want["name"])
    page.fill("#risk-q", want["name"])
    expect(body.locator("tr[data-subject]").first).to_contain_text(want["name"])
    with page.expect_download() as got:
        page.click("#risk-export")
    download = got.value
    assert download.suggested_filename == "风险清单.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("等级,得分,名称") and len(lines) >= 2
    assert all(line.startswith(LABEL[want["grade"]]) for line in lines[1:]) and want["name"] in lines[1]
    page.fill("#risk-q", "不存在的企业名称xyz")
    expect(body).to_contain_text("没有符合条件的企业或地址")

    page.click('#tabs button[data-tab="mine"]')
    expect(page.locator("#risk-view")).to_be_hidden()
    expect(page.locator(".two-col")).to_be_visible()
