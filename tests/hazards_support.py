"""Helpers of the hazards tests: a fresh hazard source with one device (and its key) in a chosen street, the
alarms and case steps to assert on, and a source's pending inspection."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import UnitOfWork
from gridgov.db import session_factory
from gridgov.dispatch.models import EventTransition
from gridgov.hazards.inspection_models import Inspection
from gridgov.hazards.models import Alarm
from gridgov.hazards.registry import Contact, SourceIn, load_registry, register_device, register_source
from gridgov.org import cache


@dataclass(frozen=True)
class Placed:
    device_id: int
    device_code: str
    key: str
    source_code: str
    street_code: str
    grid_code: str


def streets_with_buildings(session: Session) -> list[tuple[str, list[str]]]:
    """(street code, building address codes) for the demo's streets, in code order."""
    eng = library.engines(session)
    snap = cache.snapshot(session)
    by: dict[str, list[str]] = {}
    for rec in eng.records.values():
        if rec.level == "building" and rec.lon is not None and rec.grid_code in snap.by_code:
            street = next(p for p in snap.ancestry(snap.by_code[rec.grid_code]) if p.level == "street")
            by.setdefault(snap.divisions[street.id].code, []).append(rec.code)
    return sorted((k, sorted(v)) for k, v in by.items())


def place_device(engine: Engine, device_type: str, class_code: str, street_index: int = 0) -> Placed:
    tag = uuid.uuid4().hex[:8]
    with session_factory(engine)() as s, UnitOfWork(s):
        load_registry(s, SYSTEM_PRINCIPAL)
        street_code, codes = streets_with_buildings(s)[street_index]
        address = codes[int(tag, 16) % len(codes)]
        source = register_source(
            s,
            SYSTEM_PRINCIPAL,
            SourceIn(
                code=f"T{tag}",
                name=f"测试隐患源{tag}",
                class_code=class_code,
                responsible_unit="测试责任单位",
                address_code=address,
                contacts=[Contact("主体责任人", "测试甲", "13800001111")],
            ),
        )
        new = register_device(
            s, SYSTEM_PRINCIPAL, code=f"D{tag}", name="测试设备", device_type=device_type, source_code=source.code
        )
        grid_code = cache.snapshot(s).divisions[new.device.grid_id].code if new.device.grid_id else ""
        return Placed(new.device.id, new.device.code, new.key, source.code, street_code, grid_code)


def alarms_of(session: Session, device_id: int) -> list[Alarm]:
    session.expire_all()
    return list(session.scalars(select(Alarm).where(Alarm.device_id == device_id).order_by(Alarm.id)))


def alarm_notes(session: Session, case_id: int) -> list[str]:
    rows = session.scalars(
        select(EventTransition.note)
        .where(EventTransition.event_id == case_id, EventTransition.action == "alarm_update")
        .order_by(EventTransition.id)
    )
    return [n or "" for n in rows]


def pending_inspection(session: Session, source_id: int) -> Inspection:
    """The one inspection of the source waiting to be done (read afresh)."""
    session.expire_all()
    row = session.scalar(select(Inspection).where(Inspection.source_id == source_id, Inspection.status == "due"))
    assert row is not None
    return row
