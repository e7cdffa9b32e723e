"""The intake port: every channel's report becomes a located, categorized case through `submit`.

The pipeline, the same for every channel: check the command → the caller's role for the transitions it asks
for → the idempotency key (a retry answers with the first case) → locate (`locate.locate`: grid code,
position or address text through the address library; a weak match is queued for review) → attachments
uploaded (`attachments.check_attachments`) → category, tier and owner; for auto-dispatch the route and the
clock (`assign`) → written with their history rows, domain events, review rows and tasks by
`case_writer.write_cases`. Many reports of many callers go through at once (`submit_many`): each is checked
on its own, and the whole group is written with a few statements. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.classify import live as classifier
from gridgov.classify.live import Suggestions
from gridgov.common import scope
from gridgov.common.audit import record_audit
from gridgov.common.choices import ClockBasis, Urgency
from gridgov.common.errors import AppError, Forbidden, InvalidInput
from gridgov.common.principal import SYSTEM_PRINCIPAL, Principal, Role
from gridgov.common.security import normalize_phone, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.dispatch.assign import UNCLASSIFIED_LEVEL, category_by_code, clock_for, route_data, route_for
from gridgov.dispatch.attachments import check_attachments, uploaded_hashes
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.case_writer import EVENT_TABLE, NewCase, Planned, write_batch
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.guards import require_tier
from gridgov.dispatch.lifecycle.closing import reopen_event
from gridgov.dispatch.locate import locate
from gridgov.dispatch.models import Channel, SlaState, TaskRole, TaskStatus
from gridgov.dispatch.repeats import Batch, attached, find_repeat, linked
from gridgov.dispatch.rules import Action, Status, check_transition
from gridgov.dispatch.schemas import NoteIn
from gridgov.dispatch.sla import basis_for
from gridgov.dispatch.verification import resolve_for
from gridgov.org import cache

MAX_BATCH = 1000

_SELECT_KEYED = select(
    EVENT_TABLE.c.idem_scope, EVENT_TABLE.c.idempotency_key, EVENT_TABLE.c.id, EVENT_TABLE.c.status
).where(
    EVENT_TABLE.c.idem_scope.in_(bindparam("scopes", expanding=True)),
    EVENT_TABLE.c.idempotency_key.in_(bindparam("keys", expanding=True)),
)


@dataclass(frozen=True)
class IntakeResult:
    event_id: int
    created: bool
    status: str
    new: NewCase | None = None  # with keep_rows, for a case this call created


def submit(session: Session, actor: Principal, command: IntakeCommand, *, now: datetime | None = None) -> IntakeResult:
    """One report. Returns the case (created, or the first one for a retry with the same idempotency key);
    raises the AppError that refuses it."""
    result = submit_many(session, [(actor, command)], now=now)[0]
    if isinstance(result, AppError):
        raise result
    return result


def submit_batch(
    session: Session, actor: Principal, commands: Sequence[IntakeCommand], *, now: datetime | None = None
) -> list[IntakeResult]:
    """A feed's batch (12345 work orders, alarms) from one caller, all or nothing: the first refused item, named
    by its index, refuses the whole batch."""
    results = submit_many(session, [(actor, c) for c in commands], now=now, all_or_nothing=True)
    return [r for r in results if isinstance(r, IntakeResult)]  # all or nothing: a refusal was raised


def submit_many(
    session: Session,
    items: Sequence[tuple[Principal, IntakeCommand]],
    *,
    now: datetime | None = None,
    all_or_nothing: bool = False,
    keep_rows: bool = False,
) -> list[IntakeResult | AppError]:
    """Reports, each with its own caller. Each is checked on its own (role, scope, location, attachments,
    idempotency key within the caller's scope); a refused one is answered with its error and the others are
    written — unless `all_or_nothing`, where the first error (named by its item index) is raised. `keep_rows`:
    created cases carry what was written (NewCase), to answer without reading them back."""
    now = now or utcnow()
    if not items:
        return []
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"每批最多 {MAX_BATCH} 条", field="items")
    existing = _existing_keys(session, items)
    snap = cache.snapshot(session)
    cipher = pii_cipher(settings_of(session).pii_secret) if any(c.reporter_phone for _, c in items) else None
    uploaded = uploaded_hashes(session, (h for _, c in items for h in c.attachments))
    suggested = _suggestions(session, items)
    planned: list[Planned] = []
    planned_suggestions: list[Suggestions | None] = []
    results: list[IntakeResult | AppError | int] = []  # an int is the index into `planned` of a case to write
    seen_keys: dict[tuple[str, str], int] = {}
    batch = Batch()  # a later report of this batch may repeat an earlier one
    for index, (actor, cmd) in enumerate(items):
        key = (actor.idempotency_scope, cmd.idempotency_key) if cmd.idempotency_key else None
        if key is not None and key in existing:
            event_id, status = existing[key]
            results.append(IntakeResult(event_id, False, status))  # a public retry keeps its first token
            continue
        if key is not None and key in seen_keys:
            results.append(seen_keys[key])
            continue
        try:  # the caller's role, not the item, is at fault here: no item index in the message
            _check_role(actor, cmd)
        except AppError as exc:
            if all_or_nothing:
                raise
            results.append(exc)
            continue
        try:
            cmd.check()
            plan = _plan(session, actor, snap, cmd, now, cipher, uploaded, suggested.get(index), (batch, len(planned)))
            planned.append(plan)
            planned_suggestions.append(suggested.get(index))
        except AppError as exc:
            if all_or_nothing:
                exc.field = f"items[{index}].{exc.field}" if exc.field else f"items[{index}]"
                exc.message = f"第 {index + 1} 条：{exc.message}"
                raise
            results.append(exc)
            continue
        results.append(len(planned) - 1)
        if key is not None:
            seen_keys[key] = len(planned) - 1
    written = write_batch(session, planned, now, keep_rows)
    classifier.record(
        session,
        [
            (p.row["id"], _text(p.row["title"], p.row["description"]), p.row["channel"], sug)
            for p, sug in zip(planned, planned_suggestions, strict=True)
            if sug is not None
        ],
        now,
    )
    for p in planned:
        if p.repeat_of is not None and p.repeat_of.reopen:  # the resident says it is not resolved: 重新办理
            note = NoteIn(note=f"上报人再次反映（{p.row['number']}）：{p.row['title']}")
            reopen_event(session, p.actor, p.row["merged_into_id"], note, now)
            attached(session, p.row["merged_into_id"], p.row["id"], p.row["number"], now)
        elif p.repeat_of is not None:
            link = attached if p.repeat_of.open else linked
            link(session, p.row["merged_into_id"] or p.repeat_of.event_id, p.row["id"], p.row["number"], now)
        if p.row.get("public_token_digest"):
            record_audit(session, p.actor, DispatchAudit.PUBLIC_TOKEN, "event", p.row["id"], {})
    out: list[IntakeResult | AppError] = []
    for r in results:
        if isinstance(r, int):
            p = planned[r]
            out.append(IntakeResult(p.row["id"], True, p.row["status"], written[r] if keep_rows else None))
        else:
            out.append(r)
    return out


def _text(title: str, description: str) -> str:
    return f"{title}。{description}" if description else title


def _suggestions(session: Session, items: Sequence[tuple[Principal, IntakeCommand]]) -> dict[int, Suggestions]:
    """The classifier's three best 小类 for each report that arrives without one (in one call for the batch)."""
    wanted = [i for i, (_, c) in enumerate(items) if not c.category_code and not c.self_handle and c.title.strip()]
    if not wanted:
        return {}
    texts = [(_text(items[i][1].title.strip(), items[i][1].description), items[i][1].channel.value) for i in wanted]
    return {i: s for i, s in zip(wanted, classifier.suggest(session, texts), strict=True) if s is not None}


def _existing_keys(
    session: Session, items: Sequence[tuple[Principal, IntakeCommand]]
) -> dict[tuple[str, str], tuple[int, str]]:
    keyed = {(a.idempotency_scope, c.idempotency_key) for a, c in items if c.idempotency_key}
    if not keyed:
        return {}
    rows = session.execute(_SELECT_KEYED, {"scopes": list({s for s, _ in keyed}), "keys": list({k for _, k in keyed})})
    return {(str(r[0]), str(r[1])): (r[2], r[3]) for r in rows if (str(r[0]), str(r[1])) in keyed}


def _check_role(actor: Principal, cmd: IntakeCommand) -> None:
    check_transition(Action.SELF_HANDLE if cmd.self_handle else Action.REPORT, Status.NEW, actor.role)
    if cmd.auto_dispatch:
        check_transition(Action.FILE, Status.REPORTED, actor.role)
        check_transition(Action.DISPATCH, Status.FILED, actor.role)


def _plan(
    session: Session,
    actor: Principal,
    snap: cache.OrgSnapshot,
    cmd: IntakeCommand,
    now: datetime,
    cipher: Any,
    uploaded: set[str],
    suggestion: Suggestions | None = None,
    batch: tuple[Batch, int] | None = None,
) -> Planned:
    category = category_by_code(session, cmd.category_code) if cmd.category_code else None
    if cmd.self_handle and (category is None or not category.self_handle):
        name = category.name if category else ""
        raise Forbidden(f"“{name}”不允许网格员自行处置，请正常上报", field="category_code")
    if cmd.deadline_at is not None and cmd.deadline_at <= now:
        raise InvalidInput("处置期限不能早于现在", field="deadline_at")
    loc = locate(session, actor, cmd)
    if (cmd.self_handle or actor.role == Role.GRID_WORKER) and loc.grid_id not in actor.grid_ids:
        raise Forbidden(f"网格员只能{'处置' if cmd.self_handle else '上报'}本人负责网格内的事件", field="grid_code")
    check_attachments(session, cmd.attachments, uploaded)
    # no 小类 given, the classifier sure enough and the place known: the system files and dispatches it
    by_model = category is None and suggestion is not None and suggestion.auto and loc.grid_id is not None
    if by_model and suggestion is not None:
        category = category_by_code(session, suggestion.best.code)
    level = "grid" if cmd.self_handle else category.default_level if category else UNCLASSIFIED_LEVEL
    urgency = category.urgency if category else Urgency.NORMAL.value
    owner: int | None
    if cmd.self_handle:
        assert loc.grid_id is not None
        grid = snap.divisions[loc.grid_id]
        path, owner, area_class = grid.path, loc.grid_id, grid.area_class
    elif loc.grid_id is not None:
        grid = snap.divisions[loc.grid_id]
        path, owner, area_class = grid.path, snap.ancestor_at(loc.grid_id, level), grid.area_class
    elif cmd.auto_dispatch:
        raise InvalidInput("智能分拨必须能定位到网格（网格代码、经纬度或可匹配的地址）", field="address_text")
    else:  # not placed yet: one centre holds it until the place is confirmed
        owner = unplaced_owner(snap, actor.division_id, loc.named_division)
        path, area_class = snap.divisions[owner].path, "B"
    row: dict[str, Any] = {
        "title": cmd.title.strip(),
        "description": cmd.description,
        "channel": cmd.channel.value,
        "category_id": category.id if category else None,
        "status": Status.REPORTED.value,
        "level": level,
        "grid_id": loc.grid_id,
        "division_path": path,
        "owner_division_id": owner,
        "area_class": area_class,
        "address_text": cmd.address_text,
        "address_id": None,
        "address_confidence": loc.confidence if loc.address_code else None,
        "lon": loc.lon,
        "lat": loc.lat,
        "reporter_id": actor.user_id,
        "idem_scope": actor.idempotency_scope if cmd.idempotency_key else None,
        "idempotency_key": cmd.idempotency_key,
        "origin": cmd.origin,
        "public_token_digest": cmd.followup_token_digest,
        "reported_at": now,
        "updated_at": now,
        "sla_state": SlaState.NORMAL.value,
        "self_handled": False,
        "supervised_count": 0,
        "escalation_count": 0,
        "return_count": 0,
        "reopen_count": 0,
        "ever_overdue": False,
        "merged_into_id": None,
        "closed_at": None,
        "repeat_count": 0,
        "extension_granted_hours": 0.0,
        "verifier": None,
        "urgency": urgency,
        "urgency_reason": None,
        "clock_basis": basis_for(urgency, category.clock_basis if category else ClockBasis.WORKING).value,
        "fixed_deadline_at": cmd.deadline_at,
    }
    if cmd.reporter_phone and cipher is not None:
        row["reporter_phone_enc"] = cipher.encrypt(normalize_phone(cmd.reporter_phone))
        row["reporter_phone_index"] = cipher.blind_index(cmd.reporter_phone)
    plan = Planned(
        actor=actor,
        row=row,
        steps=[(Action.REPORT, "new", "reported", {})],
        review=(cmd.address_text, loc.review) if loc.review is not None else None,
        address_code=loc.address_code,
        attachments=list(cmd.attachments),
    )
    if not cmd.self_handle and cmd.channel != Channel.IOT:  # alarms have their own repeat rule (hazards)
        guess = category or _guessed(session, suggestion)
        plan.repeat_of = find_repeat(
            session,
            text=_text(row["title"], row["description"]),
            address_code=loc.address_code,
            lat=loc.lat,
            lon=loc.lon,
            category_id=guess.id if guess else None,
            now=now,
            grid_id=loc.grid_id,
            batch=batch,
            reporter=(actor.user_id, actor.role == Role.RESIDENT),
        )
        rep = plan.repeat_of
        if rep is not None and (rep.open or rep.reopen):  # 重复诉求: attached to its case (reopened), not a new one
            row.update(status=Status.MERGED.value, merged_into_id=rep.event_id or None, closed_at=now)
            data = {"into": rep.event_id, "into_number": rep.number, "auto": True, "similarity": rep.similarity}
            if rep.reopen:
                data["reopened"] = True
            plan.steps.append((Action.MERGE, "reported", "merged", data))
            plan.step_actors[len(plan.steps) - 1] = SYSTEM_PRINCIPAL
            return plan
        if plan.repeat_of is not None:  # the same problem again after its case closed: a new case, linked
            plan.steps[0][3].update(repeat_of=plan.repeat_of.event_id, repeat_of_number=plan.repeat_of.number)
    if cmd.self_handle:
        _self_handled(plan, cmd, loc.grid_id, now)
        plan.row["verifier"] = resolve_for(
            session, plan.row["category_id"], "grid", loc.grid_id, actor.user_id, actor.user_id
        ).value
    if cmd.auto_dispatch or by_model:
        if category is None:
            raise InvalidInput("智能分拨需要事件小类", field="category_code")
        if actor.role != Role.ADMIN and not by_model:
            if not scope.may_see(actor, path):
                raise Forbidden("该事件不在您的管辖范围内", field="grid_code")
            require_tier(actor, level, field="category_code")
        assert loc.grid_id is not None
        route = route_for(session, loc.grid_id, category, level)
        clock, _basis = clock_for(session, area_class, category, now, urgency, cmd.deadline_at)
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
        auto: dict[str, object] = {"auto": True}
        if by_model and suggestion is not None:  # recorded as done by the system, with the model's confidence
            auto.update(classifier=suggestion.version_id, confidence=suggestion.best.confidence)
            plan.step_actors.update({1: SYSTEM_PRINCIPAL, 2: SYSTEM_PRINCIPAL})
        plan.steps += [
            (Action.FILE, "reported", "filed", {"category": category.code, "level": level, **auto}),
            (Action.DISPATCH, "filed", "dispatched", {**route_data(session, route, category), **auto}),
        ]
        plan.tasks.append(
            {"role": TaskRole.LEAD.value, "department_id": route.lead_department_id, "grid_id": route.lead_grid_id}
        )
        plan.tasks += [
            {"role": TaskRole.CO.value, "department_id": d, "grid_id": None} for d in route.co_department_ids
        ]
    return plan


def _guessed(session: Session, suggestion: Suggestions | None) -> Any:
    """The classifier's best 小类 (below its threshold too): enough to compare with open cases."""
    return catalog_cache.snapshot(session).by_code.get(suggestion.best.code) if suggestion else None


def unplaced_owner(snap: cache.OrgSnapshot, reporter_division: int | None, named_code: str | None) -> int:
    """The one division whose centre holds a report that could not be placed: the most specific division its
    text names — or the reporter's own, when that lies inside it (a community's staff writing "福田区…") — else
    the reporter's division (staff), else the city."""
    named = snap.by_code.get(named_code) if named_code else None
    own = reporter_division if reporter_division in snap.divisions else None
    if named is not None:
        if own is not None and snap.divisions[own].path.startswith(snap.divisions[named].path):
            return own
        return named
    return own if own is not None else snap.root_id


def _self_handled(plan: Planned, cmd: IntakeCommand, grid_id: int | None, now: datetime) -> None:
    """自行处置: created handled, in the worker's own grid, with its result note and its grid task."""
    plan.row.update(
        status=Status.HANDLED.value,
        self_handled=True,
        handled_by_id=plan.actor.user_id,
        handled_at=now,
        result_note=cmd.result_note,
    )
    plan.steps = [(Action.SELF_HANDLE, "new", "handled", {})]
    plan.note = cmd.result_note
    plan.tasks.append(
        {
            "role": TaskRole.LEAD.value,
            "department_id": None,
            "grid_id": grid_id,
            "status": TaskStatus.REPORTED.value,
            "note": cmd.result_note,
            "done_at": now,
        }
    )
