"""Alarms kept from the rules' outcomes, and the one case each episode opens through the intake port.

* Raised: an `Alarm` row; unless the same device's alarm of the same rule still has an open case (a sensor that
  chatters across its clear condition), a case is reported through `intake.submit` (channel 物联感知, the
  class's 小类, the device's grid and point, idempotency key ``hazard-alarm:<id>``) — so an episode has exactly
  one case and a chattering sensor adds notes to it instead of a case storm.
* Escalated, raised again, cleared (by the rule or by hand): recorded on the case as an 物联告警更新 step.
* Acknowledged: only the alarm changes (acknowledging is not clearing).
Every change writes its audit row and publishes ``hazards.alarm_<change>``; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.dispatch import intake
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.history import apply_transition
from gridgov.dispatch.models import Channel, Event
from gridgov.dispatch.rules import OPEN, TRANSITIONS, Action, Status
from gridgov.hazards.audit import HazardAudit
from gridgov.hazards.models import Alarm, Device, HazardClass, HazardSource, RuleMemory
from gridgov.hazards.rules import AlarmRule, Change, Outcome, RuleState, Severity, check_change, status_of
from gridgov.hazards.scope import may_act_on
from gridgov.org import cache

IOT_PRINCIPAL = Principal(user_id=None, username="iot-alarms", role=Role.SYSTEM)
ALARM_HANDLERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.LEADER, Role.GRID_WORKER})
_OPEN = [s.value for s in OPEN]


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the hot path needs of a device (read once per batch)."""

    id: int
    code: str
    device_type: str
    source_id: int
    grid_id: int | None
    division_path: str
    lon: float | None
    lat: float | None
    registered_at: float
    last_seen: float | None = None

    @classmethod
    def of(cls, d: Device) -> DeviceInfo:
        seen = d.last_seen_at.timestamp() if d.last_seen_at else None
        return cls(
            d.id,
            d.code,
            d.device_type,
            d.source_id,
            d.grid_id,
            d.division_path,
            d.lon,
            d.lat,
            d.registered_at.timestamp(),
            seen,
        )


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _note(session: Session, case_id: int | None, note: str, data: dict[str, Any], now: datetime) -> None:
    if case_id is None:
        return
    event = session.get(Event, case_id)
    if event is not None and Status(event.status) in TRANSITIONS[Action.ALARM_UPDATE].sources:  # not on a finished case
        apply_transition(session, IOT_PRINCIPAL, event, Action.ALARM_UPDATE, now, note=note, data=data)


def _open_case(session: Session, device_id: int, rule_id: int) -> int | None:
    return session.scalar(
        select(Alarm.case_id)
        .join(Event, Event.id == Alarm.case_id)
        .where(Alarm.device_id == device_id, Alarm.rule_id == rule_id, Event.status.in_(_OPEN))
        .order_by(Alarm.id.desc())
        .limit(1)
    )


def _report(session: Session, dev: DeviceInfo, alarm: Alarm, source: HazardSource, now: datetime) -> int:
    klass = session.get(HazardClass, source.class_id)
    snap = cache.snapshot(session)
    grid_code = snap.divisions[dev.grid_id].code if dev.grid_id in snap.divisions else None
    sev = Severity(alarm.severity)
    cmd = IntakeCommand(
        title=f"【物联告警·{sev.label}】{source.name}：{alarm.alarm_type}"[:200],
        channel=Channel.IOT,
        description=f"设备 {dev.code}（{source.name}，责任单位：{source.responsible_unit}）：{alarm.reason}",
        category_code=klass.category_code if klass else None,
        grid_code=grid_code,
        lon=dev.lon if grid_code is None else None,
        lat=dev.lat if grid_code is None else None,
        idempotency_key=f"hazard-alarm:{alarm.id}",
        origin={
            "alarm_id": alarm.id,
            "device": dev.code,
            "source": source.code,
            "severity": sev.value,
            "type": alarm.alarm_type,
        },
    )
    return intake.submit(session, IOT_PRINCIPAL, cmd, now=now).event_id


def _payload(alarm: Alarm, **extra: Any) -> dict[str, Any]:
    return {
        "device_id": alarm.device_id,
        "source_id": alarm.source_id,
        "severity": alarm.severity,
        "case_id": alarm.case_id,
        **extra,
    }


