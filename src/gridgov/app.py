"""FastAPI factory: settings, database, the event bus wiring, routers, JSON errors in Chinese, and the in-process
workers (SLA sweeper, outbox delivery, notification sending, hazards sweep and grading, WAL checkpoints)."""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import gridgov.models  # noqa: F401 - the whole schema, so every foreign key resolves
from gridgov import __version__
from gridgov.address.api import router as address_router
from gridgov.blockdata.api import router as blockdata_router
from gridgov.blockdata.linkage.api import router as linkage_router
from gridgov.blockdata.verification import VerifyDueWorker
from gridgov.blockdata.verify_api import public_router as declaration_router
from gridgov.blockdata.verify_api import router as verification_router
from gridgov.catalog.api import router as catalog_router
from gridgov.classify.api import router as classify_router
from gridgov.common import ratelimit
from gridgov.common.body_limit import BodyLimit
from gridgov.common.choices_api import router as choices_router
from gridgov.common.error_docs import document_errors
from gridgov.common.errors import AppError
from gridgov.common.events import OutboxWorker
from gridgov.common.headers import SecurityHeaders
from gridgov.common.ratelimit import LimitBeforeBody
from gridgov.common.security import warm_password_check
from gridgov.config import Settings, get_settings
from gridgov.dashboard.api import router as dashboard_router
from gridgov.db import WalCheckpointer, make_engine, session_factory
from gridgov.dispatch.alerts_api import router as alerts_router
from gridgov.dispatch.api import router as dispatch_router
from gridgov.dispatch.choice_api import router as choice_router
from gridgov.dispatch.public_api import router as public_router
from gridgov.dispatch.report_writer import ReportWriter
from gridgov.dispatch.suggestions_api import router as suggestions_router
from gridgov.dispatch.sweeper import Sweeper
from gridgov.hazards.api import router as hazards_router
from gridgov.hazards.worker import HazardsWorker
from gridgov.mediation.api import router as mediation_router
from gridgov.mediation.legal_api import public_router as legal_public_router
from gridgov.mediation.legal_api import router as legal_router
from gridgov.mediation.worker import TaskSweeper
from gridgov.notify.api import router as notify_router
from gridgov.notify.worker import NotifyWorker
from gridgov.org.api import router as org_router
from gridgov.org.audit_api import router as audit_router
from gridgov.org.auth_api import router as auth_router
from gridgov.org.roster_api import router as roster_router
from gridgov.web.pages import mount_web
from gridgov.wiring import wire

PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "json_invalid": "请求体不是合法的 JSON",
    "too_long": "条目过多",
    "datetime_parsing": "日期时间格式不正确",
    "date_parsing": "日期格式不正确",
    "value_error": "取值无效",
}


def _validation_body(exc: RequestValidationError) -> dict[str, Any]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(loc) or "body"
        kind = str(err.get("type", ""))
        message = PYDANTIC_ZH.get(kind, "取值无效")
        if kind == "value_error":
            message = str(err.get("msg", message)).removeprefix("Value error, ")
        errors.append({"field": field, "message": message, "type": kind})
    first = errors[0] if errors else {"field": "body", "message": "请求无效"}
    return {
        "error": {
            "code": "invalid_input",
            "message": f"字段 {first['field']}：{first['message']}",
            "field": first["field"],
            "errors": errors,
        }
    }


_SECRET_QUERY = re.compile(r"((?:access_)?token=)[^&\s]+")


