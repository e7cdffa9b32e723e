"""Batch intake: many reports (12345 hotline work orders, IoT alarms) created, and optionally filed and
dispatched at once by the calling dispatcher (智能分拨), in one transaction.

The same rules as the one-at-a-time services apply — the transition table, data scope, locating, routing,
deadlines, one history row and one domain event per transition — but rows are written with bulk inserts,
so a feed of thousands of orders is absorbed in seconds. All or nothing: one bad item (named by its index)
and nothing is written.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.address.models import Address, AddressReview
from gridgov.address.services import review_row
from gridgov.common.audit import DomainEvent
from gridgov.common.errors import AppError, Forbidden, InvalidInput
from gridgov.common.principal import Principal, Role
from gridgov.common.security import normalize_phone, pii_cipher
from gridgov.common.timeutil import to_local, utcnow
from gridgov.db import settings_of
from gridgov.dispatch.history import transition_rows
from gridgov.dispatch.intake import (
    UNCLASSIFIED_LEVEL,
    _check_attachments,
    _locate,
    _root_id,
    category_by_code,
    uploaded_hashes,
)
from gridgov.dispatch.lifecycle import clock_for, require_tier, route_data, route_for
from gridgov.dispatch.models import Event, EventTask, EventTransition, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.rules import Action, Status, check_transition
from gridgov.dispatch.schemas import ReportIn
from gridgov.org import cache

MAX_BATCH = 1000

# Core statements on the tables (not ORM-enabled ones), built once: this is the hot path of every report.
_EVENT, _TRANSITION, _OUTBOX, _TASK, _REVIEW = (
    cast(Table, m.__table__) for m in (Event, EventTransition, DomainEvent, EventTask, AddressReview)
)
_SELECT_KEYED = select(_EVENT.c.idem_scope, _EVENT.c.idempotency_key, _EVENT.c.id, _EVENT.c.status).where(
    _EVENT.c.idem_scope.in_(bindparam("scopes", expanding=True)),
    _EVENT.c.idempotency_key.in_(bindparam("keys", expanding=True)),
)
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)
_INSERT_EVENTS = insert(_EVENT).returning(_EVENT.c.id, sort_by_parameter_order=True)
_SET_NUMBER = update(_EVENT).where(_EVENT.c.id == bindparam("eid")).values(number=bindparam("num"))
_INSERT_REVIEWS = insert(_REVIEW)
_INSERT_TRANSITIONS = insert(_TRANSITION)
_INSERT_TRANSITIONS_RETURNING = insert(_TRANSITION).returning(_TRANSITION.c.id, sort_by_parameter_order=True)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_TASKS = insert(_TASK)


@dataclass(frozen=True)
class NewCase:
    """A case as this call wrote it, for answering without reading it back: the event row and its history rows
    as attribute views (read like the ORM objects: ``event.status``, ``history[0].action``), and its
    standard address (code, full name) when it has one."""

    event: SimpleNamespace
    history: list[SimpleNamespace]
    address: tuple[str, str] | None


@dataclass(frozen=True)
class BatchResult:
    event_id: int
    created: bool
    status: str
    new: NewCase | None = None  # with keep_rows, for a case this call created


def intake_batch(
    session: Session,
    actor: Principal,
    items: Sequence[ReportIn],
    *,
    auto_dispatch: bool = False,
    now: datetime | None = None,
    single: bool = False,
    self_handle: bool = False,
) -> list[BatchResult]:
    """Reports of one caller, all or nothing. `single`: one report from the one-at-a-time API; errors then
    name the field without the item index."""
    results = intake_reports(
        session,
        [(actor, data) for data in items],
        auto_dispatch=auto_dispatch,
        now=now,
        all_or_nothing=not single,
        self_handle=self_handle,
    )
    out: list[BatchResult] = []
    for r in results:
        if isinstance(r, AppError):
            raise r
        out.append(r)
    return out


def intake_reports(
    session: Session,
    items: Sequence[tuple[Principal, ReportIn]],
    *,
    auto_dispatch: bool = False,
    now: datetime | None = None,
    all_or_nothing: bool = False,
    keep_rows: bool = False,
    self_handle: bool = False,
    _race_retry: bool = True,
) -> list[BatchResult | AppError]:
    """Reports, each with its own caller, written in one transaction. Each is checked on its own (role, scope,
    location, attachments, idempotency key within the caller's scope); a refused one is answered with its
    error and the others are written — unless `all_or_nothing`, where the first error (named by its item
    index) is raised and nothing is written. `keep_rows`: created cases carry what was written (NewCase).
    `self_handle`: the grid workers' 自行处置 — each case is created handled, in the worker's own grid, with
    its result note (category and note checked by the caller), for someone else to verify."""
    now = now or utcnow()
    if not items:
        return []
    if keep_rows and (auto_dispatch or self_handle):
        raise ValueError("keep_rows answers plain reports only (these cases also have tasks)")
    if auto_dispatch and self_handle:
        raise ValueError("a self-handled case is not dispatched")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"每批最多 {MAX_BATCH} 条", field="items")
    keyed = {(a.idempotency_scope, d.idempotency_key) for a, d in items if d.idempotency_key}
    existing: dict[tuple[str, str], tuple[int, str]] = {}
    if keyed:
        existing = {
            (str(r[0]), str(r[1])): (r[2], r[3])
            for r in session.execute(
                _SELECT_KEYED, {"scopes": list({s for s, _ in keyed}), "keys": list({k for _, k in keyed})}
            )
            if (str(r[0]), str(r[1])) in keyed
        }
    snap = cache.snapshot(session)
    cipher = pii_cipher(settings_of(session).pii_secret) if any(d.reporter_phone for _, d in items) else None
    uploaded = uploaded_hashes(session, (h for _, d in items for h in d.attachments))
    rows: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []  # per new row: its transitions and tasks, filled once ids are known
    results: list[BatchResult | AppError | int] = []  # an int is the index into rows of a row still to insert
    seen_keys: dict[tuple[str, str], int] = {}
    address_codes: set[str] = set()
    for index, (actor, data) in enumerate(items):
        key = (actor.idempotency_scope, data.idempotency_key) if data.idempotency_key else None
        if key is not None and key in existing:
            event_id, status = existing[key]
            results.append(BatchResult(event_id, False, status))
            continue
        if key is not None and key in seen_keys:
            results.append(seen_keys[key])
            continue
        try:  # the caller's role, not the item, is at fault here: no item index in the message
            check_transition(Action.SELF_HANDLE if self_handle else Action.REPORT, Status.NEW, actor.role)
            if auto_dispatch:
                check_transition(Action.FILE, Status.REPORTED, actor.role)
                check_transition(Action.DISPATCH, Status.FILED, actor.role)
        except AppError as exc:
            if all_or_nothing:
                raise
            results.append(exc)
            continue
        try:
            row, plan = _plan(session, actor, snap, data, auto_dispatch, self_handle, now, cipher, uploaded)
        except AppError as exc:
            if all_or_nothing:
                exc.field = f"items[{index}].{exc.field}" if exc.field else f"items[{index}]"
                exc.message = f"第 {index + 1} 条：{exc.message}"
                raise
            results.append(exc)
            continue
        if plan["address_code"]:
            address_codes.add(plan["address_code"])
        rows.append(row)
        plans.append(plan)
        results.append(len(rows) - 1)
        if key is not None:
            seen_keys[key] = len(rows) - 1
    new_cases: list[NewCase | None] = [None] * len(rows)
    if rows:
        try:
            written = _write(session, rows, plans, address_codes, now, keep_rows)
            session.commit()
        except IntegrityError:
            # another request with the same idempotency key won the race: answer with what it created (once:
            # a second violation is not that race)
            session.rollback()
            if not keyed or not _race_retry:
                raise
            return intake_reports(
                session,
                items,
                auto_dispatch=auto_dispatch,
                now=now,
                all_or_nothing=all_or_nothing,
                keep_rows=keep_rows,
                self_handle=self_handle,
                _race_retry=False,
            )
        if keep_rows:
            new_cases = list(written)
    else:
        session.commit()
    out: list[BatchResult | AppError] = []
    for r in results:
        if isinstance(r, int):
            out.append(BatchResult(rows[r]["id"], True, rows[r]["status"], new_cases[r]))
        else:
            out.append(r)
    return out


def _plan(
    session: Session,
    actor: Principal,
    snap: cache.OrgSnapshot,
    data: ReportIn,
    auto_dispatch: bool,
    self_handle: bool,
    now: datetime,
    cipher: Any,
    uploaded: set[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    category = category_by_code(session, data.category_code) if data.category_code else None
    if self_handle and (category is None or not category.self_handle):
        name = category.name if category else ""
        raise Forbidden(f"“{name}”不允许网格员自行处置，请正常上报", field="category_code")
    loc = _locate(session, actor, data)
    if (self_handle or actor.role == Role.GRID_WORKER) and loc.grid_id not in actor.grid_ids:
        raise Forbidden(f"网格员只能{'处置' if self_handle else '上报'}本人负责网格内的事件", field="grid_code")
    _check_attachments(session, data.attachments, uploaded)
    level = "grid" if self_handle else category.default_level if category else UNCLASSIFIED_LEVEL
    owner: int | None
    if self_handle:
        assert loc.grid_id is not None
        grid = snap.divisions[loc.grid_id]
        path, owner, area_class = grid.path, loc.grid_id, grid.area_class
    elif loc.grid_id is not None:
        grid = snap.divisions[loc.grid_id]
        path, owner, area_class = grid.path, snap.ancestor_at(loc.grid_id, level), grid.area_class
    elif auto_dispatch:
        raise InvalidInput("智能分拨必须能定位到网格（网格代码、经纬度或可匹配的地址）", field="address_text")
    else:  # not placed yet: visible to the reporter's centre (or the city's) until the address is confirmed
        root = actor.division_id if actor.division_id in snap.divisions else _root_id(snap)
        path, owner, area_class = snap.divisions[root].path, root, "B"
    row: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "channel": data.channel.value,
        "category_id": category.id if category else None,
        "status": Status.REPORTED.value,
        "level": level,
        "grid_id": loc.grid_id,
        "division_path": path,
        "owner_division_id": owner,
        "area_class": area_class,
        "address_text": data.address_text,
        "address_id": None,
        "address_confidence": loc.confidence if loc.address_code else None,
        "lon": loc.lon,
        "lat": loc.lat,
        "reporter_id": actor.user_id,
        "idem_scope": actor.idempotency_scope if data.idempotency_key else None,
        "idempotency_key": data.idempotency_key,
        "reported_at": now,
        "updated_at": now,
        "sla_state": SlaState.NORMAL.value,
        "self_handled": False,
        "supervised_count": 0,
        "escalation_count": 0,
        "return_count": 0,
        "reopen_count": 0,
        "ever_overdue": False,
        "extension_granted_hours": 0.0,
    }
    if data.reporter_phone and cipher is not None:
        row["reporter_phone_enc"] = cipher.encrypt(normalize_phone(data.reporter_phone))
        row["reporter_phone_index"] = cipher.blind_index(data.reporter_phone)
    steps: list[tuple[Action, str, str, dict[str, Any]]] = [(Action.REPORT, "new", "reported", {})]
    tasks: list[dict[str, Any]] = []
    if self_handle:
        row.update(
            status=Status.HANDLED.value,
            self_handled=True,
            handled_by_id=actor.user_id,
            handled_at=now,
            result_note=data.result_note,
        )
        steps = [(Action.SELF_HANDLE, "new", "handled", {})]
        tasks.append(
            {
                "role": TaskRole.LEAD.value,
                "department_id": None,
                "grid_id": loc.grid_id,
                "status": TaskStatus.REPORTED.value,
                "note": data.result_note,
                "done_at": now,
            }
        )
    if auto_dispatch:
        if category is None:
            raise InvalidInput("智能分拨需要事件小类", field="category_code")
        if actor.role != Role.ADMIN:
            if not (actor.division_path and path.startswith(actor.division_path)):
                raise Forbidden("该事件不在您的管辖范围内", field="grid_code")
            require_tier(actor, level, field="category_code")
        assert loc.grid_id is not None
        route = route_for(session, loc.grid_id, category, level)
        clock = clock_for(session, area_class, category, now)
        row.update(
            status=Status.DISPATCHED.value,
            level=route.level,
            owner_division_id=route.owner_division_id,
            filed_at=now,
            dispatched_at=now,
            clock_started_at=clock.started_at,
            warn_at=clock.warn_at,
            deadline_at=clock.deadline_at,
            first_deadline_at=clock.deadline_at,
        )
        steps += [
            (Action.FILE, "reported", "filed", {"category": category.code, "level": level, "auto": True}),
            (Action.DISPATCH, "filed", "dispatched", {**route_data(session, route, category), "auto": True}),
        ]
        tasks.append(
            {"role": TaskRole.LEAD.value, "department_id": route.lead_department_id, "grid_id": route.lead_grid_id}
        )
        tasks += [{"role": TaskRole.CO.value, "department_id": d, "grid_id": None} for d in route.co_department_ids]
    return row, {
        "actor": actor,
        "review": (data.address_text, loc.review) if loc.review is not None else None,
        "steps": steps,
        "note": data.result_note if self_handle else None,
        "tasks": tasks,
        "address_code": loc.address_code,
        "attachments": list(data.attachments),
    }


def _write(
    session: Session,
    rows: list[dict[str, Any]],
    plans: list[dict[str, Any]],
    address_codes: set[str],
    now: datetime,
    keep_rows: bool = False,
) -> list[NewCase]:
    names: dict[str, str] = {}
    if address_codes:
        ids: dict[str, int] = {}
        for code, address_id, full_name in session.execute(
            select(Address.code, Address.id, Address.full_name).where(Address.code.in_(address_codes))
        ):
            ids[code], names[code] = address_id, full_name
        for row, plan in zip(rows, plans, strict=True):
            if plan["address_code"]:
                row["address_id"] = ids.get(plan["address_code"])
    # Core statements on the session's connection: the session's ORM execution layer has nothing to add to them.
    conn = session.connection()
    if len(rows) == 1:
        new_ids = [conn.execute(_INSERT_EVENT, rows[0]).scalar_one()]
    else:
        new_ids = list(conn.scalars(_INSERT_EVENTS, rows))
    day = f"{to_local(now):%Y%m%d}"
    numbers = []
    transitions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for row, plan, event_id in zip(rows, plans, new_ids, strict=True):
        row["id"], row["number"] = event_id, f"{day}{event_id:08d}"
        numbers.append({"eid": event_id, "num": row["number"]})
        actor: Principal = plan["actor"]
        for i, (action, before, after, data) in enumerate(plan["steps"]):
            step, outbox = transition_rows(
                event_id,
                action,
                before,
                after,
                actor.user_id,
                actor.role.value,
                now,
                note=plan["note"] if i == 0 else None,
                attachments=plan["attachments"] if i == 0 else None,
                data=data,
            )
            transitions.append(step)
            events.append(outbox)
        tasks += [
            {
                "status": TaskStatus.PENDING.value,
                "note": None,
                "done_at": None,
                **t,
                "event_id": event_id,
                "created_at": now,
            }
            for t in plan["tasks"]
        ]
    conn.execute(_SET_NUMBER, numbers)
    reviews = [
        review_row(*plan["review"], source="event", source_id=row["id"], division_path=row["division_path"])
        for row, plan in zip(rows, plans, strict=True)
        if plan["review"] is not None
    ]
    if reviews:
        conn.execute(_INSERT_REVIEWS, reviews)
    if keep_rows:
        transition_ids = list(conn.scalars(_INSERT_TRANSITIONS_RETURNING, transitions))
    else:
        conn.execute(_INSERT_TRANSITIONS, transitions)
    conn.execute(_INSERT_OUTBOX, events)
    if tasks:
        conn.execute(_INSERT_TASKS, tasks)
    if not keep_rows:
        return []
    # What was written, as plain attribute views of the rows (the columns not written are None): the answer
    # to the caller, without reading the rows back or building ORM objects.
    blank = dict.fromkeys(_EVENT.c.keys())
    cases: list[NewCase] = []
    steps = iter(zip(transitions, transition_ids, strict=True))
    for row, plan in zip(rows, plans, strict=True):
        history = [SimpleNamespace(**t, id=tid) for t, tid in itertools.islice(steps, len(plan["steps"]))]
        code = plan["address_code"]
        address = (code, names[code]) if code and row["address_id"] is not None and code in names else None
        cases.append(NewCase(SimpleNamespace(**(blank | row), tasks=[]), history, address))
    return cases
