"""HTML pages of the platform and the tiny UI config endpoint; `mount_web(app)` wires them into the API app.

The pages are static shells: every piece of data is fetched by the browser from the JSON API with the user's
sign-in cookie, so the API's data scope applies to what a page shows. /resident needs no login: its 随手拍 flow uses the
public endpoints (/api/public/...) and keeps each report's number and follow-up token in the phone's localStorage.
Vendored libraries (Leaflet, ECharts) live under static/vendor, copied from npm by `frontend/copy-vendor.mjs`; a
page says so in Chinese when they are missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from gridgov import __version__
from gridgov.common.redirects import safe_next
from gridgov.org.deps import SettingsDep

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
VENDOR_FILES = (
    "leaflet/leaflet.js",
    "leaflet/leaflet.css",
    "leaflet.heat/leaflet-heat.js",
    "echarts/echarts.min.js",
    "gcoord/gcoord.js",
)

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["ui"])


# Each page: (template, title). The login page picks the home page by role; the API decides what data shows.
PAGES: dict[str, tuple[str, str]] = {
    "ioc": ("ioc.html", "指挥大屏"),
    "dispatch": ("dispatch.html", "分拨工作台"),
    "handler": ("handler.html", "部门处置"),
    "grid": ("grid.html", "网格员"),
    "resident": ("resident.html", "随手拍"),
    "admin": ("admin.html", "系统管理"),
    "sheet": ("sheet.html", "派遣单"),  # one case, printable (/sheet?id=N)
    "mediation": ("mediation.html", "矛盾纠纷调解"),
    "declare": ("declare.html", "自主申报"),  # landlords, property companies, agents: no login
    "legal": ("legal.html", "法律服务"),  # public, like /resident: residents book their community's legal adviser
}


def missing_vendor_files() -> list[str]:
    return [name for name in VENDOR_FILES if not (VENDOR_DIR / name).is_file()]


def _context(page: str, title: str) -> dict[str, Any]:
    missing = missing_vendor_files()
    return {
        "page": page,
        "title": title,
        "version": __version__,
        "vendor_missing": missing,
        "vendor_have": [name for name in VENDOR_FILES if name not in missing],  # only these get a <script>/<link>
    }


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """A `next` that is not a path of this site ("//evil", "/%5Cevil", "/%09/evil" ...) is dropped here, before
    the page's script sees it (which checks it again)."""
    next_ = request.query_params.get("next")
    if next_ is not None and safe_next(next_) is None:
        return RedirectResponse("/login", status_code=303)
    return templates.TemplateResponse(request, "login.html", _context("login", "登录"))


@router.get("/app", response_class=HTMLResponse)
def app_home() -> RedirectResponse:
    return RedirectResponse("/login", status_code=307)


def _page_route(page: str, template: str, title: str) -> None:
    def render(request: Request) -> Response:
        return templates.TemplateResponse(request, template, _context(page, title))

    router.add_api_route(f"/{page}", render, methods=["GET"], response_class=HTMLResponse, name=f"page_{page}")


for _name, (_template, _title) in PAGES.items():
    _page_route(_name, _template, _title)


@router.get("/building/{code}", response_class=HTMLResponse)
def building_page(request: Request, code: str) -> Response:
    """一楼一档: the profile of one standard address (the page reads /api/blockdata/profile/{code})."""
    context = _context("building", "一楼一档") | {"code": code}
    return templates.TemplateResponse(request, "building.html", context)


@api_router.get("/ui-config", summary="页面配置（地图底图等）")
def ui_config(settings: SettingsDep) -> dict[str, Any]:
    return {
        "map_tile_url": settings.map_tile_url or None,
        "map_tile_attribution": settings.map_tile_attribution,
        "map_tile_crs": settings.map_tile_crs,
        "vendor_missing": missing_vendor_files(),
        "version": __version__,
    }


def mount_web(app: FastAPI) -> None:
    """Add the pages, /api/ui-config and /static to `app`."""
    app.include_router(router)
    app.include_router(api_router)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
