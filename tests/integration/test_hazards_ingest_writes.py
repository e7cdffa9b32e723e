"""The ingest hot path's own writes: telemetry rows read back as sent, and a device's last-seen time moves
forward only (never back), at most once per SEEN_RESOLUTION_S while online, and always when it was offline."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridgov.common.uow import one_action
from gridgov.hazards.alarms import DeviceInfo
from gridgov.hazards.ingest import SEEN_RESOLUTION_S, ingest
from gridgov.hazards.models import Device, Telemetry
from gridgov.hazards.payload import Sample
from hazards_support import place_device


def _feed(session: Session, device_id: int, samples: list[Sample]) -> None:
    info = DeviceInfo.of(session.get_one(Device, device_id))
    one_action(ingest, session, [(info, samples)])


def _offline(session: Session, device_id: int) -> None:
    session.execute(update(Device).where(Device.id == device_id).values(online=False))
    session.commit()


def _seen(session: Session, device_id: int) -> tuple[float | None, bool]:
    session.expire_all()
    d = session.get_one(Device, device_id)
    return (d.last_seen_at.timestamp() if d.last_seen_at else None, d.online)


def test_telemetry_reads_back_as_sent(engine: Engine, session: Session) -> None:
    dev = place_device(engine, "water_level", "waterlogging")
    t0 = time.time() - 600
    _feed(session, dev.device_id, [Sample(t0, {"water_level": 0.125, "battery": 3.0}), Sample(t0 + 30, {"x": -1.5})])
    rows = session.execute(
        select(Telemetry.ts, Telemetry.values).where(Telemetry.device_id == dev.device_id).order_by(Telemetry.ts)
    ).all()
    assert [(r.ts, r.values) for r in rows] == [
        (round(t0 * 1000), {"water_level": 0.125, "battery": 3.0}),
        (round((t0 + 30) * 1000), {"x": -1.5}),
    ]


def test_last_seen_moves_forward_once_per_resolution_and_whenever_offline(engine: Engine, session: Session) -> None:
    dev = place_device(engine, "smoke", "fire")
    t0 = float(int(time.time()) - 3600)
    _feed(session, dev.device_id, [Sample(t0, {"smoke": 0.01})])
    assert _seen(session, dev.device_id) == (t0, True)
    _feed(session, dev.device_id, [Sample(t0 + SEEN_RESOLUTION_S / 2, {"smoke": 0.01})])
    assert _seen(session, dev.device_id) == (t0, True)  # moved less than the resolution: not written
    later = t0 + SEEN_RESOLUTION_S + 1
    _feed(session, dev.device_id, [Sample(later, {"smoke": 0.01})])
    assert _seen(session, dev.device_id) == (later, True)
    _feed(session, dev.device_id, [Sample(t0 - 600, {"smoke": 0.01})])  # a late, older message
    assert _seen(session, dev.device_id) == (later, True)
    _offline(session, dev.device_id)
    _feed(session, dev.device_id, [Sample(later + 1, {"smoke": 0.01})])  # offline: written whatever the step
    assert _seen(session, dev.device_id) == (later + 1, True)
    _offline(session, dev.device_id)
    _feed(session, dev.device_id, [Sample(t0, {"smoke": 0.01})])  # offline, older message: online, time kept
    assert _seen(session, dev.device_id) == (later + 1, True)
    assert datetime.fromtimestamp(later + 1, UTC) == session.get_one(Device, dev.device_id).last_seen_at
