"""Screenshots for the README: docs/screenshots/ioc.png (the IOC wall screen, 1920×1080),
docs/screenshots/grid-phone.png (the grid worker page on a 390×844 phone) and docs/screenshots/resident-phone.png
(the anonymous 随手拍 page on a 390×844 phone, filled in with a photo and the location).

Builds its own throwaway demo database (a few districts, then `simulate(days=7, per_day=150)` so the screens have
history), serves it with uvicorn on a free 127.0.0.1 port and drives Debian's Chromium through Playwright.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--districts 福田区,南山区,罗湖区]
                                            [--only ioc,grid,resident]

`--only resident` skips the simulation (the 随手拍 form needs no history).

Needs: apt-get install chromium fonts-noto-cjk; pip install playwright (never `playwright install`); the vendored
Leaflet/ECharts (make install)."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = ("ioc", "grid", "resident")


def photo_png(width: int = 480, height: int = 360) -> bytes:
    """A stand-in "photo" (a sky-to-pavement gradient) so the 随手拍 preview has something to show."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        t = y / height
        sky, ground = (135, 180, 230), (120, 110, 95)
        c = sky if t < 0.55 else ground
        for x in range(width):
            shade = (x * 40) // width
            rows += bytes((max(0, c[0] - shade), max(0, c[1] - shade), max(0, c[2] - shade)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    )


def build(var: Path, districts: list[str], grids: int, days: int, per_day: int) -> dict[str, str]:
    """Load the demo and simulate; returns {username: password} of the demo logins. Runs in this process with
    the GRIDGOV_* environment already pointing at `var`."""
    from gridgov.config import get_settings
    from gridgov.db import make_engine, session_factory
    from gridgov.demo.geography import build_demo_geography
    from gridgov.demo.loader import load_demo
    from gridgov.demo.simulate import simulate
    from gridgov.migrate import upgrade
    from gridgov.org import cache

    settings = get_settings()
    engine = make_engine(settings.db_url)
    upgrade(engine)
    factory = session_factory(engine)
    print(f"载入演示数据：{'、'.join(districts)}，约 {grids} 个网格 …", flush=True)
    geo = build_demo_geography(districts, grids_target=grids)
    with factory() as session:
        demo = load_demo(session, var, geography=geo, buildings_per_community=30, parser_sequences=0)
    cache.invalidate()
    if days > 0:
        print(f"模拟 {days} 天、每天约 {per_day} 件事件 …", flush=True)
        with factory() as session:
            stats = simulate(session, days=days, per_day=per_day)
        print(f"  上报 {stats.reported}，结案 {stats.closed}，预警 {stats.yellow}，超时 {stats.red}", flush=True)
    engine.dispose()
    return {u: p for u, p, _r, _s in demo.logins}


def busiest_grid_worker(db_url: str) -> str:
    """The grid worker whose grid has the most open cases (the phone screenshot then has something to show)."""
    from sqlalchemy import func, select

    from gridgov.db import make_engine, session_factory
    from gridgov.dispatch.models import Event
    from gridgov.dispatch.rules import OPEN
    from gridgov.org.models import GridAssignment, User

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        row = session.execute(
            select(User.username, func.count(Event.id).label("n"))
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .join(Event, Event.grid_id == GridAssignment.grid_id)
            .where(Event.status.in_([s.value for s in OPEN]))
            .group_by(User.username)
            .order_by(func.count(Event.id).desc(), User.username)
        ).first()
    engine.dispose()
    if row is None:
        raise SystemExit("没有网格员有在办事件")
    return str(row[0])


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "uvicorn", "gridgov.app:create_app", "--factory", "--host", "127.0.0.1"]
    proc = subprocess.Popen([*cmd, "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("服务未能启动")


def grid_centre(db_url: str) -> tuple[float, float]:
    """A grid centre (lon, lat): where the 随手拍 screenshot says the phone is."""
    from sqlalchemy import select

    from gridgov.db import make_engine, session_factory
    from gridgov.org.models import Division

    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        grid = session.scalars(
            select(Division).where(Division.level == "grid", Division.center_lon.is_not(None)).order_by(Division.code)
        ).first()
    engine.dispose()
    if grid is None or grid.center_lon is None or grid.center_lat is None:
        raise SystemExit("没有网格")
    return grid.center_lon, grid.center_lat


def shoot(
    base: str,
    out: Path,
    only: set[str],
    leader_password: str,
    worker: str | None,
    worker_password: str,
    centre: tuple[float, float],
) -> None:
    from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, sync_playwright

    def phone_context(browser: Browser, **extra: Any) -> BrowserContext:
        return browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **extra,
        )

    def login(context: BrowserContext, username: str, password: str, path: str) -> Page:
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-btn")
        page.wait_for_url(lambda url: "/login" not in url)  # the token is stored before the role's home loads
        page.goto(base + path)
        return page

    def no_scroll(page: Page, what: str) -> None:
        width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
        if width[0] > width[1]:
            raise SystemExit(f"{what}出现横向滚动：{width}")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        if "ioc" in only:
            ctx = browser.new_context(
                viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            page = login(ctx, "city_leader", leader_password, "/ioc")
            page.wait_for_function("() => document.querySelector('.kpi[data-kpi=\"reported\"] .value').dataset.value")
            page.wait_for_timeout(3000)  # the charts animate in
            page.screenshot(path=str(out / "ioc.png"))
            ctx.close()

        if "grid" in only and worker:
            phone = phone_context(browser)
            page = login(phone, worker, worker_password, "/grid?view=area")
            page.wait_for_selector("#area-list .item")
            page.wait_for_timeout(1500)
            no_scroll(page, "网格员页面")
            page.screenshot(path=str(out / "grid-phone.png"))
            phone.close()

        if "resident" in only:
            lon, lat = centre
            phone = phone_context(browser, geolocation={"longitude": lon, "latitude": lat}, permissions=["geolocation"])
            page = phone.new_page()
            page.goto(base + "/resident")
            page.wait_for_selector("#r-geo.ok")  # located at once: the permission is granted
            shot = FilePayload(name="现场.png", mimeType="image/png", buffer=photo_png())
            page.set_input_files("#r-photo", files=[shot])
            page.fill("#r-title", "人行道上建筑垃圾堆了好几天")
            page.fill("#r-desc", "靠近公交站，行人只能走机动车道")
            page.fill("#r-phone", "13800138000")
            page.locator("#r-phone").blur()
            page.wait_for_timeout(500)
            no_scroll(page, "随手拍页面")
            page.screenshot(path=str(out / "resident-phone.png"))
            phone.close()
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--districts", default="福田区,南山区,罗湖区")
    ap.add_argument("--grids", type=int, default=240)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--per-day", type=int, default=150)
    ap.add_argument("--only", default=",".join(SHOTS), help="只生成这些截图（逗号分隔：ioc,grid,resident）")
    ap.add_argument("--keep", action="store_true", help="保留临时数据库目录")
    a = ap.parse_args()
    only = {x.strip() for x in a.only.split(",") if x.strip()}
    if not only or only - set(SHOTS):
        raise SystemExit(f"--only 取值应为 {','.join(SHOTS)} 中的一个或多个")
    if not Path(CHROMIUM).exists():
        raise SystemExit("需要 Debian 的 Chromium：apt-get install -y chromium fonts-noto-cjk")
    tmp = Path(tempfile.mkdtemp(prefix="gridgov-shots-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    env.update(
        {
            "GRIDGOV_VAR_DIR": str(tmp / "var"),
            "GRIDGOV_DATABASE_URL": f"sqlite:///{tmp / 'shots.db'}",
            "GRIDGOV_SLA_SWEEP_SECONDS": "0",
        }
    )
    for k in [k for k in os.environ if k.startswith("GRIDGOV_")]:
        del os.environ[k]
    os.environ.update(env)  # before gridgov reads its settings
    districts = [d.strip() for d in a.districts.split(",") if d.strip()]
    days = a.days if only & {"ioc", "grid"} else 0  # the 随手拍 form alone needs no history
    passwords = build(tmp / "var", districts, a.grids, days, a.per_day)
    worker = busiest_grid_worker(env["GRIDGOV_DATABASE_URL"]) if "grid" in only else None
    gw_password = next(p for u, p in passwords.items() if u.startswith("gw_"))
    centre = grid_centre(env["GRIDGOV_DATABASE_URL"])
    proc, base = serve(env)
    try:
        a.out.mkdir(parents=True, exist_ok=True)
        shoot(base, a.out, only, passwords["city_leader"], worker, gw_password, centre)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    names = {"ioc": "ioc.png", "grid": "grid-phone.png", "resident": "resident-phone.png"}
    made = "、".join(str(a.out / names[k]) for k in SHOTS if k in only)
    print(f"已生成 {made}" + (f"（数据保留在 {tmp}）" if a.keep else ""))


if __name__ == "__main__":
    main()
