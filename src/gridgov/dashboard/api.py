"""HTTP entry points of the IOC (指挥大屏) data API, under /api/dashboard: thin — resolve the view, call one
query (through the 5-second result cache), render. The live stream is Server-Sent Events."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gridgov.common.errors import NotAuthenticated
from gridgov.common.principal import Principal
from gridgov.dashboard import breakdowns, emergency, maps, rankings, summary
from gridgov.dashboard.cache import cached
from gridgov.dashboard.hot_issues import HotIssuesOut, hot_issues
from gridgov.dashboard.repeat_places import RepeatPlacesOut, repeat_places
from gridgov.dashboard.schemas import (
    BreakdownBy,
    BreakdownOut,
    HotspotsOut,
    MapOut,
    Period,
    RankingBy,
    RankingOut,
    SummaryOut,
    SummonsResponseOut,
    TrendOut,
    WarningsOut,
)
from gridgov.dashboard.view import View, period_window, resolve_view
from gridgov.org.deps import PrincipalDep, SessionDep, cookie_token, oauth2, principal_for_token

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])

DivisionCode = Annotated[str | None, Query(max_length=16, description="区划代码，默认本人所属区划（管理员：全市）")]
PeriodQ = Annotated[Period, Query(description="today 今日 / week 本周（周一起）/ month 本月，按北京时间")]


def _render(kind: str, view: View, params: tuple[Hashable, ...], compute: Callable[[], BaseModel]) -> Response:
    """The JSON of `compute()`, rendered once and served from the result cache while it is fresh (the
    response_model of each route documents the shape; the bytes skip FastAPI's re-validation)."""
    body = cached(kind, view, params, lambda: compute().model_dump_json(by_alias=True).encode())
    return Response(body, media_type="application/json")


@router.get("/summary", response_model=SummaryOut, summary="大屏总览指标")
def get_summary(
    session: SessionDep, actor: PrincipalDep, division_code: DivisionCode = None, period: PeriodQ = Period.TODAY
) -> Response:
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("summary", view, (win.period, win.start), lambda: summary.summary(session, view, win))


@router.get("/trend", response_model=TrendOut, summary="按日趋势（上报、结案、超时）")
def get_trend(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    view = resolve_view(session, actor, division_code)
    today = period_window(Period.TODAY).start
    return _render("trend", view, (days, today), lambda: summary.trend(session, view, days))


@router.get("/breakdown", response_model=BreakdownOut, summary="分类构成（大类、来源渠道、下级区划、主办部门）")
def get_breakdown(
    session: SessionDep,
    actor: PrincipalDep,
    by: BreakdownBy = BreakdownBy.MAJOR,
    division_code: DivisionCode = None,
    period: PeriodQ = Period.TODAY,
) -> Response:
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("breakdown", view, (by, win.period, win.start), lambda: breakdowns.breakdown(session, view, win, by))


@router.get("/rankings", response_model=RankingOut, summary="考评排名（下级区划或主办部门）")
def get_rankings(
    session: SessionDep,
    actor: PrincipalDep,
    by: RankingBy = RankingBy.CHILD,
    division_code: DivisionCode = None,
    period: PeriodQ = Period.TODAY,
) -> Response:
    """score = 100 × (0.4 × 按期处置率 + 0.3 × 结案率 + 0.2 × (1 − 重办率) + 0.1 × (1 − 退回率))，
    说明见 rankings.rankings。"""
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("rankings", view, (by, win.period, win.start), lambda: rankings.rankings(session, view, win, by))


@router.get("/summons-response", response_model=SummonsResponseOut, summary="吹哨报到：各部门报到用时")
def get_summons_response(
    session: SessionDep, actor: PrincipalDep, division_code: DivisionCode = None, period: PeriodQ = Period.TODAY
) -> Response:
    """本时段吹哨的各部门：被吹哨、已报到、按时报到率、报到用时（中位数、平均，分钟），说明见
    rankings.summons_response。"""
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("summons", view, (win.period, win.start), lambda: rankings.summons_response(session, view, win))


@router.get("/warnings", response_model=WarningsOut, summary="预警与超时事件（红灯优先）")
def get_warnings(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    view = resolve_view(session, actor, division_code)
    return _render("warnings", view, (limit,), lambda: maps.warnings(session, view, limit))


@router.get("/hotspots", response_model=HotspotsOut, summary="高发网格")
def get_hotspots(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    period: PeriodQ = Period.TODAY,
    limit: Annotated[int, Query(ge=1, le=200)] = 10,
) -> Response:
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("hotspots", view, (win.period, win.start, limit), lambda: maps.hotspots(session, view, win, limit))


@router.get("/hot-issues", response_model=HotIssuesOut, summary="热点诉求（按地点与主题聚类）")
def get_hot_issues(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    period: PeriodQ = Period.WEEK,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """本时段的报件按同一地点（标准地址或重复诉求半径内）、相关小类与相近文本聚成热点，按件数、上报人数与增长排序。"""
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    return _render("hot_issues", view, (win.period, win.start, limit), lambda: hot_issues(session, view, win, limit))


@router.get("/repeat-places", response_model=RepeatPlacesOut, summary="重复投诉地址（标准地址与所在法人单位）")
def get_repeat_places(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    period: PeriodQ = Period.MONTH,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """本时段报件（含已合并的重复诉求）按标准地址汇总，至少 2 件者按件数、最近报件排序：地址、该地址登记的法人单位、
    件数、上报人数、最近报件时间与最多的小类。"""
    view = resolve_view(session, actor, division_code)
    win = period_window(period)
    key = (win.period, win.start, limit)
    return _render("repeat_places", view, key, lambda: repeat_places(session, view, win, limit))


@router.get("/map", response_model=MapOut, summary="地图：区划面（在办、红灯数）与事件点位")
def get_map(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: DivisionCode = None,
    level: Annotated[str | None, Query(description="面的层级：district、street、community 或 grid")] = None,
) -> Response:
    view = resolve_view(session, actor, division_code)
    lv = maps.map_level(view, level)
    today = period_window(Period.TODAY).start
    return _render("map", view, (lv, today), lambda: maps.map_data(session, view, lv))


# --- live stream (SSE) ----------------------------------------------------------------------------------

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 15.0
STREAM_MAX_SECONDS = 600.0  # the browser's EventSource reconnects by itself (retry: below)
RETRY_MS = 3000


def _sse(event: str, data: str, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


def _open_stream(
    factory: sessionmaker[Session], principal: Principal, division_code: str | None
) -> tuple[str, int, str]:
    """Resolve the view and render the first summary."""
    with factory() as session:
        view = resolve_view(session, principal, division_code)
        position = summary.outbox_position(session)
        return view.division.code, position, _summary_json(session, view, position)


def _summary_json(session: Session, view: View, position: int) -> str:
    win = period_window(Period.TODAY)
    out = cached("stream-summary", view, (win.start, position), lambda: summary.summary(session, view, win))
    return json.dumps(out.model_dump(mode="json", by_alias=True), ensure_ascii=False)


def _poll(factory: sessionmaker[Session], principal: Principal, code: str, last: int) -> tuple[int, str | None]:
    """The outbox position now, and the fresh summary when it moved since `last`."""
    with factory() as session:
        position = summary.outbox_position(session)
        if position == last:
            return position, None
        view = resolve_view(session, principal, code)
        return position, _summary_json(session, view, position)


@router.get("/stream", summary="实时推送（Server-Sent Events）：今日总览，有变化即推送")
async def stream(
    request: Request,
    bearer: Annotated[str | None, Depends(oauth2)],
    division_code: DivisionCode = None,
    access_token: Annotated[str | None, Query(description="JWT（EventSource 不能设置请求头）")] = None,
) -> StreamingResponse:
    """Sends `event: summary` (the today summary) at once and again whenever the domain-event outbox moves
    (checked every 2 s), a comment line as heartbeat every 15 s, and ends after 10 minutes (the browser
    reconnects). Authentication: the pages' sign-in cookie (EventSource sends it), the usual bearer header, or
    an `access_token` query parameter."""
    token = access_token or bearer or cookie_token(request)
    if not token:
        raise NotAuthenticated("请先登录", field="access_token")
    principal = await principal_for_token(request, token)
    factory: sessionmaker[Session] = request.app.state.session_factory
    code, position, first = await run_in_threadpool(_open_stream, factory, principal, division_code)

    async def events() -> AsyncIterator[str]:
        nonlocal position
        yield f"retry: {RETRY_MS}\n\n"
        yield _sse("summary", first, position)
        started = last_sent = time.monotonic()
        while time.monotonic() - started < STREAM_MAX_SECONDS:
            await anyio.sleep(POLL_SECONDS)
            if await request.is_disconnected():
                return
            position, payload = await run_in_threadpool(_poll, factory, principal, code, position)
            if payload is not None:
                yield _sse("summary", payload, position)
                last_sent = time.monotonic()
            elif time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/emergency", response_model=list[emergency.MajorCaseOut], summary="进行中的重特大事件（应急视图）")
def get_emergency(session: SessionDep, actor: PrincipalDep, division_code: DivisionCode = None) -> Response:
    view = resolve_view(session, actor, division_code)
    return _render_list(emergency.active_major(session, view))


@router.get("/emergency/{event_id}", response_model=emergency.EmergencyOut, summary="重特大事件应急视图（现场周边）")
def get_emergency_area(
    event_id: int, session: SessionDep, actor: PrincipalDep, division_code: DivisionCode = None
) -> emergency.EmergencyOut:
    view = resolve_view(session, actor, division_code)
    return emergency.emergency_area(session, view, event_id)


def _render_list(items: list[emergency.MajorCaseOut]) -> Response:
    body = b"[" + b",".join(i.model_dump_json().encode() for i in items) + b"]"
    return Response(body, media_type="application/json")
