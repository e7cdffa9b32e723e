"""The dispatcher's choice and 吹哨报到 in a real browser: a street dispatcher summons a district department onto a
live case (state and clock shown), the department's handler reports in and reports the result on /handler, the
report-in time shows on the /ioc ranking; and a dispatch with another lead than suggested, with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Browser, BrowserContext, Page, expect

Login = Callable[[str, str], Page]


@pytest.fixture
def signed_in(
    browser: Browser, browser_context_args: dict[str, Any], password_of: Callable[[str], str]
) -> Iterator[Login]:
    """signed_in(username, path) -> a page of its own browser context, logged in through the login form and at
    `path`; an uncaught script error on any of them fails the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def _open(username: str, path: str) -> Page:
        context = browser.new_context(**browser_context_args)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{username}: {exc}"))
        page.goto("/login?next=" + path)
        page.fill("#username", username)
        page.fill("#password", password_of(username))
        page.click("#login-btn")
        page.wait_for_url(lambda url: urlsplit(url).path == path)
        return page

    yield _open
    for c in contexts:
        c.close()
    assert not errors, "JavaScript errors: " + "; ".join(errors)


@dataclass
class StreetCentre:
    """The seed's street dispatcher over HTTP: prepares the cases the browser then works on."""

    server: str
    street: str
    grid: str
    headers: dict[str, str]

    def case(self, title: str, dispatch: bool) -> int:
        r = httpx.post(self.server + "/api/events", json={"title": title, "grid_code": self.grid}, headers=self.headers)
        assert r.status_code == 201, r.text
        case = int(r.json()["id"])
        steps = [("file", {"category_code": "02009"})] + ([("dispatch", {})] if dispatch else [])
        for action, body in steps:
            r = httpx.post(f"{self.server}/api/events/{case}/actions/{action}", json=body, headers=self.headers)
            assert r.status_code == 200, r.text
        return case

    def get(self, path: str) -> Any:
        r = httpx.get(self.server + path, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def centre(seed: dict[str, Any], server: str, password_of: Callable[[str], str]) -> StreetCentre:
    username = f"dsp_{seed['street']}"
    r = httpx.post(server + "/api/auth/token", data={"username": username, "password": password_of(username)})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return StreetCentre(server, seed["street"], seed["grid"]["code"], headers)


def _open_case(page: Page, title: str) -> None:
    expect(page.locator("#queues button").first).to_be_visible()  # the workbench is wired
    page.fill("#search", title)
    page.press("#search", "Enter")
    page.locator("#case-list li", has_text=title).click()
    expect(page.locator("#case-title")).to_have_text(title)


def test_a_street_summons_a_department_which_reports_in(
    signed_in: Login, centre: StreetCentre, seed: dict[str, Any], artifacts: Path
) -> None:
    street, district = seed["street"], seed["district"]
    title = "夜市排档占道堵塞消防通道（吹哨演示）"
    case = centre.case(title, dispatch=True)
    options = centre.get(f"/api/events/{case}/dispatch-options")
    dept = next(d["name"] for d in options["departments"] if d["level"] == "district" and "应急管理局" in d["name"])

    dsp = signed_in(f"dsp_{street}", "/dispatch")
    _open_case(dsp, title)
    dsp.click("#summon-form summary")
    dsp.locator("#summon-depts label", has_text=dept).locator("input").check()
    dsp.click("#btn-summon")
    expect(dsp.locator("#summons-error")).to_contain_text("吹哨说明")  # the note is required, said in Chinese
    dsp.fill("#summon-note", "排档占用消防通道，请区应急管理局 30 分钟内到场")
    dsp.select_option("#summon-minutes", "30")
    dsp.click("#btn-summon")
    expect(dsp.locator("#toasts")).to_contain_text("已吹哨")
    row = dsp.locator("#summons-list li", has_text=dept)
    expect(row).to_contain_text("待报到")
    expect(row).to_contain_text("报到剩余")
    expect(dsp.locator("#case-panel .timeline")).to_contain_text("吹哨")
    dsp.locator("#summons-box").scroll_into_view_if_needed()
    dsp.screenshot(path=str(artifacts / "dispatch-summons.png"))

    handler = signed_in(f"h_{district}_yingji", "/handler")
    handler.click('#tabs button[data-tab="summons"]')
    handler.locator("#task-list li", has_text=title).click()
    handler.locator("#summons-list [data-report-in]").click()
    expect(handler.locator("#toasts")).to_contain_text("已报到")
    mine = handler.locator("#summons-list li", has_text=dept)
    expect(mine).to_contain_text("已报到")
    expect(mine).to_contain_text("报到用时")
    handler.locator("#summons-list textarea").fill("已到场疏导，排档移出消防通道")
    handler.locator("#summons-list [data-summons-result]").click()
    expect(handler.locator("#summons-list li", has_text=dept)).to_contain_text("已反馈结果")
    handler.screenshot(path=str(artifacts / "handler-summons.png"))

    ioc = signed_in(f"ldr_{district}", "/ioc")
    ioc.click("#rank-summons-tab")
    expect(ioc.locator("#summons-rank")).to_contain_text(dept)
    ioc.screenshot(path=str(artifacts / "ioc-summons.png"))


def test_the_dispatcher_chooses_another_lead_with_a_reason(
    signed_in: Login, centre: StreetCentre, artifacts: Path
) -> None:
    title = "夜市排档占道（改派演示）"
    case = centre.case(title, dispatch=False)
    options = centre.get(f"/api/events/{case}/dispatch-options")
    other = next(
        d
        for d in options["departments"]
        if d["level"] == "street" and d["id"] != options["suggestion"]["lead_department_id"]
    )

    dsp = signed_in(f"dsp_{centre.street}", "/dispatch")
    _open_case(dsp, title)
    dsp.click("#choice summary")
    expect(dsp.locator("#choice")).to_contain_text("依据：事件目录")
    dsp.select_option("#choice-lead", str(other["id"]))
    expect(dsp.locator("#choice-reason")).to_be_visible()
    dsp.click('#actions button[data-act="dispatch"]')
    expect(dsp.locator("#act-error")).to_contain_text("理由")
    dsp.fill("#choice-reason", "该路段夜市由街道统一管理")
    dsp.locator("#choice-box").scroll_into_view_if_needed()
    dsp.screenshot(path=str(artifacts / "dispatch-choice.png"))
    dsp.click('#actions button[data-act="dispatch"]')
    expect(dsp.locator("#toasts")).to_contain_text("派遣")
    detail = centre.get(f"/api/events/{case}")
    lead = next(t for t in detail["tasks"] if t["role"] == "lead" and t["status"] != "cancelled")
    assert lead["department_id"] == other["id"]
    step = next(h for h in detail["history"] if h["action"] == "dispatch")
    assert step["data"]["override"]["reason"] == "该路段夜市由街道统一管理"


def test_the_admin_keeps_a_centre_roster(signed_in: Login, seed: dict[str, Any], artifacts: Path) -> None:
    admin = signed_in("admin", "/admin")
    admin.goto("/admin#roster")
    admin.reload()  # the tab named in the address opens first
    admin.select_option("#duty-centre", seed["district"])
    expect(admin.locator("#duty-now")).to_contain_text("未排班")  # nobody rostered: the centre's dispatchers
    expect(admin.locator("#duty-user option").first).to_contain_text("分拨员")
    admin.fill('#duty-form input[name="note"]', "白班")
    admin.click('#duty-form button[type="submit"]')
    expect(admin.locator("#toasts")).to_contain_text("已排班")
    expect(admin.locator("#duty-list")).to_contain_text("白班")
    expect(admin.locator("#duty-now")).not_to_contain_text("未排班")
    admin.screenshot(path=str(artifacts / "admin-roster.png"))


def test_the_dispatcher_raises_the_urgency_and_the_clock_changes(
    signed_in: Login, centre: StreetCentre, artifacts: Path
) -> None:
    title = "夜市排档占道（紧急程度演示）"
    case = centre.case(title, dispatch=True)
    before = centre.get(f"/api/events/{case}")
    assert (before["urgency"], before["clock_basis"]) == ("normal", "working")

    dsp = signed_in(f"dsp_{centre.street}", "/dispatch")
    _open_case(dsp, title)
    box = dsp.locator("#urgency-box")
    shown = dsp.locator("#case-list li", has_text=title).locator(".meta")
    was = shown.inner_text()
    expect(box.locator("#urgency-now")).to_contain_text("一般")
    expect(box.locator("#clock-basis")).to_have_text("工作时间")
    dsp.select_option("#urgency-level", "urgent")
    dsp.click("#btn-urgency")
    expect(dsp.locator("#urgency-error")).to_contain_text("理由")  # the reason is required, said in Chinese
    dsp.fill("#urgency-reason", "排档明火靠近燃气瓶，需立即处置")
    dsp.click("#btn-urgency")
    expect(dsp.locator("#toasts")).to_contain_text("紧急程度已调整为“紧急”")
    expect(box.locator("#urgency-now")).to_contain_text("紧急")
    expect(box.locator("#urgency-now")).to_contain_text("排档明火靠近燃气瓶")
    expect(box.locator("#clock-basis")).to_have_text("自然时间（24×7）")  # the clock changed at once
    expect(dsp.locator("#case-panel .timeline")).to_contain_text("一般 → 紧急，按自然时间（24×7）计时")
    after = centre.get(f"/api/events/{case}")
    assert (after["urgency"], after["clock_basis"]) == ("urgent", "natural")
    assert after["deadline_at"] is not None
    if after["deadline_at"] != before["deadline_at"]:  # the list's countdown follows the new deadline
        expect(shown).not_to_have_text(was)
    box.scroll_into_view_if_needed()
    dsp.screenshot(path=str(artifacts / "dispatch-urgency.png"))


def test_the_street_withdraws_a_summons_not_yet_reported_in(
    signed_in: Login, centre: StreetCentre, artifacts: Path
) -> None:
    title = "夜市排档占道（撤回吹哨演示）"
    case = centre.case(title, dispatch=True)
    options = centre.get(f"/api/events/{case}/dispatch-options")
    lead = centre.get(f"/api/events/{case}")["tasks"][0]["department_id"]
    dept = next(d for d in options["departments"] if d["level"] == "street" and d["id"] != lead)
    body = {"department_ids": [dept["id"]], "note": "请到场协助疏导"}
    r = httpx.post(f"{centre.server}/api/events/{case}/actions/summon", json=body, headers=centre.headers)
    assert r.status_code == 200, r.text

    dsp = signed_in(f"dsp_{centre.street}", "/dispatch")
    _open_case(dsp, title)
    row = dsp.locator("#summons-list li", has_text=dept["name"])
    expect(row).to_contain_text("待报到")
    row.locator("[data-withdraw]").click()
    expect(dsp.locator("#summons-error")).to_contain_text("撤回理由")
    row.locator("[data-withdraw-note]").fill("街道已自行疏导完毕，无需到场")
    row.locator("[data-withdraw]").click()
    expect(dsp.locator("#toasts")).to_contain_text("已撤回吹哨")
    row = dsp.locator("#summons-list li", has_text=dept["name"])
    expect(row).to_contain_text("已撤回")
    expect(row).to_contain_text("街道已自行疏导完毕，无需到场")
    expect(row.locator("[data-withdraw]")).to_have_count(0)
    expect(dsp.locator("#case-panel .timeline")).to_contain_text("撤回吹哨")
    dsp.locator("#summons-box").scroll_into_view_if_needed()
    dsp.screenshot(path=str(artifacts / "dispatch-summons-withdrawn.png"))
    summons = centre.get(f"/api/events/{case}")["summons"]
    assert [(s["status"], s["withdraw_note"]) for s in summons] == [("withdrawn", "街道已自行疏导完毕，无需到场")]
