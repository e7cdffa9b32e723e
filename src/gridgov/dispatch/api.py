"""HTTP entry points of the dispatch loop: thin — parse, call one service, render."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.cache import CategoryInfo
from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.principal import Principal
from gridgov.common.security import mask_phone, pii_cipher
from gridgov.common.uow import UnitOfWork, atomic_retrying_a_race
from gridgov.db import settings_of
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.attachments import attachment_visible, path_for, store_attachment
from gridgov.dispatch.case_writer import NewCase
from gridgov.dispatch.duplicates import find_duplicates
from gridgov.dispatch.images import download_headers
from gridgov.dispatch.intake import MAX_BATCH, IntakeResult, submit, submit_batch
from gridgov.dispatch.locate import place_notice
from gridgov.dispatch.models import Attachment, Event
from gridgov.dispatch.public_view import PublicStep, public_steps, sees_public_view
from gridgov.dispatch.queues import (
    EventFilter,
    Page,
    address_labels,
    history,
    list_events,
    merged_duplicates,
    my_queue,
)
from gridgov.dispatch.report_writer import Render, ReportWriter
from gridgov.dispatch.reporter_phone import FreeText, reveal_free_text, reveal_phone
from gridgov.dispatch.rules import Action, Status, allowed_actions
from gridgov.dispatch.schemas import (
    CategoryIn,
    DispatchIn,
    EventDetailOut,
    EventOut,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    LocateIn,
    MergeIn,
    NoteIn,
    PageOut,
    PointIn,
    QueueOut,
    RateIn,
    ReportIn,
    ResultIn,
    SummonIn,
    SummonsStepIn,
    TaskOut,
    TransitionOut,
    UrgencyIn,
    VerifyIn,
)
from gridgov.dispatch.scope import load_visible
from gridgov.dispatch.summons_view import summons_of, task_people
from gridgov.dispatch.verification import case_allows
from gridgov.org import cache
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["events"])


@dataclass(frozen=True)
class ActionRoute:
    """One lifecycle action as an HTTP route: its service and the shape of its body."""

    service: Callable[[Session, Principal, int, Any], Event]
    body: type[BaseModel]
    label: str


ACTIONS: dict[str, ActionRoute] = {
    "file": ActionRoute(lc.file_event, CategoryIn, "立案"),
    "reject": ActionRoute(lc.reject_event, NoteIn, "不立案"),
    "dispatch": ActionRoute(lc.dispatch_event, DispatchIn, "派遣"),
    "accept": ActionRoute(lc.accept_event, NoteIn, "签收"),
    "return": ActionRoute(lc.return_event, NoteIn, "退回"),
    "request_extension": ActionRoute(lc.request_extension, ExtensionRequestIn, "申请延期"),
    "approve_extension": ActionRoute(lc.approve_extension, ExtensionDecisionIn, "批准延期"),
    "deny_extension": ActionRoute(lc.deny_extension, ExtensionDecisionIn, "驳回延期"),
    "hold": ActionRoute(lc.hold_event, NoteIn, "挂账"),
    "resume": ActionRoute(lc.resume_event, NoteIn, "解除挂账"),
    "co_report": ActionRoute(lc.co_report, ResultIn, "协办反馈"),
    "handle": ActionRoute(lc.handle_event, ResultIn, "处置完成"),
    "verify": ActionRoute(lc.verify_event, VerifyIn, "复核"),
    "rate": ActionRoute(lc.rate_event, RateIn, "评价"),
    "reopen": ActionRoute(lc.reopen_event, NoteIn, "重新办理"),
    "supervise": ActionRoute(lc.supervise_event, NoteIn, "督办"),
    "escalate": ActionRoute(lc.escalate_event, NoteIn, "上报上级"),
    "locate": ActionRoute(lc.locate_event, LocateIn, "确认地址"),
    "merge": ActionRoute(lc.merge_event, MergeIn, "合并重复件"),
    "split": ActionRoute(lc.split_event, NoteIn, "拆分重复件"),
    "place": ActionRoute(lc.place_event, PointIn, "补充位置"),
    "set_urgency": ActionRoute(lc.set_urgency, UrgencyIn, "调整紧急程度"),
    "summon": ActionRoute(lc.summon_departments, SummonIn, "吹哨"),
    "report_in": ActionRoute(lc.report_in, SummonsStepIn, "报到"),
    "summons_result": ActionRoute(lc.report_summons_result, SummonsStepIn, "报到反馈"),
    "withdraw_summons": ActionRoute(lc.withdraw_summons, SummonsStepIn, "撤回吹哨"),
}


def to_out(session: Session, events: Sequence[Event]) -> list[EventOut]:
    cats = catalog_cache.snapshot(session).by_id if events else {}
    snap = cache.snapshot(session) if events else None
    addresses = address_labels(session, {e.address_id for e in events if e.address_id is not None})
    return [_named(EventOut.model_validate(e), e, cats, snap, addresses) for e in events]


OutT = TypeVar("OutT", bound=EventOut)


def _named(
    item: OutT,
    e: Event | SimpleNamespace,
    cats: Mapping[int, CategoryInfo],
    snap: cache.OrgSnapshot | None,
    addresses: Mapping[int, tuple[str, str]],
) -> OutT:
    """Codes, names and labels of what an event row refers to by id."""
    if e.category_id is not None and e.category_id in cats:
        item.category_code, item.category_name = cats[e.category_id].code, cats[e.category_id].name
    if snap is not None and e.grid_id is not None and e.grid_id in snap.divisions:
        item.grid_code = snap.divisions[e.grid_id].code
    item.status_label = Status(e.status).label
    if e.address_id is not None and e.address_id in addresses:
        item.address_code, item.address_full_name = addresses[e.address_id]
    if snap is not None:
        item.place_needed, item.place_note = place_notice(snap, e.grid_id, e.status, e.owner_division_id)
    return item


def _page_out(session: Session, page: Page) -> PageOut:
    return PageOut(items=to_out(session, page.items), next_cursor=page.next_cursor, total=page.total)


def detail(
    session: Session, actor: Principal, event: Event | SimpleNamespace, new: NewCase | None = None
) -> EventDetailOut:
    """The case with its tasks, history and merged duplicates. `new`: a case just written by this request,
    answered from what was written (no tasks, no duplicates yet) instead of reading it back."""
    if new is not None:
        addresses = {event.address_id: new.address} if event.address_id is not None and new.address else {}
    else:
        addresses = address_labels(session, {event.address_id} if event.address_id is not None else set())
    snap = cache.snapshot(session)
    out = _named(EventDetailOut.model_validate(event), event, catalog_cache.snapshot(session).by_id, snap, addresses)
    if event.reporter_phone_enc:
        out.reporter_phone = mask_phone(pii_cipher(settings_of(session).pii_secret).decrypt(event.reporter_phone_enc))
    steps = new.history if new is not None else history(session, event.id)
    if sees_public_view(actor):  # a resident sees his case as the anonymous follow-up shows it
        out.history, out.tasks = [_public_step(p) for p in public_steps(steps)], []
    else:
        dept_ids = [t.department_id for t in event.tasks if t.department_id]
        names = snap.dept_names if dept_ids else {}
        out.tasks = [TaskOut.model_validate(t) for t in event.tasks]
        for task in out.tasks:
            task.department_name = names.get(task.department_id or 0)
        if new is None:
            task_people(session, out.tasks)
            out.summons = summons_of(session, event.id, actor)
        out.history = [TransitionOut.model_validate(h) for h in steps]
        for step in out.history:
            step.action_label = Action(step.action).label
    out.allowed_actions = [
        a.value for a in allowed_actions(Status(event.status), actor.role) if case_allows(actor, cast(Event, event), a)
    ]
    if new is not None:
        return out
    out.duplicates_merged = merged_duplicates(session, actor, event.id)
    return out


def _public_step(p: PublicStep) -> TransitionOut:
    return TransitionOut(
        id=p.id,
        action=p.action,
        action_label=p.label,
        from_status=p.from_status,
        to_status=p.to_status,
        actor_id=None,
        actor_role="",
        note=p.note,
        attachments=p.photos,
        data={},
        at=p.at,
    )


def _render_report(actor: Principal) -> Render[tuple[int, bytes]]:
    def render(session: Session, result: IntakeResult) -> tuple[int, bytes]:
        if result.new is not None:
            return 201, detail(session, actor, result.new.event, result.new).model_dump_json().encode()
        event = session.get(Event, result.event_id)  # a retry with the same idempotency key: the first case
        assert event is not None
        return 200, detail(session, actor, event).model_dump_json().encode()

    return render


@router.post(
    "/events",
    response_model=EventDetailOut,
    status_code=201,
    summary="上报事件",
    responses={200: {"description": "同一幂等键的重复提交：返回首次创建的事件", "model": EventDetailOut}},
)
async def create_event(
    body: ReportIn,
    request: Request,
    actor: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=128)] = None,
) -> Response:
    if idempotency_key and not body.idempotency_key:
        body = body.model_copy(update={"idempotency_key": idempotency_key})
    writer: ReportWriter = request.app.state.report_writer
    status, payload = await writer.report(actor, body.to_command(), _render_report(actor))
    return Response(payload, status_code=status, media_type="application/json")


class BatchIn(BaseModel):
    items: list[ReportIn] = Field(min_length=1, max_length=MAX_BATCH)
    auto_dispatch: bool = Field(default=False, description="有小类的事件由调用者直接立案并派遣（智能分拨）")


class BatchItemOut(BaseModel):
    id: int
    created: bool
    status: str


@router.post("/events/batch", response_model=list[BatchItemOut], summary="批量上报（12345 工单、物联感知告警）")
def create_events_batch(body: BatchIn, session: SessionDep, actor: PrincipalDep) -> list[BatchItemOut]:
    commands = [item.to_command(auto_dispatch=body.auto_dispatch) for item in body.items]
    results = atomic_retrying_a_race(session, lambda: submit_batch(session, actor, commands))
    return [BatchItemOut(id=r.event_id, created=r.created, status=r.status) for r in results]


@router.post("/events/self-handle", response_model=EventDetailOut, status_code=201, summary="网格员自行处置")
def create_self_handled(body: ReportIn, session: SessionDep, actor: PrincipalDep, response: Response) -> EventDetailOut:
    result = atomic_retrying_a_race(session, lambda: submit(session, actor, body.to_command(self_handle=True)))
    if not result.created:
        response.status_code = 200
    return detail(session, actor, load_visible(session, actor, result.event_id))


@router.get("/events", response_model=PageOut, summary="事件列表（按权限范围）")
def get_events(
    session: SessionDep,
    actor: PrincipalDep,
    settings: SettingsDep,
    status: Annotated[list[Status] | None, Query()] = None,
    category_code: str | None = None,
    channel: str | None = None,
    grid_code: str | None = None,
    division_code: str | None = None,
    sla_state: str | None = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    q: str | None = None,
    near_lon: Annotated[float | None, Query(ge=-180, le=180, description="附近：经度（WGS-84）")] = None,
    near_lat: Annotated[float | None, Query(ge=-90, le=90, description="附近：纬度（WGS-84）")] = None,
    near_m: Annotated[float, Query(gt=0, le=5000, description="附近：半径（米，方框）")] = 500,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    with_total: bool = False,
) -> PageOut:
    snap = cache.snapshot(session)
    flt = EventFilter(
        status=[s.value for s in status or []],
        channel=channel,
        sla_state=sla_state,
        reported_from=reported_from,
        reported_to=reported_to,
        q=q,
        near=(near_lon, near_lat, near_m) if near_lon is not None and near_lat is not None else None,
    )
    if category_code:
        found = catalog_cache.snapshot(session).by_code.get(category_code)
        cat_id = found.id if found else None
        if cat_id is None:
            raise InvalidInput(f"事件小类“{category_code}”不存在", field="category_code")
        flt.category_id = cat_id
    if grid_code:
        if grid_code not in snap.by_code:
            raise InvalidInput(f"网格代码“{grid_code}”不存在", field="grid_code")
        flt.grid_id = snap.by_code[grid_code]
    if division_code:
        if division_code not in snap.by_code:
            raise InvalidInput(f"区划代码“{division_code}”不存在", field="division_code")
        flt.division_path = snap.divisions[snap.by_code[division_code]].path
    page = list_events(session, actor, flt, min(limit, settings.page_size_max), cursor, with_total)
    return _page_out(session, page)


@router.get("/events/{event_id}", response_model=EventDetailOut, summary="事件详情与办理记录")
def get_event(
    event_id: int,
    session: SessionDep,
    actor: PrincipalDep,
    reveal_pii: Annotated[bool, Query(description="显示描述、备注中完整的手机号、身份证号（需权限，留痕）")] = False,
) -> EventDetailOut:
    out = detail(session, actor, load_visible(session, actor, event_id))
    if reveal_pii:
        with UnitOfWork(session):
            _unmasked(out, reveal_free_text(session, actor, event_id))
    return out


def _unmasked(out: EventDetailOut, found: FreeText) -> None:
    for name, value in found.event.items():
        setattr(out, name, value)
    for step in out.history:
        step.note = found.steps.get(step.id, step.note)
    for task in out.tasks:
        task.note = found.tasks.get(task.id, task.note)


class DuplicateOut(BaseModel):
    event: EventOut
    distance_m: float | None
    similarity: float
    score: float


@router.get("/events/{event_id}/duplicates", response_model=list[DuplicateOut], summary="疑似重复件")
def get_duplicates(event_id: int, session: SessionDep, actor: PrincipalDep) -> list[DuplicateOut]:
    event = load_visible(session, actor, event_id)
    found = find_duplicates(session, actor, event)
    outs = to_out(session, [d.event for d in found])
    return [
        DuplicateOut(event=o, distance_m=d.distance_m, similarity=d.similarity, score=d.score)
        for o, d in zip(outs, found, strict=True)
    ]


@router.get("/events/{event_id}/reporter-phone", summary="查看上报人完整手机号（留痕）")
def reveal_reporter_phone(event_id: int, session: SessionDep, actor: PrincipalDep) -> dict[str, str]:
    with UnitOfWork(session):
        phone = reveal_phone(session, actor, event_id)
    return {"phone": phone}


def _action_endpoint(route: ActionRoute) -> Callable[..., EventDetailOut]:
    def endpoint(event_id: int, body: BaseModel, session: Session, actor: Principal) -> EventDetailOut:
        with UnitOfWork(session):
            event = route.service(session, actor, event_id, body)
        return detail(session, actor, event)

    params = [
        inspect.Parameter("event_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=int),
        inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=route.body),
        inspect.Parameter("session", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=SessionDep),
        inspect.Parameter("actor", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PrincipalDep),
    ]
    endpoint.__signature__ = inspect.Signature(params, return_annotation=EventDetailOut)  # type: ignore[attr-defined]
    return endpoint


for _name, _route in ACTIONS.items():
    router.add_api_route(
        f"/events/{{event_id}}/actions/{_name}",
        _action_endpoint(_route),
        methods=["POST"],
        response_model=EventDetailOut,
        summary=f"办理：{_route.label}",
        name=f"act_{_name}",
    )


@router.post("/events/{event_id}/actions/{action}", include_in_schema=False)
def unknown_action(event_id: int, action: str) -> None:
    raise InvalidInput(f"未知的办理动作“{action[:40]}”", field="action", allowed=sorted(ACTIONS))


@router.get("/me/queue", response_model=QueueOut, summary="我的待办")
def get_queue(session: SessionDep, actor: PrincipalDep, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> QueueOut:
    return QueueOut(queues={k: _page_out(session, v) for k, v in my_queue(session, actor, limit).items()})


@router.post("/attachments", status_code=201, summary="上传照片或附件")
async def upload(
    session: SessionDep,
    actor: PrincipalDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> dict[str, str | int]:
    data = await file.read(settings.max_upload_bytes + 1)
    with UnitOfWork(session):
        row = store_attachment(session, actor, data, settings.attachments_dir, settings.max_upload_bytes)
    return {"sha256": row.sha256, "content_type": row.content_type, "size": row.size}


@router.get("/attachments/{sha256}", summary="下载附件（仅限本人上传或有权查看的事件中的附件）")
def download(sha256: str, session: SessionDep, actor: PrincipalDep, settings: SettingsDep) -> FileResponse:
    row = session.get(Attachment, sha256)
    if row is None or not attachment_visible(session, actor, row):
        raise NotFound("附件不存在或无权查看", field="sha256")
    headers = download_headers(sha256, row.content_type)
    return FileResponse(path_for(settings.attachments_dir, sha256), media_type=row.content_type, headers=headers)
