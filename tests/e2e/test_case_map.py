"""The case map in a real browser: the case, its grid and the open cases nearby on the dispatcher's, the handler's
and the grid worker's panels, with 导航 links; without tiles the library's roads and buildings are drawn, with
GCJ-02 tiles the overlay is shifted by gcoord exactly as the Python transforms do; and the printable 派遣单."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")

from playwright.sync_api import Page, Route, expect

from gridgov.address.geo import wgs84_to_bd09, wgs84_to_gcj02

Login = Callable[..., Page]
KNOWN = [(114.0579, 22.5431), (113.9305, 22.5333), (116.397, 39.909)]  # 福田 CBD, 南山, 北京


def _token(server: str, username: str, password: str) -> dict[str, str]:
    r = httpx.post(server + "/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["access_token"]}


@pytest.fixture(scope="module")
def cases(server: str, seed: dict[str, Any], password_of: Any) -> dict[str, int]:
    """Three cases around the seed grid's centre, reported by its street's dispatcher: one dispatched to the grid
    (暴露垃圾), one to the street's 执法队 (积存垃圾渣土), and the newest left in 待立案."""
    who = f"dsp_{seed['street']}"
    headers = _token(server, who, password_of(who))
    lon, lat = seed["grid"]["lon"], seed["grid"]["lat"]
    out = {}
    for name, dx, code in (("近旁一", 0.0008, "01001"), ("近旁二", -0.0006, "01002"), ("地图演示", 0.0, None)):
        body = {"title": f"{name} 井盖缺失", "lon": lon + dx, "lat": lat, "grid_code": seed["grid"]["code"]}
        r = httpx.post(server + "/api/events", json=body, headers=headers)
        assert r.status_code == 201, r.text
        out[name] = r.json()["id"]
        if code:
            for action, payload in (("file", {"category_code": code}), ("dispatch", {})):
                done = httpx.post(f"{server}/api/events/{out[name]}/actions/{action}", json=payload, headers=headers)
                assert done.status_code == 200, done.text
    return out


def _wait_map(page: Page) -> None:
    expect(page.locator(".case-map .this-case")).to_have_count(1)
    expect(page.locator(".case-map-box .map-legend")).to_contain_text("附近")


def test_the_dispatcher_sees_the_case_on_a_map_without_tiles(
    login: Login, seed: dict[str, Any], cases: dict[str, int], artifacts: Path
) -> None:
    page = login(f"dsp_{seed['street']}")
    expect(page.locator("#case-title")).to_contain_text("地图演示")  # the newest report, selected first
    _wait_map(page)
    assert page.locator(".case-map").get_attribute("data-tiles") == "0"
    expect(page.locator(".case-map .grid-outline")).to_have_count(1)
    assert page.locator(".case-map .nearby-case").count() >= 2
    legend = page.locator(".case-map-box .map-legend").inner_text()
    assert "条道路" in legend and "栋建筑" in legend, legend
    roads = int(legend.split("（")[1].split(" 条道路")[0])
    assert roads > 0, legend  # the library's roads are drawn, so the map is useful without tiles
    geo = page.locator(".case-map-box a.nav-geo").get_attribute("href") or ""
    amap = page.locator(".case-map-box a.nav-amap").get_attribute("href") or ""
    baidu = page.locator(".case-map-box a.nav-baidu").get_attribute("href") or ""
    lon, lat = seed["grid"]["lon"], seed["grid"]["lat"]
    assert geo.startswith(f"geo:{round(lat, 6)},{round(lon, 6)}"), geo
    g = wgs84_to_gcj02(lon, lat)
    b = wgs84_to_bd09(lon, lat)
    assert f"position={round(g[0], 6)},{round(g[1], 6)}" in amap, amap
    assert f"location={round(b[1], 6)},{round(b[0], 6)}" in baidu and "coord_type=bd09ll" in baidu, baidu
    page.locator("#case-map-box").screenshot(path=str(artifacts / "case-map-no-tiles.png"))
    page.screenshot(path=str(artifacts / "dispatch-case-map.png"))