def apply_outcome(
    session: Session, dev: DeviceInfo, rule_id: int, rule: AlarmRule, state: RuleState, out: Outcome, now: datetime
) -> Alarm:
    """Keep the alarm an outcome of `rule` on `dev` calls for (state["alarm"] holds the active alarm's id)."""
    at = _at(out.ts)
    if out.change == Change.CREATE:
        source = session.get(HazardSource, dev.source_id)
        assert source is not None and out.severity is not None
        alarm = Alarm(
            device_id=dev.id,
            rule_id=rule_id,
            source_id=dev.source_id,
            grid_id=dev.grid_id,
            division_path=dev.division_path,
            alarm_type=rule.alarm_type,
            severity=out.severity.value,
            active=True,
            acknowledged=False,
            started_at=at,
            updated_at=now,
            reason=out.reason[:200],
        )
        session.add(alarm)
        session.flush()
        open_case = _open_case(session, dev.id, rule_id)
        if open_case is not None:
            alarm.case_id = open_case
            _note(
                session, open_case, f"告警再次触发（{out.severity.label}）：{out.reason}", {"alarm_id": alarm.id}, now
            )
        else:
            alarm.case_id = _report(session, dev, alarm, source, now)
        state["alarm"] = alarm.id
        record_audit(session, IOT_PRINCIPAL, HazardAudit.ALARM_RAISE, "hazard_alarm", alarm.id, _payload(alarm))
        bus.publish(session, "hazards.alarm_raised", "hazard_alarm", alarm.id, _payload(alarm), at=now)
        return alarm
    alarm = _active_alarm(session, dev.id, rule_id, state)
    if out.change == Change.ESCALATE:
        assert out.severity is not None
        before = Severity(alarm.severity)
        alarm.severity, alarm.updated_at, alarm.reason = out.severity.value, now, out.reason[:200]
        note = f"告警升级：{before.label} → {out.severity.label}（{out.reason}）"
        _note(session, alarm.case_id, note, {"alarm_id": alarm.id, "severity": out.severity.value}, now)
        record_audit(
            session,
            IOT_PRINCIPAL,
            HazardAudit.ALARM_ESCALATE,
            "hazard_alarm",
            alarm.id,
            _payload(alarm, before=before.value),
        )
        bus.publish(
            session, "hazards.alarm_escalated", "hazard_alarm", alarm.id, _payload(alarm, before=before.value), at=now
        )
        return alarm
    _clear(session, IOT_PRINCIPAL, alarm, at, now, out.reason)
    state.pop("alarm", None)
    return alarm


def _active_alarm(session: Session, device_id: int, rule_id: int, state: RuleState) -> Alarm:
    alarm = session.get(Alarm, state["alarm"]) if state.get("alarm") else None
    if alarm is None or not alarm.active:
        alarm = session.scalar(
            select(Alarm)
            .where(Alarm.device_id == device_id, Alarm.rule_id == rule_id, Alarm.active.is_(True))
            .order_by(Alarm.id.desc())
        )
    if alarm is None:
        raise NotFound("没有该设备的活动告警", field="alarm_id")
    return alarm


def _clear(session: Session, actor: Principal, alarm: Alarm, at: datetime, now: datetime, reason: str) -> None:
    alarm.active, alarm.cleared_at, alarm.updated_at, alarm.clear_reason = False, at, now, reason[:200]
    by = "人工解除" if actor.role != Role.SYSTEM else "自动解除"
    _note(session, alarm.case_id, f"告警{by}：{reason}", {"alarm_id": alarm.id, "cleared": True}, now)
    record_audit(session, actor, HazardAudit.ALARM_CLEAR, "hazard_alarm", alarm.id, _payload(alarm, reason=reason))
    bus.publish(session, "hazards.alarm_cleared", "hazard_alarm", alarm.id, _payload(alarm), actor=actor, at=now)


def _alarm_for(session: Session, actor: Principal, alarm_id: int) -> Alarm:
    if actor.role not in ALARM_HANDLERS:
        raise Forbidden("您的角色不能处理物联告警", field="role")
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or not may_act_on(actor, alarm.division_path, alarm.grid_id):
        raise NotFound("告警不存在", field="alarm_id")
    return alarm


def acknowledge_alarm(session: Session, actor: Principal, alarm_id: int, now: datetime | None = None) -> Alarm:
    """确认: the alarm is seen; it stays active until cleared."""
    now = now or utcnow()
    alarm = _alarm_for(session, actor, alarm_id)
    check_change(status_of(alarm.active, alarm.acknowledged), Change.ACK)
    alarm.acknowledged, alarm.acked_at, alarm.acked_by, alarm.updated_at = True, now, actor.user_id, now
    record_audit(session, actor, HazardAudit.ALARM_ACK, "hazard_alarm", alarm.id, _payload(alarm))
    bus.publish(session, "hazards.alarm_acknowledged", "hazard_alarm", alarm.id, _payload(alarm), actor=actor, at=now)
    return alarm


def clear_alarm(session: Session, actor: Principal, alarm_id: int, note: str, now: datetime | None = None) -> Alarm:
    """人工解除 (with a reason): the rule forgets the episode; if its condition still holds, the next sample
    raises a new alarm, added to the same open case."""
    now = now or utcnow()
    if not note.strip():
        raise InvalidInput("请填写解除原因", field="note")
    alarm = _alarm_for(session, actor, alarm_id)
    check_change(status_of(alarm.active, alarm.acknowledged), Change.CLEAR)
    memory = session.get(RuleMemory, (alarm.device_id, alarm.rule_id))
    if memory is not None:
        state = dict(memory.state)
        state.update(active=False, severity=None)
        state.pop("alarm", None)
        memory.state = state
    _clear(session, actor, alarm, now, now, note.strip())
    return alarm
