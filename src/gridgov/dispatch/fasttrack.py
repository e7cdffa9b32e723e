"""重特大 fast track: a case flagged 重特大 alerts its leaders and the on-duty dispatcher at once; each recipient
acknowledges; an alert nobody acknowledges is sent again and, after a while, goes to the next tier.

* `raise_alerts` is the bus subscriber of `event.major_flagged` (reported so, re-categorized into a 重特大 小类, or
  flagged by a dispatcher): one `event_alert` row per recipient — the on-duty dispatcher (the district centre's
  roster, `org.roster.duty_contacts`), the district's leaders and the city's — and one `alert.raised` domain
  event each, whose payload names the recipient (the notification worker delivers it).
* `acknowledge_alert`: the recipient's own action (audit row, `alert.acknowledged`); the first leader's
  acknowledgement records the case's grid-to-leader time (`event.leader_acked_at` − `event.reported_at`).
* `sweep_alerts` (run by the SLA sweeper): an alert not acknowledged is sent again every
  `major_alert_repeat_minutes` (`alert.repeated`) and, after `major_alert_escalate_minutes`, escalated once: the
  next tier (duty dispatcher → district leaders → city leaders) gets an alert of kind "escalation" naming who did
  not acknowledge. Alerts of a case no longer open or no longer 重特大 stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.choices import Urgency
from gridgov.common.errors import Conflict, NotFound
from gridgov.common.events import Published, bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import as_utc, utcnow
from gridgov.db import settings_of
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.models import AlertKind, AlertTier, Event, EventAlert
from gridgov.dispatch.rules import OPEN, Status
from gridgov.org import cache
from gridgov.org.models import User
from gridgov.org.roster import duty_contacts

ALERT_RAISED, ALERT_REPEATED, ALERT_ACKNOWLEDGED = "alert.raised", "alert.repeated", "alert.acknowledged"
NEXT_TIER = {AlertTier.DUTY.value: AlertTier.DISTRICT.value, AlertTier.DISTRICT.value: AlertTier.CITY.value}
LEADER_TIERS = frozenset({AlertTier.DISTRICT.value, AlertTier.CITY.value})


def case_division(event: Event) -> int:
    """The division a case sits in: its grid, or (not placed yet) the division it was raised at."""
    if event.grid_id is not None:
        return event.grid_id
    return int(event.division_path.strip("/").split("/")[-1])


def on_duty_dispatchers(session: Session, division_id: int, at: datetime) -> list[int]:
    """The dispatchers on duty at `at` for a case in `division_id`: the district centre's roster (nobody rostered:
    its dispatchers), else the city centre's (org.roster.duty_contacts)."""
    snap = cache.snapshot(session)
    for centre in (snap.ancestor_at(division_id, "district"), snap.ancestor_at(division_id, "city")):
        ids = sorted({d.user_id for d in duty_contacts(session, centre, at)}) if centre is not None else []
        if ids:
            return ids
    return []


