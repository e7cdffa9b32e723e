"""The pages in a real browser (Debian's Chromium through Playwright): the whole loop across five roles starting
from an anonymous 随手拍 report, the resident's follow-up by case number and token (rate, reopen, errors in
Chinese), the dispatcher's queues, address confirmation and merging a duplicate report (疑似重复 → 并入此案), the phone
layouts, the IOC screen updating itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

Login = Callable[..., Page]
Visit = Callable[..., Page]
TIMEOUT = 15_000

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def visit(login: Login) -> Visit:
    """visit(path, **context options) -> a page of a fresh browser context without a login."""

    def _visit(path: str, **ctx: Any) -> Page:
        return login(None, path, **ctx)

    return _visit


def no_horizontal_scroll(page: Page, where: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{where}: horizontal scroll {width}"


def receipts(page: Page) -> list[dict[str, Any]]:
    stored: list[dict[str, Any]] = page.evaluate("() => JSON.parse(localStorage.getItem('gridgov.receipts') || '[]')")
    return stored


def kpi(page: Page, name: str) -> float:
    raw = page.locator(f'.kpi[data-kpi="{name}"] .value').get_attribute("data-value")
    return float(raw) if raw else -1.0


def wait_kpi(page: Page, name: str) -> float:
    page.wait_for_function(
        f"() => (document.querySelector('.kpi[data-kpi=\"{name}\"] .value') || {{dataset: {{}}}}).dataset.value"
    )
    return kpi(page, name)


def test_login_errors_and_redirects_are_chinese(page: Page) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto("/dispatch")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-btn")
    expect(page.locator("#login-error")).to_contain_text("密码")


def test_the_whole_loop_across_roles(
    login: Login, visit: Visit, seed: dict[str, Any], artifacts: Path, photo: Path
) -> None:
    grid, street = seed["grid"], seed["street"]
    title = "小区门口建筑垃圾渣土堆了很久（浏览器测试）"

    # the IOC screen of the district leader, refreshing itself every 3 s
    ioc = login(f"ldr_{seed['district']}", "/ioc?refresh=3", viewport={"width": 1920, "height": 1080})
    reported0, closed0 = wait_kpi(ioc, "reported"), wait_kpi(ioc, "closed")
    assert reported0 >= 0 and closed0 >= 0

    # an anonymous resident on a phone: 随手拍 with a photo, the location from the phone and a mobile number
    resident = visit(
        "/resident",
        geolocation={"longitude": grid["lon"], "latitude": grid["lat"]},
        permissions=["geolocation"],
        **PHONE,
    )
    expect(resident.locator("#to-login")).to_have_text("已有账号？登录")
    expect(resident.locator("#r-photo")).to_have_attribute("capture", "environment")
    resident.fill("#r-title", title)
    resident.fill("#r-desc", "建筑垃圾和渣土堆在人行道上，影响通行")
    resident.set_input_files("#r-photo", str(photo))
    expect(resident.locator("#r-preview img")).to_have_count(1)
    resident.click("#r-locate")
    expect(resident.locator("#r-geo")).to_contain_text("已定位")
    resident.fill("#r-phone", "138 1234 5678")
    resident.click("#r-submit")
    expect(resident.locator("#rc-number")).to_have_text(re.compile(r"^\d{16}$"))
    number, token = resident.locator("#rc-number").inner_text(), resident.locator("#rc-token").inner_text()
    assert len(token) >= 16
    assert {"number": number, "token": token}.items() <= receipts(resident)[0].items()  # kept on this phone
    no_horizontal_scroll(resident, "receipt")
    resident.screenshot(path=str(artifacts / "resident-receipt.png"))

    # dispatcher: the case is in 待立案 with the photo and no standard address; confirm one of the nearest
    # addresses, then f files it with the suggested 小类 and d dispatches it
    dsp = login(f"dsp_{street}")
    dsp.locator("#case-list li", has_text=title).click()
    expect(dsp.locator("#case-title")).to_have_text(title)
    expect(dsp.locator("#case-panel .photos img")).to_have_count(1)  # the anonymous resident's photo
    expect(dsp.locator("#addr-box")).to_contain_text("标准地址待确认")
    first = dsp.locator("#addr-cands li").first
    expect(first).to_contain_text("距上报位置")
    address = first.locator("button").get_attribute("data-name")
    assert address
    first.locator("button", has_text="确认地址").click()
    expect(dsp.locator("#toasts")).to_contain_text("地址已确认")
    expect(dsp.locator("#case-panel .kv")).to_contain_text(address)
    expect(dsp.locator("#addr-box")).to_be_empty()
    expect(dsp.locator("#suggest .chip.active")).to_contain_text("积存垃圾渣土")
    dsp.keyboard.press("f")
    expect(dsp.locator("#toasts")).to_contain_text("立案")
    dsp.click('#queues button[data-q="to_dispatch"]')
    dsp.locator("#case-list li", has_text=title).click()
    expect(dsp.locator("#actions")).to_contain_text("派遣")
    dsp.keyboard.press("d")
    expect(dsp.locator("#toasts")).to_contain_text("派遣")
    dsp.screenshot(path=str(artifacts / "dispatch.png"))

    # handler (the street's 综合行政执法队): accept, then submit the result with a photo
    handler = login(f"h_{street}_chengguan")
    assert handler.url.endswith("/handler")
    handler.locator("#task-list li", has_text=title).click()
    handler.click("#btn-accept")
    expect(handler.locator("#toasts")).to_contain_text("已签收")
    expect(handler.locator("#result-note")).to_be_visible()  # the panel re-renders with the handling form
    handler.fill("#result-note", "已组织清运，现场恢复整洁")
    handler.set_input_files("#result-photos", str(photo))
    expect(handler.locator("#result-preview img")).to_have_count(1)
    handler.screenshot(path=str(artifacts / "handler.png"))
    handler.click("#btn-handle")
    expect(handler.locator("#toasts")).to_contain_text("等待复核")

    # grid worker: verify on site (pass) with a photo
    gw = login(seed["grid_worker"], "/grid?view=verify", **PHONE)
    gw.locator("#verify-list .item", has_text=title).click()
    expect(gw.locator("#verify-detail")).to_contain_text("已组织清运")
    gw.set_input_files("#v-photo", str(photo))
    gw.click("#v-pass")
    expect(gw.locator("#toasts")).to_contain_text("已结案")

    # the resident, same phone, no account: 我的上报 (by the stored token) shows 已结案 and the result; rate it
    resident.click('#nav button[data-nav="mine"]')
    item = resident.locator("#dev-list .item", has_text=title)
    expect(item).to_contain_text("已结案")
    expect(resident.locator("#n-rate")).to_have_text("1")
    item.click()
    card = resident.locator("#case-card")
    expect(card).to_contain_text("已结案")
    expect(card.locator(".result")).to_contain_text("已组织清运，现场恢复整洁")
    expect(resident.locator("#mine-detail .timeline")).to_contain_text("复核通过")
    resident.click('#stars button[data-v="5"]')
    resident.fill("#rate-note", "处理很快，谢谢")
    resident.click("#btn-rate")
    expect(resident.locator("#toasts")).to_contain_text("感谢")
    expect(card).to_contain_text("已评价")
    expect(card.locator(".rated")).to_have_text("★★★★★")
    expect(resident.locator("#btn-rate")).to_have_count(0)
    expect(resident.locator("#n-rate")).to_be_hidden()
    no_horizontal_scroll(resident, "mine")
    resident.screenshot(path=str(artifacts / "resident-rated.png"), full_page=True)

    # the IOC screen updated itself (SSE or polling), without a reload
    ioc.wait_for_function(
        '([r, c]) => { const v = (k) => Number(document.querySelector(`.kpi[data-kpi="${k}"] .value`)'
        ".dataset.value || -1); return v('reported') > r && v('closed') > c; }",
        arg=[reported0, closed0],
        timeout=40_000,
    )
    assert kpi(ioc, "reported") > reported0 and kpi(ioc, "closed") > closed0
    ioc.screenshot(path=str(artifacts / "ioc.png"))


def test_resident_follows_a_receipt_link_reopens_and_logs_in(
    visit: Visit, seed: dict[str, Any], password_of: Callable[[str], str], artifacts: Path
) -> None:
    case = seed["public_case"]
    page = visit(f"/resident?number={case['number']}&token={case['token']}", **PHONE)
    card = page.locator("#case-card")
    expect(card).to_contain_text("已结案")
    expect(card.locator(".result")).to_contain_text("已更换灯泡")
    assert "token=" not in page.url  # the token does not stay in the address bar
    expect(page.locator("#dev-list")).to_contain_text(case["title"])
    page.click("#reopen-box summary")
    page.click("#btn-reopen")
    expect(page.locator("#c-error")).to_have_text("请说明不满意的原因")
    page.fill("#reopen-note", "晚上路灯还是不亮")
    page.click("#btn-reopen")
    expect(page.locator("#toasts")).to_contain_text("已要求重新办理")
    expect(card).to_contain_text("已立案待派遣")
    expect(page.locator("#btn-rate, #btn-reopen")).to_have_count(0)
    expect(page.locator("#mine-detail .timeline")).to_contain_text("重新办理")
    no_horizontal_scroll(page, "case")

    # 已有账号？登录: the account's own reports show, and this phone's receipts survive the login
    page.click("#to-login")
    page.fill("#username", "resident3")
    page.fill("#password", password_of("resident3"))
    page.click("#login-btn")
    page.wait_for_url(re.compile(r"/resident$"))
    expect(page.locator("#who")).to_contain_text("居民")
    expect(page.locator("#to-login")).to_be_hidden()
    page.click('#nav button[data-nav="mine"]')
    expect(page.locator("#mine-list")).to_contain_text("退回演示")
    expect(page.locator("#dev-list")).to_contain_text(case["title"])
    page.screenshot(path=str(artifacts / "resident-account.png"), full_page=True)


def test_resident_errors_are_clear_chinese(visit: Visit, server: str, seed: dict[str, Any]) -> None:
    far = {"geolocation": {"longitude": 116.397, "latitude": 39.908}, "permissions": ["geolocation"]}  # Beijing
    page = visit("/resident", **far, **PHONE)
    page.fill("#r-title", "井盖松动，有安全隐患")
    page.fill("#r-phone", "1381234567")
    page.click("#r-submit")
    expect(page.locator("#r-error")).to_have_text("请输入正确的 11 位手机号")
    expect(page.locator("#r-phone")).to_have_class(re.compile("field-error"))
    page.fill("#r-phone", "13812340000")
    expect(page.locator("#r-geo")).to_contain_text("已定位")
    page.click("#r-submit")  # the server: the point is in no grid
    expect(page.locator("#r-error")).to_contain_text("不在本平台服务范围内，请填写详细地址")
    expect(page.locator("#r-geo")).to_contain_text("不在服务范围内")

    # the per-phone limit (5 reports in 10 minutes): 5 rejected reports from the API, then the page gets 429
    phone = "13700007777"
    for _ in range(5):
        r = httpx.post(server + "/api/public/events", json={"title": "限流测试", "phone": phone, "lon": 0, "lat": 0})
        assert r.status_code == 422, r.text
    page.fill("#r-addr", "福田区南园街道锦林路20号")
    page.fill("#r-phone", phone)
    page.click("#r-submit")
    expect(page.locator("#r-error")).to_contain_text(re.compile(r"操作过于频繁，请 \d+ 秒后再试"))
    expect(page.locator("#r-title")).to_have_value("井盖松动，有安全隐患")  # nothing typed is lost
    assert receipts(page) == []
    no_horizontal_scroll(page, "errors")


def test_returned_and_overdue_cases_sit_in_their_queues(login: Login, seed: dict[str, Any], artifacts: Path) -> None:
    dsp = login(f"dsp_{seed['street']}")
    dsp.click('#queues button[data-q="returned"]')
    expect(dsp.locator("#case-list")).to_contain_text("退回演示")
    expect(dsp.locator("#case-panel")).to_contain_text("不属于本部门职责")  # the return reason in the history
    dsp.click('#queues button[data-q="overdue"]')
    expect(dsp.locator("#case-list")).to_contain_text("超时演示")
    expect(dsp.locator("#case-list")).not_to_contain_text("退回演示")
    expect(dsp.locator("#case-list .badge.sla-red").first).to_be_visible()
    expect(dsp.locator("#case-panel")).to_contain_text("红灯超时")
    dsp.screenshot(path=str(artifacts / "dispatch-overdue.png"))


def test_bulk_file_and_dispatch(
    login: Login, seed: dict[str, Any], server: str, password_of: Callable[[str], str]
) -> None:
    token = httpx.post(
        server + "/api/auth/token", data={"username": "resident2", "password": password_of("resident2")}
    ).json()["access_token"]
    titles = ["批量：路边井盖缺失", "批量：人行道流动摊贩占道经营"]
    for t in titles:
        r = httpx.post(
            server + "/api/events",
            json={"title": t, "grid_code": seed["grid"]["code"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
    dsp = login(f"dsp_{seed['street']}")
    for t in titles:
        dsp.locator("#case-list li", has_text=t).locator(".pick").check()
    expect(dsp.locator("#selected-count")).to_have_text("已选 2 件")
    dsp.click("#bulk-file")
    expect(dsp.locator("#toasts")).to_contain_text("批量立案：成功 2 件")
    dsp.click('#queues button[data-q="to_dispatch"]')
    dsp.keyboard.press("/")
    dsp.keyboard.type("批量：")
    dsp.keyboard.press("Enter")
    expect(dsp.locator("#case-list li")).to_have_count(2)
    dsp.check("#select-all")
    dsp.click("#bulk-dispatch")
    expect(dsp.locator("#toasts")).to_contain_text("批量派遣：成功 2 件")
    expect(dsp.locator("#case-list")).to_contain_text("已派遣待签收")


def test_dispatcher_merges_a_duplicate_report(
    login: Login, visit: Visit, seed: dict[str, Any], server: str, artifacts: Path
) -> None:
    grid = seed["grid"]
    first, second = "东门口井盖松动有响声（重复件演示）", "东门口的井盖松动了（重复件演示）"
    receipts_ = []
    for i, (title, phone) in enumerate(((first, "13600002221"), (second, "13600002222"))):
        point = {"lon": grid["lon"] + i * 0.00004, "lat": grid["lat"] + i * 0.00003}  # about 5 m apart
        r = httpx.post(server + "/api/public/events", json={"title": title, "phone": phone, **point})
        assert r.status_code == 201, r.text
        receipts_.append(r.json())
    main_number = receipts_[0]["number"]

    dsp = login(f"dsp_{seed['street']}")
    dsp.locator("#case-list li", has_text=second).click()
    expect(dsp.locator("#case-title")).to_have_text(second)
    dup = dsp.locator("#dup-list li", has_text=first)
    expect(dup).to_contain_text(main_number)
    expect(dup.locator(".dist")).to_contain_text(re.compile(r"距离(约 \d+|\s*<1) 米"))
    expect(dup.locator(".sim")).to_contain_text(re.compile(r"标题相似度 \d+%"))
    dsp.click('#actions [data-act="merge"]')  # the one-action 合并 points at the candidates
    expect(dsp.locator("#act-error")).to_contain_text("并入此案")
    dsp.screenshot(path=str(artifacts / "dispatch-duplicates.png"))
    dsp.once("dialog", lambda d: d.accept())
    dup.locator("button", has_text="并入此案").click()
    expect(dsp.locator("#toasts")).to_contain_text("已合并")
    expect(dsp.locator("#case-title")).to_have_text(first)  # the main case is shown
    expect(dsp.locator("#dup-list li", has_text=second)).to_have_count(0)
    expect(dsp.locator('#queues button[data-q="to_file"]')).to_have_class(re.compile("active"))
    expect(dsp.locator("#case-list")).not_to_contain_text(second)  # gone from 待立案
    expect(dsp.locator("#case-list li", has_text=first)).to_contain_text("重复 +1")  # counted on the main case

    # the duplicate itself: 已合并, pointing at the main case, nothing left to do
    dsp.keyboard.press("/")
    dsp.keyboard.type("东门口的井盖松动了")
    dsp.keyboard.press("Enter")
    item = dsp.locator("#case-list li", has_text=second)
    expect(item).to_contain_text("已合并")
    item.click()
    expect(dsp.locator("#case-title")).to_have_text(second)
    expect(dsp.locator("#case-panel .kv")).to_contain_text("已合并到 " + main_number)
    expect(dsp.locator("#case-panel .timeline")).to_contain_text("合并重复件")
    expect(dsp.locator('#actions [data-act="merge"]')).to_have_count(0)
    expect(dsp.locator("#dup-box")).to_be_empty()
    dsp.locator("#case-panel .merged-into").click()  # back to the main case
    expect(dsp.locator("#case-title")).to_have_text(first)

    # the second reporter follows the receipt: merged, without the main case's number (not public)
    page = visit(f"/resident?number={receipts_[1]['number']}&token={receipts_[1]['token']}", **PHONE)
    expect(page.locator("#case-card")).to_contain_text("已合并（重复上报）")
    expect(page.locator("#dev-list")).to_contain_text("已合并（重复上报）")
    expect(page.locator("#btn-rate, #btn-reopen")).to_have_count(0)


def test_grid_worker_page_fits_a_phone(login: Login, seed: dict[str, Any], artifacts: Path) -> None:
    page = login(seed["grid_worker"], **PHONE)
    assert page.url.endswith("/grid")
    expect(page.locator("#r-photo")).to_have_attribute("capture", "environment")
    for view in ("report", "tasks", "verify", "area", "mine"):
        page.click(f'#nav button[data-nav="{view}"]')
        page.wait_for_load_state("networkidle")
        if view == "area":  # my grid comes with /api/me; its cases and boundary load after it
            expect(page.locator("#area-title")).to_contain_text(seed["grid"]["name"])
            expect(page.locator("#area-list .item, #area-list .empty").first).to_be_visible()
        no_horizontal_scroll(page, view)
        page.screenshot(path=str(artifacts / f"grid-phone-{view}.png"))
    expect(page.locator("#grid-map.leaflet-container, #grid-map .vendor-missing")).to_have_count(1)


def test_admin_tabs_load_without_errors(login: Login, artifacts: Path) -> None:
    page = login("admin")
    assert page.url.endswith("/admin")
    for tab in ("org", "depts", "users", "catalog", "calendar", "rules", "address", "classifier"):
        page.click(f'#tabs button[data-tab="{tab}"]')
        expect(page.locator("#tab-body .loading")).to_have_count(0)
        expect(page.locator("#tab-body .msg.error, #tab-body .msg.warn")).to_have_count(0)
    # clicking on before a tab has loaded (every request slowed down in the page, as on a loaded server): the tab
    # that was left neither draws into nor fails in the next one
    page.evaluate("""() => { const f = window.fetch;
        window.fetch = (...a) => new Promise((r) => setTimeout(r, 400)).then(() => f(...a)); }""")
    for tab in ("depts", "users", "catalog", "rules", "address", "depts", "calendar"):
        page.click(f'#tabs button[data-tab="{tab}"]')
    page.wait_for_load_state("networkidle")
    expect(page.locator("#tab-body .loading")).to_have_count(0)
    expect(page.locator("#tab-body #cal-list")).to_have_count(1)
    expect(page.locator("#tab-body .msg.error, #tab-body .msg.warn")).to_have_count(0)
    page.click('#tabs button[data-tab="org"]')
    page.locator("#tab-body tr[data-level='city']").first.click()
    page.locator("#tab-body tr[data-level='district']").first.click()
    expect(page.locator("#crumbs")).to_contain_text("福田区")
    page.screenshot(path=str(artifacts / "admin.png"))
