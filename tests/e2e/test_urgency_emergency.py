"""重特大 in a real browser: a gas leak reported at a grid alerts the district's leader and on-duty dispatcher; the
IOC switches to the emergency view of its area (the case, its grid and the cases nearby on the map, the grid
workers, the timeline, the grid-to-leader time), the leader acknowledges from the alert bar and goes back to the
normal view; the dispatcher acknowledges from /dispatch. (Runs after test_pages.py, whose IOC expects no
emergency.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

Login = Callable[..., Page]


def token(server: str, username: str, password: str) -> dict[str, str]:
    r = httpx.post(server + "/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_major_case_switches_the_ioc_to_its_emergency_view(
    login: Login, seed: dict[str, Any], server: str, password_of: Callable[[str], str], artifacts: Path
) -> None:
    grid, worker = seed["grid"], seed["grid_worker"]
    # the grid worker reports a gas leak (重特大 by default), near an open case of the same grid
    headers = token(server, worker, password_of(worker))
    near = {"grid_code": grid["code"], "lon": grid["lon"] + 0.001, "lat": grid["lat"], "category_code": "01001"}
    assert (
        httpx.post(server + "/api/events", json={"title": "路边垃圾堆放", **near}, headers=headers).status_code == 201
    )
    body = {
        "title": "小区门口燃气管道泄漏，气味很浓",
        "grid_code": grid["code"],
        "lon": grid["lon"],
        "lat": grid["lat"],
    }
    r = httpx.post(server + "/api/events", json={**body, "category_code": "04004"}, headers=headers)
    assert r.status_code == 201 and r.json()["urgency"] == "major", r.text

    ioc = login(f"ldr_{seed['district']}", "/ioc", viewport={"width": 1920, "height": 1080})
    view = ioc.locator("#emergency")
    expect(view).to_be_visible()
    expect(ioc.locator("#em-case")).to_contain_text("燃气管道泄漏")
    expect(ioc.locator("#em-case")).to_contain_text("尚无领导确认")
    expect(ioc.locator("#em-workers")).to_contain_text("（本网格）")
    expect(ioc.locator("#em-timeline")).to_contain_text("重特大告警（区领导）")
    expect(ioc.locator("#em-nearby")).to_contain_text("路边垃圾堆放")
    expect(ioc.locator("#em-map .em-label")).to_contain_text("燃气管道泄漏")  # the case's marker on the map
    expect(ioc.locator(".ioc-body")).to_be_hidden()
    bar = ioc.locator("#alert-bar")
    expect(bar).to_contain_text("燃气管道泄漏")
    ioc.screenshot(path=str(artifacts / "ioc-emergency.png"))

    # the leader acknowledges from the bar: the grid-to-leader time appears; then back to the normal view
    bar.locator("button[data-ack]").first.click()
    expect(bar).to_be_hidden()
    ioc.wait_for_timeout(200)
    ioc.reload()
    expect(ioc.locator("#em-g2l")).not_to_contain_text("尚无领导确认")
    ioc.click("#emergency-back")
    expect(view).to_be_hidden()
    expect(ioc.locator(".ioc-body")).to_be_visible()
    expect(ioc.locator("#emergency-banner")).to_contain_text("重特大事件 1 起")
    ioc.screenshot(path=str(artifacts / "ioc-after-emergency.png"))

    dispatch = login(f"dsp_{seed['district']}", "/dispatch")
    dbar = dispatch.locator("#alert-bar")
    expect(dbar).to_contain_text("燃气管道泄漏")
    dispatch.screenshot(path=str(artifacts / "dispatch-alert.png"))
    dbar.locator("button[data-ack]").first.click()
    expect(dbar).to_be_hidden()