def tier_recipients(session: Session, event: Event, tier: str, at: datetime) -> list[int]:
    """The user ids of one tier for this case: the on-duty dispatcher(s), or the leaders of its district/city."""
    where = case_division(event)
    if tier == AlertTier.DUTY.value:
        return on_duty_dispatchers(session, where, at)
    division = cache.snapshot(session).ancestor_at(where, tier)
    if division is None:
        return []
    return list(
        session.scalars(
            select(User.id)
            .where(User.role == Role.LEADER.value, User.division_id == division, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _alert(
    session: Session, event: Event, user_id: int, tier: str, now: datetime, about: EventAlert | None = None
) -> EventAlert:
    kind = AlertKind.ESCALATION.value if about is not None else AlertKind.MAJOR.value
    alert = EventAlert(
        event_id=event.id,
        user_id=user_id,
        tier=tier,
        kind=kind,
        about_alert_id=about.id if about is not None else None,
        raised_at=now,
        last_sent_at=now,
        sent_count=1,
    )
    session.add(alert)
    session.flush()
    payload = {
        "event_id": event.id,
        "number": event.number,
        "title": event.title,
        "recipient_id": user_id,
        "tier": tier,
        "kind": kind,
        "about_user_id": about.user_id if about is not None else None,
    }
    bus.publish(session, ALERT_RAISED, "event_alert", alert.id, payload, at=now)
    return alert


def raise_alerts(session: Session, published: Published) -> None:
    """Subscriber of `event.major_flagged`: one alert per recipient not yet alerted about this case."""
    event = session.get(Event, published.aggregate_id)
    if event is None or event.urgency != Urgency.MAJOR.value or Status(event.status) not in OPEN:
        return
    known = set(
        session.scalars(
            select(EventAlert.user_id).where(EventAlert.event_id == event.id, EventAlert.kind == AlertKind.MAJOR.value)
        )
    )
    for tier in (AlertTier.DUTY.value, AlertTier.DISTRICT.value, AlertTier.CITY.value):
        for user_id in tier_recipients(session, event, tier, published.at):
            if user_id not in known:
                known.add(user_id)
                _alert(session, event, user_id, tier, published.at)


def acknowledge_alert(session: Session, actor: Principal, alert_id: int, now: datetime | None = None) -> EventAlert:
    """The recipient acknowledges their alert (only their own: anyone else's is "not found")."""
    now = now or utcnow()
    alert = session.get(EventAlert, alert_id, with_for_update=True)
    if alert is None or actor.user_id is None or alert.user_id != actor.user_id:
        raise NotFound("告警不存在", field="alert_id")
    if alert.acknowledged_at is not None:
        raise Conflict("该告警已确认", field="alert_id")
    event = session.get(Event, alert.event_id, with_for_update=True)
    assert event is not None
    alert.acknowledged_at = now
    data: dict[str, object] = {"event_id": event.id, "tier": alert.tier, "kind": alert.kind}
    if alert.tier in LEADER_TIERS and event.leader_acked_at is None:
        event.leader_acked_at = now
        data["grid_to_leader_seconds"] = grid_to_leader_seconds(event)
    record_audit(session, actor, DispatchAudit.ALERT_ACK, "event_alert", alert.id, data)
    bus.publish(session, ALERT_ACKNOWLEDGED, "event_alert", alert.id, {**data, "user_id": actor.user_id}, at=now)
    return alert


def grid_to_leader_seconds(event: Event) -> float | None:
    """Report → first leader acknowledgement, in seconds (None until a leader has acknowledged)."""
    if event.leader_acked_at is None:
        return None
    return (as_utc(event.leader_acked_at) - as_utc(event.reported_at)).total_seconds()


@dataclass
class AlertSweep:
    repeated: int = 0
    escalated: int = 0


def sweep_alerts(session: Session, now: datetime) -> AlertSweep:
    """Send again what nobody acknowledged, escalate what waited too long (one unit of work; the caller commits)."""
    settings = settings_of(session)
    repeat_before = now - timedelta(minutes=settings.major_alert_repeat_minutes)
    escalate_before = now - timedelta(minutes=settings.major_alert_escalate_minutes)
    open_major = select(Event.id).where(Event.urgency == Urgency.MAJOR.value, Event.status.in_([s.value for s in OPEN]))
    due = session.scalars(
        select(EventAlert)
        .where(
            EventAlert.acknowledged_at.is_(None),
            EventAlert.last_sent_at <= repeat_before,
            EventAlert.event_id.in_(open_major),
        )
        .order_by(EventAlert.id)
        .with_for_update()
    ).all()
    result = AlertSweep()
    for alert in due:
        alert.sent_count += 1
        alert.last_sent_at = now
        payload = {"event_id": alert.event_id, "recipient_id": alert.user_id, "tier": alert.tier, "kind": alert.kind}
        bus.publish(session, ALERT_REPEATED, "event_alert", alert.id, {**payload, "sent": alert.sent_count}, at=now)
        result.repeated += 1
        if alert.escalated_at is None and as_utc(alert.raised_at) <= escalate_before:
            alert.escalated_at = now
            result.escalated += _escalate(session, alert, now)
    return result


def _escalate(session: Session, alert: EventAlert, now: datetime) -> int:
    """The next tier hears that `alert` was not acknowledged; how many were alerted (none above the city)."""
    tier = NEXT_TIER.get(alert.tier)
    event = session.get(Event, alert.event_id)
    if tier is None or event is None:
        return 0
    users = [u for u in tier_recipients(session, event, tier, now) if u != alert.user_id]
    for user_id in users:
        _alert(session, event, user_id, tier, now, about=alert)
    return len(users)