class RedactSecrets(logging.Filter):
    """Keep bearer tokens and follow-up tokens passed in query strings (SSE, public case links) out of the
    access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SECRET_QUERY.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def _warm_up(factory: sessionmaker[Session]) -> None:
    """Build the grid index, the address engines and the live classifier before the first report needs them."""
    from gridgov.address import library
    from gridgov.address.native import stale_sources
    from gridgov.classify.live import preload
    from gridgov.org.spatial import grid_locator

    warm_password_check()  # the dummy hash unknown users are checked against, before the first login
    stale = stale_sources()
    if stale:
        logging.getLogger(__name__).warning("the compiled address matcher is older than %s: run `make native`", stale)
    try:
        with factory() as session:
            grid_locator(session)
            library.engines(session)
            preload(session)
        # The address engines hold a few hundred thousand long-lived objects; keep them out of the cyclic
        # collector's generations so that full collections do not pause requests.
        gc.collect()
        gc.freeze()
    except Exception:  # an empty or half-migrated database: the first request builds them instead
        logging.getLogger(__name__).warning("warm-up skipped", exc_info=True)


UPLOAD_PATHS = frozenset({"/api/attachments", "/api/public/attachments"})
IMPORT_PATHS = frozenset({"/api/addresses/import", "/api/catalog/import", "/api/blockdata/import"})
MULTIPART_OVERHEAD = 64 * 1024


def body_limits(settings: Settings) -> Callable[[str, str], int]:
    """The request-body limit of a route: uploads and imports get theirs, everything else the small one."""

    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path in UPLOAD_PATHS:
            return settings.max_upload_bytes + MULTIPART_OVERHEAD
        if method == "POST" and path in IMPORT_PATHS:
            return settings.max_import_bytes
        return settings.max_body_bytes

    return limit_for


def add_edges(app: FastAPI, settings: Settings) -> None:
    """The outer layers every request passes (outermost last): security headers, the body cap and the public
    routes' per-address rate limits before any parsing, and X-Forwarded-For believed only from the configured
    proxies."""
    app.add_middleware(BodyLimit, limit_for=body_limits(settings))
    app.add_middleware(LimitBeforeBody)  # the limits the public routers registered (limit_at_edge)
    app.add_middleware(
        SecurityHeaders, tile_url=settings.map_tile_url, docs_path="/docs" if settings.api_docs else None
    )
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, sweeper: bool = True, warm: bool = True
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.db_url)
    factory = session_factory(engine, settings)
    event_bus = wire()
    sla = Sweeper(factory, settings.sla_sweep_seconds if sweeper else 0)
    verify_due = VerifyDueWorker(factory, settings.blockdata_verify_sweep_seconds if sweeper else 0)
    mediation_tasks = TaskSweeper(factory, settings.sla_sweep_seconds if sweeper else 0)  # 联调任务 on the same beat
    outbox = OutboxWorker(factory, settings.outbox_poll_seconds if sweeper else 0, event_bus)
    # the outbox worker feeds the planner; this thread sends what is due (see notify/worker.py)
    notifier = NotifyWorker(factory, settings, settings.notify_poll_seconds if sweeper else 0, plan=False)
    hazards = HazardsWorker(factory, settings.hazards_sweep_seconds if sweeper else 0, settings.hazards_grade_seconds)
    writer = ReportWriter(factory)
    checkpointer = WalCheckpointer(engine)
    ratelimit.use_database(engine)
    workers = (checkpointer, sla, verify_due, mediation_tasks, outbox, notifier, hazards)  # started in this order

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for worker in workers:
            worker.start()
        if warm:
            threading.Thread(target=_warm_up, args=(factory,), name="warm-up", daemon=True).start()
        yield
        for worker in workers[1:]:
            worker.stop()
        writer.close()
        checkpointer.stop()  # last: after the report writer's final commits

    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access_log.filters):
        access_log.addFilter(RedactSecrets())
    app = FastAPI(
        title="gridgov 网格化基层治理平台",
        version=__version__,
        description="标准地址、网格与统一分拨闭环的 API。错误以 JSON 返回：{error: {code, message, field}}。",
        lifespan=lifespan,
        docs_url=None,  # served below from the vendored Swagger UI: no CDN, the platform works offline
        redoc_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    add_edges(app, settings)
    if settings.api_docs:

        @app.get("/docs", include_in_schema=False)
        async def docs() -> HTMLResponse:
            vendor = "/static/vendor/swagger-ui/"
            return get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=app.title,
                swagger_js_url=vendor + "swagger-ui-bundle.js",
                swagger_css_url=vendor + "swagger-ui.css",
                swagger_favicon_url=vendor + "favicon-32x32.png",
            )

    app.state.settings, app.state.engine, app.state.session_factory = settings, engine, factory
    app.state.report_writer = writer
    app.state.outbox_worker = outbox
    app.state.mediation_sweeper = mediation_tasks
    app.state.notify_worker = notifier
    app.state.hazards_worker = hazards
    app.state.wal_checkpointer = checkpointer

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc), status_code=422)

    # Routes are matched in order, one regular expression each: the case API (POST /api/events is its first route)
    # comes first, ahead of the org and catalog routes under the same /api prefix.
    routers = (
        dispatch_router,
        auth_router,
        alerts_router,
        choice_router,
        org_router,
        roster_router,
        catalog_router,
        choices_router,
        public_router,
        address_router,
        blockdata_router,
        verification_router,
        declaration_router,
        linkage_router,
        dashboard_router,
        audit_router,
        notify_router,
        hazards_router,
        mediation_router,
        legal_router,
        legal_public_router,
        suggestions_router,
        classify_router,
    )
    for router in routers:
        app.include_router(router)
    mount_web(app)
    document_errors(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/login")

    return app
