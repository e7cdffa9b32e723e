"""The mediator workbench (/mediation) in a real browser: a community's people's mediator sees his community's demo
disputes by stage, opens one in 调解 with its parties masked and its risk flags explained, records the agreement
and downloads the 调解协议书 as PDF."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")

from playwright.sync_api import Page, expect


def test_a_mediator_takes_a_dispute_to_agreement(
    login: Callable[..., Page], seed: dict[str, Any], artifacts: Path
) -> None:
    mediator = next(u for u, v in seed["logins"].items() if v["role"] == "community_staff")
    page = login(mediator, "/mediation")
    expect(page.locator("#dispute-list li").first).to_be_visible()
    page.screenshot(path=str(artifacts / "mediation-list.png"), full_page=True)

    page.locator("#stage-tabs button[data-stage=mediating]").click()
    first = page.locator("#dispute-list li").first
    expect(first).to_contain_text("调解")
    first.click()
    panel = page.locator("#dispute-panel")
    expect(panel.locator("h3", has_text="当事人")).to_be_visible()
    parties = panel.locator("table.grid").first
    expect(parties).to_contain_text("申请人")
    expect(parties).to_contain_text("*")  # names, ID and phone numbers masked
    assert not re.search(r"1\d{10}", parties.inner_text())
    expect(panel.locator(".risk-flags")).to_contain_text("“报复”")
    expect(
        panel.locator("#source-case")
    ).not_to_be_empty()  # the demo's disputes entered through the intake port  # the demo's family dispute: a threat
    page.screenshot(path=str(artifacts / "mediation-detail.png"), full_page=True)

    panel.locator("#terms").fill("一、每月五日前支付抚养费叁仟元。\n二、双方不再就此争吵。")
    panel.locator("#btn-agree").click()
    expect(panel.locator("#doc-pdf")).to_be_visible()
    expect(panel).to_contain_text("达成协议")
    expect(panel.locator("#follow-up-due")).to_be_visible()  # 回访 scheduled with the outcome
    href = panel.locator("#doc-pdf").get_attribute("href")
    assert href
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    page.screenshot(path=str(artifacts / "mediation-agreed.png"), full_page=True)
