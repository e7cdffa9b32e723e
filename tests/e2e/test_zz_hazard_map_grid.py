"""The grid worker's hazard map in a real browser at phone width: the /ioc hazard layer (the same script) on the
/grid 本网格 map, with the sources of his grid only, filtered by risk level and by class; and the bottom nav's seven
buttons fit a 390 px screen. (Named to run after the hazard layer: it uses the hazards demo in the shared e2e
database, adding it when missing.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

MARKERS = "#grid-map path.hz-source, #grid-map path.hz-alarm"


def test_the_grid_workers_map_shows_his_hazard_sources_with_filters(
    run_script: Callable[[str], Any], server: str, login: Callable[..., Page], artifacts: Path
) -> None:
    grid = run_script("grid_hazards_seed.py")
    page = login(f"gw_{grid['grid_code']}", "/grid", viewport={"width": 390, "height": 844})
    nav = page.locator("#nav button")
    expect(nav).to_have_count(7)
    boxes = [b.bounding_box() for b in nav.all()]
    assert all(b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    # no label is cut or wrapped: each button's text fits its width on one line
    assert page.evaluate(
        "[...document.querySelectorAll('#nav button')].every(b => b.scrollWidth <= b.clientWidth + 1)"
    ), "a bottom-nav label does not fit at 390 px"
    heights = {round(b["height"]) for b in boxes if b is not None}
    assert len(heights) == 1 and max(heights) < 60, heights
    page.screenshot(path=str(artifacts / "grid-nav-390.png"))

    page.click('#nav button[data-nav="area"]')
    markers = page.locator(MARKERS)
    expect(markers).to_have_count(grid["sources"])  # his grid's sources only (the API's scope)
    page.screenshot(path=str(artifacts / "grid-hazard-map.png"), full_page=True)
    risk, n_risk = max(grid["by_risk"].items(), key=lambda kv: kv[1])
    page.select_option("#hz-risk", risk)
    expect(markers).to_have_count(n_risk)
    absent = next(r for r in ("major", "high", "medium", "low") if r not in grid["by_risk"])
    page.select_option("#hz-risk", absent)
    expect(markers).to_have_count(0)  # the filter reaches the API: no source of that level in his grid
    page.select_option("#hz-risk", "")
    expect(markers).to_have_count(grid["sources"])
    codes = page.locator("#hz-class option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    page.select_option("#hz-class", next(c for c in codes if c not in grid["by_class"]))
    expect(markers).to_have_count(0)
    klass, n_class = min(grid["by_class"].items(), key=lambda kv: kv[1])
    page.select_option("#hz-class", klass)
    expect(markers).to_have_count(n_class)
    markers.first.click(force=True)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("责任单位")
    page.screenshot(path=str(artifacts / "grid-hazard-map-filtered.png"), full_page=True)
    page.click("#btn-hazards")
    expect(markers).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # phone-first: no horizontal scroll
