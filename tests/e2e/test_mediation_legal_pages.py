"""The public legal service and petition screening in a real browser: a resident books his community's legal adviser
from the phone page (/legal, no login), the mediator's workbench answers it; a visit is registered, screened by the
community's legal adviser and followed up; the leader's screen (/ioc) shows the mediation figures and the high-risk
disputes with their explanation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")

from playwright.sync_api import Page, expect


def _mediator(seed: dict[str, Any]) -> str:
    return str(next(u for u, v in seed["logins"].items() if v["role"] == "community_staff"))


def test_a_resident_books_the_adviser_and_the_workbench_answers(
    login: Callable[..., Page], seed: dict[str, Any], artifacts: Path
) -> None:
    staff = login(_mediator(seed), "/mediation")
    expect(staff.locator("#dispute-list li").first).to_be_visible()
    me = staff.evaluate("GG.api('/api/me')")
    community = me["division_code"]

    phone = login(None, "/legal", viewport={"width": 390, "height": 844}, is_mobile=True)
    expect(phone.locator(f"#lg-community option[value='{community}']")).to_have_count(1)
    phone.select_option("#lg-community", community)
    expect(phone.locator("#lg-adviser")).to_contain_text("法律顾问")
    expect(phone.locator("#lg-adviser")).to_contain_text("每周")
    phone.select_option("#lg-kind", "legal_aid")
    phone.fill("#lg-name", "端木小梅")
    phone.fill("#lg-phone", "13712345670")
    phone.fill("#lg-question", "工伤后公司拒绝赔偿，想申请法律援助")
    phone.screenshot(path=str(artifacts / "legal-book.png"), full_page=True)
    phone.click("#lg-submit")
    expect(phone.locator("#lg-receipt")).to_be_visible()
    number = phone.locator("#lr-number").inner_text()
    assert re.fullmatch(r"FZ\d{14}", number)
    phone.screenshot(path=str(artifacts / "legal-receipt.png"), full_page=True)

    staff.reload()
    staff.locator("#view-tabs button[data-view=consults]").click()
    item = staff.locator("#consult-list li", has_text="法律援助申请").filter(has_text="端***").first
    expect(item).to_be_visible()
    item.click()
    panel = staff.locator("#consult-panel")
    expect(panel).to_contain_text(number)
    assert "13712345670" not in panel.inner_text() and "端木小梅" not in panel.inner_text()  # masked
    panel.locator("#ca-mode").select_option("met")
    panel.locator("#ca-text").fill("已约周二下午到社区法律服务室面谈，指导准备援助材料")
    panel.locator("#ca-go").click()
    expect(panel.locator("dl.kv")).to_contain_text("已约见")
    expect(panel.locator("#cc-go")).to_be_attached()  # it may turn into a mediation case now
    staff.screenshot(path=str(artifacts / "mediation-consults.png"), full_page=True)

    phone.locator("#lg-query summary").click()
    phone.click("#lq-go")
    expect(phone.locator("#lq-result")).to_contain_text("社区法律服务室面谈")


def test_a_visit_is_screened_by_the_adviser_and_followed_up(
    login: Callable[..., Page], seed: dict[str, Any], artifacts: Path
) -> None:
    staff = login(_mediator(seed), "/mediation")
    expect(staff.locator("#petition-list .loading")).to_have_count(0)  # the screenings are loaded
    staff.locator("#view-tabs button[data-view=petitions]").click()
    staff.locator("#pt-new summary").click()
    expect(staff.locator("#pt-division")).not_to_have_value("")
    staff.fill("#pt-name", "慕容建国")
    staff.fill("#pt-matter", "旧改补偿不公，准备去区里上访（浏览器测试）")
    staff.click("#pt-create")
    item = staff.locator("#petition-list li", has_text="浏览器测试").first
    expect(item).to_contain_text("待甄别")
    item.click()
    panel = staff.locator("#petition-panel")
    expect(panel.locator("#ps-lawyer option").first).to_contain_text("法律顾问")
    panel.locator("#ps-outcome").select_option("legal_route")
    panel.locator("#ps-advice").fill("补偿争议可申请行政复议，已释法明理")
    panel.locator("#ps-go").click()
    expect(panel.locator("dl.kv")).to_contain_text("释法明理，引导法律途径")
    panel.locator("#pf-note").fill("回访：已申请复议，未上访")
    panel.locator("#pf-go").click()
    expect(panel.locator("dl.kv")).to_contain_text("已回访")
    expect(panel).to_contain_text("（已在信访前化解）")
    staff.screenshot(path=str(artifacts / "mediation-petitions.png"), full_page=True)


def test_the_leaders_screen_shows_mediation_figures_and_high_risk(
    login: Callable[..., Page], seed: dict[str, Any], artifacts: Path
) -> None:
    ioc = login(f"ldr_{seed['district']}", "/ioc", viewport={"width": 1920, "height": 1080})
    panel = ioc.locator("#med-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#med-figures")).to_contain_text("调解成功率")
    expect(panel.locator("#med-figures")).to_contain_text("%")
    expect(panel.locator("#med-risks li").first).to_contain_text("高风险")
    expect(panel.locator("#med-risks")).to_contain_text("陈述或调解记录中出现")  # the explanation
    href = panel.locator("a", has_text="导出CSV").get_attribute("href")
    assert href
    csv = ioc.request.get(href)
    assert csv.status == 200 and "调解成功率" in csv.text()
    ioc.screenshot(path=str(artifacts / "ioc-mediation.png"))
