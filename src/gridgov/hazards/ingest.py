"""Telemetry ingest, the hot path: a batch of devices' samples is written with one multi-row insert, every
applicable rule sees every sample in time order, each device's rule memory and last-seen time are read and
written once per batch, and only the rare outcomes (raise, escalate, clear) touch the alarms and cases
(alarms.py). The sweep judges the no-data conditions and the online flag of devices that went quiet.
A refused payload is kept with its reason (`keep_reject`) in a transaction of its own. Nothing here commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, case, insert, or_, select, update
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
_SEEN = (
    update(_DEVICE)
    .where(
        _DEVICE.c.id == bindparam("b_id"),
        or_(
            _DEVICE.c.online.is_(False),
            _DEVICE.c.last_seen_at.is_(None),
            _DEVICE.c.last_seen_at <= bindparam("b_floor", type_=_DEVICE.c.last_seen_at.type),
        ),
    )
    .values(
        last_seen_at=case(
            (
                or_(_DEVICE.c.last_seen_at.is_(None), _DEVICE.c.last_seen_at < bindparam("b_seen")),
                bindparam("b_seen"),
            ),
            else_=_DEVICE.c.last_seen_at,
        ),
        online=True,
    )
)
# SQLite, the embedded default, gets the same two writes as driver-level executemany of pre-formatted rows: the
# ORM's per-row parameter processing cost more than SQLite's own work (bench/alarms.py)
_SQLITE_TELEMETRY = 'INSERT INTO telemetry (device_id, ts, "values") VALUES (?, ?, ?)'
_SQLITE_SEEN = (
    "UPDATE hazard_device SET online = 1, last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < ?1 "
    "THEN ?1 ELSE last_seen_at END WHERE id = ?2 AND (online = 0 OR last_seen_at IS NULL "
    f"OR last_seen_at <= strftime('%Y-%m-%d %H:%M:%f', ?1, '-{SEEN_RESOLUTION_S:g} seconds'))"
)
_JSON = json.JSONEncoder(check_circular=False)  # the JSON type's own format (json.dumps defaults)


def _sqlite_time(ts: float) -> str:
    """The text UTCDateTime writes on SQLite for POSIX seconds `ts`."""
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _write_telemetry(conn: Connection, rows: list[tuple[int, int, dict[str, float]]]) -> None:
    if conn.dialect.name == "sqlite":
        enc = _JSON.encode
        conn.exec_driver_sql(_SQLITE_TELEMETRY, [(d, ts, enc(v)) for d, ts, v in rows])
    else:
        conn.execute(_INSERT_TELEMETRY, [{"device_id": d, "ts": ts, "values": v} for d, ts, v in rows])


def _write_seen(conn: Connection, seen: dict[int, float]) -> None:
    """Move each device's last-seen time forward (never back) and mark it online — in the statement's own
    condition, only where it is offline or the time moved at least SEEN_RESOLUTION_S, so a chattering device
    costs no write and no read."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_SEEN, [(_sqlite_time(t), i) for i, t in seen.items()])
    else:
        at = datetime.fromtimestamp
        conn.execute(
            _SEEN,
            [{"b_id": i, "b_seen": at(t, UTC), "b_floor": at(t - SEEN_RESOLUTION_S, UTC)} for i, t in seen.items()],
        )


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
    before: dict[tuple[int, int], dict[str, Any]] = {}
    watched: set[tuple[int, int]] = set()
    rows: list[tuple[int, int, dict[str, float]]] = []
    seen: dict[int, float] = {}
    outcomes: list[tuple[DeviceInfo, CompiledRule, RuleState, Outcome]] = []
    for dev, samples in batches:
        states = []
        for cr in by_type.get(dev.device_type, []) + wildcard:
            k = (dev.id, cr.id)
            st = stored.get(k)
            if st is None:
                if not cr.rule.on_samples:  # only no-data conditions: a sample matters to an active alarm only
                    continue
                st = stored[k] = new_state()
            elif not cr.rule.on_samples and not st["active"]:
                continue
            if cr.rule.stateful and k not in watched:
                watched.add(k)
                if k in loaded:
                    before[k] = dict(st["c"])
            states.append((cr, st))
        last = seen.get(dev.id, 0.0)
        dev_id = dev.id
        for s in samples:
            ts = s.ts
            rows.append((dev_id, round(ts * 1000), s.values))
            if ts > last:
                last = ts
            for cr, st in states:
                out = evaluate(cr.rule, st, ts, s.values)
                if out is not None:
                    outcomes.append((dev, cr, st, out))
        seen[dev_id] = last
    conn = session.connection()
    _write_telemetry(conn, rows)
    result.messages = len(rows)
    touched: set[tuple[int, int]] = set()
    for dev, cr, st, out in outcomes:
        alarm = apply_outcome(session, dev, cr.id, cr.rule, st, out, now)
        result.count(out, alarm.id)
        touched.add((dev.id, cr.id))
    _write_memories(session, stored, before, watched, touched, loaded)
    _write_seen(conn, seen)
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
