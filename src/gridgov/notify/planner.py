"""The outbox subscriber that plans notifications: for each domain event of a batch, its routes (rules.ROUTES),
the people of each route, one `Notification` per (event, kind, person) rendered from the template in force, and
one `NotificationDelivery` per channel he is reached on, each with its idempotency key; the batch's plan is
written in two multi-row INSERTs.

It writes only through the session it is handed, so the outbox worker commits the plan together with the
subscriber's new position: a crash in the middle of a batch leaves neither, and the batch is planned again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridgov.common.events import AsyncSubscriber, DomainEvent
from gridgov.common.timeutil import as_utc, utcnow
from gridgov.config import Settings
from gridgov.db import settings_of
from gridgov.dispatch.models import Event, EventTransition
from gridgov.dispatch.rules import Status
from gridgov.notify import templates
from gridgov.notify.models import Notification, NotificationDelivery
from gridgov.notify.recipients import Directory, Recipient
from gridgov.notify.rules import (
    ChannelName,
    Kind,
    QuietHours,
    Route,
    chosen_channels,
    delivery_key,
    parse_hhmm,
    release_at,
    routes_for,
    watched_events,
)

SUBSCRIBER = "notify"


def configured_channels(settings: Settings) -> frozenset[ChannelName]:
    have = {ChannelName.IN_APP}
    if settings.notify_sms not in ("", "none"):
        have.add(ChannelName.SMS)
    if settings.notify_smtp_host:
        have.add(ChannelName.EMAIL)
    return frozenset(have)


def default_quiet(settings: Settings) -> QuietHours | None:
    if not settings.notify_quiet_hours:
        return None
    start, _, end = settings.notify_quiet_hours.partition("-")
    return QuietHours(parse_hhmm(start, "notify_quiet_hours"), parse_hhmm(end, "notify_quiet_hours"))


def _fmt(value: datetime | None, tz: ZoneInfo) -> str:
    return as_utc(value).astimezone(tz).strftime("%m月%d日 %H:%M") if value else ""


def case_context(directory: Directory, case: Event | None, tz: ZoneInfo) -> dict[str, Any]:
    if case is None:
        return {}
    lead = next((t for t in case.tasks if t.role == "lead" and t.status != "cancelled"), None)
    department = ""
    if lead is not None:
        department = directory.departments.get(lead.department_id, "") if lead.department_id else "所在网格的网格员"
    return {
        "number": case.number or str(case.id),
        "title": case.title,
        "category": directory.categories.get(case.category_id or 0, "未分类"),
        "address": case.address_text or directory.places.get(case.grid_id or 0, ""),
        "status": Status(case.status).label if case.status else "",
        "deadline": _fmt(case.deadline_at, tz),
        "department": department,
        "result": case.result_note or "",
    }


def _note(session: Session, case_id: int, action: str) -> str:
    note = session.scalar(
        select(EventTransition.note)
        .where(EventTransition.event_id == case_id, EventTransition.action == action)
        .order_by(EventTransition.id.desc())
        .limit(1)
    )
    return note or ""


def case_of(event: DomainEvent) -> int | None:
    """The case a domain event is about: its aggregate, or the case named in the payload of an event about one
    of its parts (a 重特大 alert: aggregate `event_alert`, payload `event_id`)."""
    if event.aggregate == "event":
        return event.aggregate_id
    named = event.payload.get("event_id")
    return int(named) if isinstance(named, int) else None


def plan_batch(session: Session, events: Sequence[DomainEvent]) -> None:
    settings = settings_of(session)
    tz = ZoneInfo(settings.timezone)
    now = utcnow()
    configured = configured_channels(settings)
    fallback_quiet = default_quiet(settings)
    directory = Directory(session)
    directory.load(c for c in map(case_of, events) if c is not None)
    in_force = templates.current(session)
    done = {
        tuple(row)
        for row in session.execute(
            select(Notification.source_event_id, Notification.kind, Notification.recipient).where(
                Notification.source_event_id.in_([e.id for e in events])
            )
        )
    }
    base = settings.notify_public_url.rstrip("/")
    planned: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []  # (notification, its deliveries) as rows
    for event in events:
        case_id = case_of(event)
        case = directory.cases.get(case_id) if case_id is not None else None
        context = case_context(directory, case, tz) | {"at": _fmt(event.at, tz)}
        for route in routes_for(event.name):
            if route.kind is Kind.RETURNED and case is not None:
                context["note"] = _note(session, case.id, event.name.removeprefix("event."))
            for person in directory.resolve(route.audience, case, event.payload):
                if (event.id, route.kind.value, person.key) in done:
                    continue
                done.add((event.id, route.kind.value, person.key))
                note = _plan_one(event, route, person, context, in_force[route.kind], now, base)
                planned.append((note, _deliveries(event, route, person, configured, fallback_quiet, now, tz)))
    _write(session, planned)


def _write(session: Session, planned: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    """The batch's plan in two multi-row INSERTs (notifications, then their deliveries with the ids they got)."""
    if not planned:
        return
    ids = session.scalars(
        insert(Notification).returning(Notification.id, sort_by_parameter_order=True), [n for n, _d in planned]
    ).all()
    rows = [d | {"notification_id": nid} for (_n, ds), nid in zip(planned, ids, strict=True) for d in ds]
    if rows:
        session.execute(insert(NotificationDelivery), rows)


def _plan_one(
    event: DomainEvent,
    route: Route,
    person: Recipient,
    context: dict[str, Any],
    template: templates.Template,
    now: datetime,
    base: str,
) -> dict[str, Any]:
    number = context.get("number", "")
    case_id = case_of(event)
    link = f"{person.home}?case={case_id}" if case_id is not None else person.home
    rating = f"{base}/resident?number={number}"
    values = context | {"recipient": person.name, "link": base + link, "rating_link": rating}
    title, body = templates.render(template, values)
    return {
        "source_event_id": event.id,
        "kind": route.kind.value,
        "urgent": route.urgent,
        "case_id": case_id,
        "recipient": person.key,
        "user_id": person.user_id,
        "phone_enc": person.phone_enc,  # where a text goes (the account's or the report's number)
        "title": title[:200],
        "body": body,
        "link": link[:300],
        "created_at": now,
    }


def _deliveries(
    event: DomainEvent,
    route: Route,
    person: Recipient,
    configured: frozenset[ChannelName],
    fallback_quiet: QuietHours | None,
    now: datetime,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    quiet = person.quiet if person.quiet is not None or person.channels is not None else fallback_quiet
    return [
        {
            "channel": channel.value,
            "key": delivery_key(event.id, route.kind, person.key, channel),
            "not_before": release_at(now, quiet, route.urgent, channel, tz),
            "created_at": now,
        }
        for channel in chosen_channels(route.kind, dict(person.channels or {}), person.reachable(configured))
    ]


SUBSCRIPTION = AsyncSubscriber(SUBSCRIBER, plan_batch, events=watched_events(), start="now")
