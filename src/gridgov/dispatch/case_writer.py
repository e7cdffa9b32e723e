"""The intake port's writer: planned cases written with a few Core statements built once — the cases, their
numbers, their address-review rows, their history rows, their tasks — and their domain events published on
the bus. This is the hot path of every report; it adds to the caller's transaction and never commits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gridgov.address.matcher import MatchResult
from gridgov.address.models import Address, AddressReview
from gridgov.address.reviews import review_row
from gridgov.common.choices import Urgency
from gridgov.common.events import bus
from gridgov.common.pii_store import protect_row
from gridgov.common.principal import Principal
from gridgov.common.security import pii_cipher
from gridgov.common.timeutil import to_local
from gridgov.db import settings_of
from gridgov.dispatch.history import major_flagged_row, transition_rows
from gridgov.dispatch.models import Event, EventTask, EventTransition, TaskStatus
from gridgov.dispatch.rules import Action

# Core statements on the tables (not ORM-enabled ones), built once.
EVENT_TABLE, _TRANSITION, _TASK, _REVIEW = (
    cast(Table, m.__table__) for m in (Event, EventTransition, EventTask, AddressReview)
)
_INSERT_EVENT = insert(EVENT_TABLE).returning(EVENT_TABLE.c.id)
_INSERT_EVENTS = insert(EVENT_TABLE).returning(EVENT_TABLE.c.id, sort_by_parameter_order=True)
_SET_NUMBER = update(EVENT_TABLE).where(EVENT_TABLE.c.id == bindparam("eid")).values(number=bindparam("num"))
_INSERT_REVIEWS = insert(_REVIEW)
_INSERT_TRANSITIONS = insert(_TRANSITION)
_INSERT_TRANSITIONS_RETURNING = insert(_TRANSITION).returning(_TRANSITION.c.id, sort_by_parameter_order=True)
_INSERT_TASKS = insert(_TASK)
_INSERT_TASKS_RETURNING = insert(_TASK).returning(_TASK.c.id, sort_by_parameter_order=True)


@dataclass
class Planned:
    """One case as the port planned it: its event row (column values), the steps to record, the tasks to
    create, the weak address match to queue for review, its standard address and the first step's photos."""

    actor: Principal
    row: dict[str, Any]
    steps: list[tuple[Action, str, str, dict[str, Any]]]
    review: tuple[str, MatchResult] | None = None
    address_code: str | None = None
    attachments: list[str] = field(default_factory=list)
    note: str | None = None  # the first step's note (a self-handled case's result)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    step_actors: dict[int, Principal] = field(default_factory=dict)  # steps another actor took (the system's)
    repeat_of: Any = None  # the case this report repeats (repeats.Repeat), found at intake


@dataclass(frozen=True)
class NewCase:
    """A case as this call wrote it, for answering without reading it back: the event row, its history rows
    and its tasks as attribute views (read like the ORM objects: ``event.status``, ``history[0].action``), and
    its standard address (code, full name) when it has one."""

    event: SimpleNamespace
    history: list[SimpleNamespace]
    address: tuple[str, str] | None


