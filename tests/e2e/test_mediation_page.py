"""The mediator workbench (/mediation) in a real browser: a community's people's mediator sees his community's demo
disputes by stage, opens one in 调解 with its parties masked and its risk flags explained, records the agreement,
downloads the 调解协议书 as PDF and the 司法确认申请书 as Word, and attaches the signed scan."""

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
    application = panel.locator("#confirm-docx").get_attribute("href")  # 司法确认申请书, from the same panel
    assert application
    word = page.request.get(application)
    assert word.status == 200 and word.body().startswith(b"PK")

    # the signed agreement scanned and attached (a PDF scan: kept as sent, served as a download)
    panel.locator("#scan-kind").select_option("agreement")
    scan = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"
    scan_file = artifacts / "signed-scan.pdf"
    scan_file.write_bytes(scan)
    panel.locator("#scan-file").set_input_files(scan_file)
    panel.locator("#scan-note").fill("双方已签字")
    panel.locator("#btn-scan").click()
    expect(panel.locator("#scans")).to_contain_text("调解协议书（签字版）")
    expect(panel.locator("#scans")).to_contain_text("双方已签字")
    link = panel.locator("#scans .scan-link").first.get_attribute("href")
    assert link
    got = page.request.get(link)
    assert got.status == 200 and got.body() == scan
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
    page.screenshot(path=str(artifacts / "mediation-agreed.png"), full_page=True)
