"""Telemetry ingest, the hot path: a batch of devices' samples is written with one multi-row insert, every
applicable rule sees every sample in time order, each device's rule memory and last-seen time are read and
written once per batch, and only the rare outcomes (raise, escalate, clear) touch the alarms and cases
(alarms.py). The sweep judges the no-data conditions and the online flag of devices that went quiet.
A refused payload is kept with its reason (`keep_reject`) in a transaction of its own. Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from gridgov.common.timeutil import utcnow
from gridgov.hazards.alarms import DeviceInfo, apply_outcome
from gridgov.hazards.models import AlarmRuleRow, Device, RuleMemory, Telemetry, TelemetryReject
from gridgov.hazards.payload import Sample
from gridgov.hazards.rules import (
    AlarmRule,
    Change,
    Outcome,
    RuleState,
    evaluate,
    has_no_data,
    new_state,
    parse_rule,
    tick,
)

ANY_TYPE = "*"
DEFAULT_OFFLINE_S = 1800.0
SEEN_RESOLUTION_S = 60.0  # last-seen is moved when it advanced this much (or the device was offline): no-data
# conditions count in tens of minutes, so a write per device per message would buy nothing

_TELEMETRY = cast(Table, Telemetry.__table__)
_MEMORY = cast(Table, RuleMemory.__table__)
_DEVICE = cast(Table, Device.__table__)
_INSERT_TELEMETRY = insert(_TELEMETRY)
_INSERT_MEMORY = insert(_MEMORY)
_UPDATE_MEMORY = (
    update(_MEMORY)
    .where(_MEMORY.c.device_id == bindparam("b_device"), _MEMORY.c.rule_id == bindparam("b_rule"))
    .values(state=bindparam("b_state"))
)
_SEEN_BEFORE = select(_DEVICE.c.id, _DEVICE.c.last_seen_at, _DEVICE.c.online).where(
    _DEVICE.c.id.in_(bindparam("ids", expanding=True))
)
_SEEN = update(_DEVICE).where(_DEVICE.c.id == bindparam("b_id")).values(last_seen_at=bindparam("b_seen"), online=True)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    device_type: str
    rule: AlarmRule


@dataclass
class IngestResult:
    messages: int = 0
    changes: dict[str, int] = field(
        default_factory=lambda: {c.value: 0 for c in (Change.CREATE, Change.ESCALATE, Change.CLEAR)}
    )
    alarm_ids: list[int] = field(default_factory=list)

    def count(self, out: Outcome, alarm_id: int) -> None:
        self.changes[out.change.value] += 1
        self.alarm_ids.append(alarm_id)


def enabled_rules(session: Session) -> list[CompiledRule]:
    rows = session.execute(
        select(AlarmRuleRow.id, AlarmRuleRow.device_type, AlarmRuleRow.spec).where(AlarmRuleRow.enabled.is_(True))
    )
    return [CompiledRule(r[0], r[1], parse_rule(r[2])) for r in rows]


def rules_by_type(rules: Sequence[CompiledRule]) -> dict[str, list[CompiledRule]]:
    out: dict[str, list[CompiledRule]] = {}
    for r in rules:
        out.setdefault(r.device_type, []).append(r)
    return out


def _memories(session: Session, device_ids: list[int]) -> dict[tuple[int, int], RuleState]:
    rows = session.execute(
        select(_MEMORY.c.device_id, _MEMORY.c.rule_id, _MEMORY.c.state).where(
            _MEMORY.c.device_id.in_(bindparam("ids", expanding=True))
        ),
        {"ids": device_ids},
    )
    return {(r[0], r[1]): dict(r[2]) for r in rows}


def _write_memories(
    session: Session,
    stored: dict[tuple[int, int], RuleState],
    before: dict[tuple[int, int], dict[str, Any]],
    watched: set[tuple[int, int]],
    touched: set[tuple[int, int]],
    loaded: set[tuple[int, int]],
) -> None:
    """Write the memories that changed: those of stateful rules (their condition memories compared with a shallow
    copy of what was read: the rules replace a condition's memory, never change it in place) and those an outcome
    changed; a memory never read is inserted."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for k in watched | touched:
        state = stored[k]
        if k not in loaded:
            if k in touched or state["c"]:
                inserts.append({"device_id": k[0], "rule_id": k[1], "state": state})
        elif k in touched or state["c"] != before[k]:
            updates.append({"b_device": k[0], "b_rule": k[1], "b_state": state})
    conn = session.connection()
    if inserts:
        conn.execute(_INSERT_MEMORY, inserts)
    if updates:
        conn.execute(_UPDATE_MEMORY, updates)


def ingest(
    session: Session,
    batches: Sequence[tuple[DeviceInfo, Sequence[Sample]]],
    *,
    now: datetime | None = None,
    rules: Sequence[CompiledRule] | None = None,
) -> IngestResult:
    """Write and evaluate the samples of many devices (each device's samples in time order)."""
    now = now or utcnow()
    result = IngestResult()
    batches = [(d, s) for d, s in batches if s]
    if not batches:
        return result
    by_type = rules_by_type(enabled_rules(session) if rules is None else rules)
    wildcard = by_type.get(ANY_TYPE, [])
    ids = sorted({d.id for d, _ in batches})
    stored = _memories(session, ids)
    loaded = set(stored)
    seen_before = {r[0]: (r[1], r[2]) for r in session.execute(_SEEN_BEFORE, {"ids": ids})}
    before: dict[tuple[int, int], dict[str, Any]] = {}
    watched: set[tuple[int, int]] = set()
    rows: list[dict[str, Any]] = []
    seen: dict[int, float] = {}
    outcomes: list[tuple[DeviceInfo, CompiledRule, RuleState, Outcome]] = []
    for dev, samples in batches:
        states = []
        for cr in by_type.get(dev.device_type, []) + wildcard:
            k = (dev.id, cr.id)
            st = stored.get(k)
            if st is None:
                st = stored[k] = new_state()
            if cr.rule.stateful and k not in watched:
                watched.add(k)
                if k in loaded:
                    before[k] = dict(st["c"])
            states.append((cr, st))
        last = seen.get(dev.id, 0.0)
        for s in samples:
            rows.append({"device_id": dev.id, "ts": round(s.ts * 1000), "values": s.values})
            if s.ts > last:
                last = s.ts
            for cr, st in states:
                out = evaluate(cr.rule, st, s.ts, s.values)
                if out is not None:
                    outcomes.append((dev, cr, st, out))
        seen[dev.id] = last
    conn = session.connection()
    conn.execute(_INSERT_TELEMETRY, rows)
    result.messages = len(rows)
    touched: set[tuple[int, int]] = set()
    for dev, cr, st, out in outcomes:
        alarm = apply_outcome(session, dev, cr.id, cr.rule, st, out, now)
        result.count(out, alarm.id)
        touched.add((dev.id, cr.id))
    _write_memories(session, stored, before, watched, touched, loaded)
    moved = []
    for device_id, last in seen.items():
        old, online = seen_before.get(device_id, (None, False))
        if not online or old is None or last - old.replace(tzinfo=UTC).timestamp() >= SEEN_RESOLUTION_S:
            moved.append({"b_id": device_id, "b_seen": datetime.fromtimestamp(last, UTC)})
    if moved:
        conn.execute(_SEEN, moved)
    return result


def offline_after(rules: Sequence[CompiledRule]) -> float:
    """A device is offline after the shortest no-data silence of the rules (30 minutes when there is none)."""
    spans = [c.seconds for r in rules for _, c in r.rule.create if c.kind.value == "no_data"]
    return min(spans) if spans else DEFAULT_OFFLINE_S


def sweep(session: Session, now: datetime | None = None) -> IngestResult:
    """Judge the no-data conditions of every enabled device and mark the quiet ones offline."""
    now = now or utcnow()
    result = IngestResult()
    rules = enabled_rules(session)
    silent = [r for r in rules if has_no_data(r.rule)]
    cutoff = datetime.fromtimestamp(now.timestamp() - offline_after(rules), UTC)
    session.execute(
        update(Device)
        .where(Device.online.is_(True), Device.last_seen_at < cutoff)
        .values(online=False)
        .execution_options(synchronize_session=False)
    )
    if not silent:
        return result
    devices = [DeviceInfo.of(d) for d in session.scalars(select(Device).where(Device.enabled.is_(True)))]
    if not devices:
        return result
    stored = _memories(session, [d.id for d in devices])
    loaded = set(stored)
    touched: set[tuple[int, int]] = set()
    ts = now.timestamp()
    for dev in devices:
        for cr in silent:
            if cr.device_type not in (ANY_TYPE, dev.device_type):
                continue
            st = stored.get((dev.id, cr.id))
            if st is None:
                st = stored[(dev.id, cr.id)] = new_state()
            out = tick(cr.rule, st, ts, dev.last_seen if dev.last_seen is not None else dev.registered_at)
            if out is not None:
                alarm = apply_outcome(session, dev, cr.id, cr.rule, st, out, now)
                result.count(out, alarm.id)
                touched.add((dev.id, cr.id))
    _write_memories(session, stored, {}, set(), touched, loaded)
    return result


def keep_reject(
    session: Session,
    transport: str,
    body: str,
    error: str,
    field_name: str | None,
    device: Device | None = None,
    device_code: str | None = None,
) -> TelemetryReject:
    """Keep a refused payload as it arrived (cut to 64 KiB), with the reason, for inspection."""
    row = TelemetryReject(
        at=utcnow(),
        transport=transport,
        device_id=device.id if device else None,
        device_code=device.code if device else device_code,
        field=field_name,
        error=error[:300],
        body=body[:65536],
    )
    session.add(row)
    session.flush()
    return row