def test_gcoord_matches_the_python_transforms_on_known_points(login: Login, seed: dict[str, Any]) -> None:
    page = login(f"dsp_{seed['street']}")
    page.wait_for_function("() => window.GG && GG.caseMap && window.gcoord")
    for lon, lat in KNOWN:
        for crs, fn in (("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)):
            got = page.evaluate(f"() => GG.caseMap.shift({lon}, {lat}, '{crs}')")
            want = fn(lon, lat)
            assert got[0] == pytest.approx(want[0], abs=1e-7) and got[1] == pytest.approx(want[1], abs=1e-7), (crs, lon)
    assert page.evaluate("() => GG.caseMap.shift(114.0579, 22.5431, 'wgs84')") == [114.0579, 22.5431]


def test_with_gcj02_tiles_the_overlay_is_shifted(
    login: Login,
    seed: dict[str, Any],
    cases: dict[str, int],
    artifacts: Path,
    photo: Path,
    password_of: Callable[[str], str],
) -> None:
    tile = photo.read_bytes()  # any image will do as a tile
    served: list[str] = []

    def config(route: Route) -> None:
        body = json.loads(route.fetch().text())
        body.update(
            map_tile_url="http://tiles.test/{z}/{x}/{y}.png", map_tile_crs="gcj02", map_tile_attribution="测试底图"
        )
        route.fulfill(json=body)

    def tiles(route: Route) -> None:
        served.append(route.request.url)
        route.fulfill(body=tile, content_type="image/png")

    # the server's CSP names only its configured tile host; this test swaps the configuration in the browser
    page = login(None, "/login", bypass_csp=True)
    page.route("**/api/ui-config", config)
    page.route("http://tiles.test/**", tiles)
    page.fill("#username", f"dsp_{seed['street']}")
    page.fill("#password", password_of(f"dsp_{seed['street']}"))
    page.click("#login-btn")
    expect(page.locator("#case-title")).to_contain_text("地图演示")
    _wait_map(page)
    assert page.locator(".case-map").get_attribute("data-crs") == "gcj02"
    expect(page.locator(".case-map-box .map-legend")).to_contain_text("叠加层已纠偏")
    expect(page.locator(".case-map .leaflet-tile-loaded").first).to_be_visible()
    assert served, "no tile was requested"
    page.locator("#case-map-box").screenshot(path=str(artifacts / "case-map-gcj02-tiles.png"))


def test_handler_and_grid_worker_panels_show_the_map(
    login: Login, seed: dict[str, Any], cases: dict[str, int], artifacts: Path
) -> None:
    handler = login(f"h_{seed['street']}_chengguan", "/handler")
    handler.locator("#task-list li", has_text="近旁二").first.click()
    _wait_map(handler)
    expect(handler.locator(".case-map .grid-outline")).to_have_count(1)  # nearby cases: only those in his scope
    handler.locator("#task-panel").screenshot(path=str(artifacts / "handler-case-map.png"))
    gw = login(seed["grid_worker"], "/grid?view=tasks", viewport={"width": 390, "height": 844}, is_mobile=True)
    gw.locator("#task-list .item", has_text="近旁一").first.click()
    _wait_map(gw)
    expect(gw.locator(".case-map-box a.nav-geo")).to_be_visible()
    gw.screenshot(path=str(artifacts / "grid-case-map.png"), full_page=True)


def test_the_dispatch_sheet_prints_cleanly(
    login: Login, seed: dict[str, Any], cases: dict[str, int], artifacts: Path
) -> None:
    page = login(f"dsp_{seed['street']}", f"/sheet?id={cases['地图演示']}")
    expect(page.locator(".sheet-title")).to_have_text("网格化管理事件派遣单")
    expect(page.locator(".sheet-table").first).to_contain_text("地图演示 井盖缺失")
    expect(page.locator(".sheet-sign")).to_contain_text("承办人签收")
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator("#print")).to_be_hidden()
    border = page.evaluate("() => getComputedStyle(document.querySelector('.sheet')).borderTopWidth")
    assert border == "0px"
    page.screenshot(path=str(artifacts / "sheet-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "sheet.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