def write_cases(session: Session, planned: list[Planned], now: datetime, keep_rows: bool = False) -> list[NewCase]:
    """Insert the planned cases (setting each row's "id" and "number"); with `keep_rows`, what was written."""
    rows = [p.row for p in planned]
    cipher = pii_cipher(settings_of(session).pii_secret)
    for row in rows:
        protect_row(cipher, Event, row)
    names = _address_ids(session, planned)
    conn = session.connection()  # Core on the session's connection: the ORM layer has nothing to add here
    if len(rows) == 1:
        new_ids = [conn.execute(_INSERT_EVENT, rows[0]).scalar_one()]
    else:
        new_ids = list(conn.scalars(_INSERT_EVENTS, rows))
    day = f"{to_local(now):%Y%m%d}"
    numbers = []
    transitions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    for p, event_id in zip(planned, new_ids, strict=True):
        p.row["id"], p.row["number"] = event_id, f"{day}{event_id:08d}"
        numbers.append({"eid": event_id, "num": p.row["number"]})
        for i, (action, before, after, data) in enumerate(p.steps):
            who = p.step_actors.get(i, p.actor)
            step, outbox = transition_rows(
                event_id,
                action,
                before,
                after,
                who.user_id,
                who.role.value,
                now,
                note=p.note if i == 0 else None,
                attachments=p.attachments if i == 0 else None,
                data=data,
            )
            protect_row(cipher, EventTransition, step)
            transitions.append(step)
            events.append(outbox)
        if p.row.get("urgency") == Urgency.MAJOR.value:
            events.append(major_flagged_row(event_id, p.row["number"], p.row["title"], now, p.actor.user_id))
        tasks += [
            {
                "status": TaskStatus.PENDING.value,
                "note": None,
                "done_at": None,
                **t,
                "event_id": event_id,
                "created_at": now,
            }
            for t in p.tasks
        ]
    conn.execute(_SET_NUMBER, numbers)
    reviews = [
        review_row(*p.review, source="event", source_id=p.row["id"], division_path=p.row["division_path"])
        for p in planned
        if p.review is not None
    ]
    if reviews:
        conn.execute(_INSERT_REVIEWS, reviews)
    if not keep_rows:
        conn.execute(_INSERT_TRANSITIONS, transitions)
        if tasks:
            conn.execute(_INSERT_TASKS, tasks)
        bus.publish_rows(session, events)
        return []
    transition_ids = list(conn.scalars(_INSERT_TRANSITIONS_RETURNING, transitions))
    task_ids = list(conn.scalars(_INSERT_TASKS_RETURNING, tasks)) if tasks else []
    bus.publish_rows(session, events)
    return _written(planned, transitions, transition_ids, tasks, task_ids, names)


def write_batch(session: Session, planned: list[Planned], now: datetime, keep_rows: bool) -> list[NewCase]:
    """Write the planned cases of one intake call (an empty list writes nothing): a report repeating an earlier one
    of the same batch (`repeat_of.batch_index`) is written after the others, merged into that one."""
    later = {
        i: p.repeat_of.batch_index for i, p in enumerate(planned) if p.repeat_of and p.repeat_of.batch_index is not None
    }
    first = [i for i in range(len(planned)) if i not in later]
    written: dict[int, NewCase] = {}
    if first:
        written.update(zip(first, write_cases(session, [planned[i] for i in first], now, keep_rows), strict=False))
    for i, j in later.items():
        into = planned[j].row  # written above: now it has its id and number
        planned[i].row["merged_into_id"] = into["id"]
        planned[i].steps[-1][3].update(into=into["id"], into_number=into["number"])
    if later:
        cases = write_cases(session, [planned[i] for i in later], now, keep_rows)
        written.update(zip(later, cases, strict=False))
    return [written[i] for i in range(len(planned))] if keep_rows else []


def _address_ids(session: Session, planned: list[Planned]) -> dict[str, str]:
    """Fill in each row's address id from its standard address code; returns code → full name."""
    codes = {p.address_code for p in planned if p.address_code}
    if not codes:
        return {}
    ids: dict[str, int] = {}
    names: dict[str, str] = {}
    for code, address_id, full_name in session.execute(
        select(Address.code, Address.id, Address.full_name).where(Address.code.in_(codes))
    ):
        ids[code], names[code] = address_id, full_name
    for p in planned:
        if p.address_code:
            p.row["address_id"] = ids.get(p.address_code)
    return names


def _written(
    planned: list[Planned],
    transitions: list[dict[str, Any]],
    transition_ids: list[int],
    tasks: list[dict[str, Any]],
    task_ids: list[int],
    names: dict[str, str],
) -> list[NewCase]:
    """What was written, as plain attribute views of the rows (the columns not written are None)."""
    blank = dict.fromkeys(EVENT_TABLE.c.keys())
    cases: list[NewCase] = []
    steps = iter(zip(transitions, transition_ids, strict=True))
    task_rows = iter(zip(tasks, task_ids, strict=True))
    for p in planned:
        history = [SimpleNamespace(**t, id=tid) for t, tid in itertools.islice(steps, len(p.steps))]
        own_tasks = [SimpleNamespace(**t, id=tid) for t, tid in itertools.islice(task_rows, len(p.tasks))]
        code = p.address_code
        address = (code, names[code]) if code and p.row["address_id"] is not None and code in names else None
        cases.append(NewCase(SimpleNamespace(**(blank | p.row), tasks=own_tasks), history, address))
    return cases
