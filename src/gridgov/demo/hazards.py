"""The hazards demo: hazard sources on the demo districts' standard addresses (every class in every street),
one simulated device per source, and a telemetry replay through the real ingest (rules, alarms, cases): most
devices report calm values, a few rise past their thresholds (积水 rising, a gas leak, a slope tilting, a crowd),
one smoke sensor chatters across its threshold (one case, not a storm) and one device falls silent (a no-data
alarm once the sweep runs). Sources are registered over the past six days, so their first inspections (巡查) are
in the grid workers' queues, some already overdue and escalated. All of it is synthetic and says so: names carry
演示, phones are 1380000xxxx."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.timeutil import utcnow
from gridgov.hazards import inspections
from gridgov.hazards.alarms import DeviceInfo
from gridgov.hazards.ingest import ingest, sweep
from gridgov.hazards.models import Device, HazardSource
from gridgov.hazards.payload import Sample
from gridgov.hazards.registry import CONTACT_ROLES, Contact, SourceIn, load_registry, register_device, register_source
from gridgov.hazards.risk_grading import grade_all
from gridgov.org import cache

# class → (device type, telemetry key, calm value, alarming value, place-name stem)
CLASS_DEVICES: dict[str, tuple[str, str, float, float, str]] = {
    "production": ("smoke", "smoke", 0.01, 0.3, "工业园厂房"),
    "fire": ("smoke", "smoke", 0.01, 0.3, "商业综合体"),
    "geology": ("tilt", "tilt", 0.3, 6.0, "边坡"),
    "waterlogging": ("water_level", "water_level", 0.02, 0.6, "下穿通道"),
    "hazchem": ("gas", "gas_lel", 1.0, 30.0, "危化品仓库"),
    "gas": ("gas", "gas_lel", 1.0, 30.0, "燃气调压站"),
    "construction": ("tilt", "tilt", 0.3, 6.0, "建筑工地基坑"),
    "crowd": ("crowd", "density", 0.5, 5.0, "地铁站广场"),
}
RISKS = ("low", "medium", "high", "major")


@dataclass
class DemoHazards:
    sources: int = 0
    devices: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # device code → key (the demo prints none of them)
    messages: int = 0
    raised: int = 0
    cleared: int = 0
    no_data: int = 0
    inspections: int = 0
    graded: int = 0


def load_sources(session: Session, per_street: int = 8, seed: int = 7) -> DemoHazards:
    """Register the classes and rules, then `per_street` sources per street (cycling the classes) on building
    addresses, each with one device."""
    rnd = random.Random(seed)
    out = DemoHazards()
    load_registry(session, SYSTEM_PRINCIPAL)
    if session.scalar(select(HazardSource.id).limit(1)) is not None:
        return out
    eng = library.engines(session)
    snap = cache.snapshot(session)
    by_street: dict[int, list[str]] = {}
    for rec in eng.records.values():
        if rec.level != "building" or rec.lon is None or not rec.grid_code or rec.grid_code not in snap.by_code:
            continue
        street = next((p.id for p in snap.ancestry(snap.by_code[rec.grid_code]) if p.level == "street"), None)
        if street is not None:
            by_street.setdefault(street, []).append(rec.code)
    classes = list(CLASS_DEVICES)
    now = utcnow()
    for street_id in sorted(by_street):
        codes = sorted(by_street[street_id])
        picks = rnd.sample(codes, min(per_street, len(codes)))
        for i, code in enumerate(picks):
            klass = classes[(street_id + i) % len(classes)]
            dtype, *_rest, stem = CLASS_DEVICES[klass]
            number = out.sources + 1
            contacts = [
                Contact(role, f"演示联系人{number}-{j + 1}", f"138000{number:05d}"[:11])
                for j, role in enumerate(CONTACT_ROLES)
            ]
            source = register_source(
                session,
                SYSTEM_PRINCIPAL,
                SourceIn(
                    code=f"HZ{number:05d}",
                    name=f"{snap.divisions[street_id].name}{stem}{number}（演示）",
                    class_code=klass,
                    responsible_unit=f"演示责任单位{number}",
                    risk_level=rnd.choice(RISKS),
                    address_code=code,
                    address_text=eng.records[code].full_name,
                    contacts=contacts,
                    inspection_days=rnd.choice((7, 14, 30)),
                    checklist=["现场安全警示标识齐全", "监测设备运行正常", "应急物资到位"],
                ),
            )
            source.created_at = now - timedelta(hours=rnd.uniform(0, 144))  # registered over the past six days
            new = register_device(
                session,
                SYSTEM_PRINCIPAL,
                code=f"DV{number:05d}",
                name=f"{stem}{dtype}监测",
                device_type=dtype,
                source_code=source.code,
            )
            out.keys[new.device.code] = new.key
            out.sources += 1
            out.devices += 1
    session.flush()
    out.graded = grade_all(session, SYSTEM_PRINCIPAL, now).graded  # grades first: they shorten inspection plans
    out.inspections = inspections.schedule_due(session, now)  # the first ones: some already due, a few overdue
    inspections.escalate_overdue(session, now)
    return out


def _value(klass: str, scenario: str, minute: int, total: int, rnd: random.Random) -> float:
    _dtype, _key, calm, alarming, _stem = CLASS_DEVICES[klass]
    noise = rnd.uniform(-0.2, 0.2) * calm
    if scenario == "rise" and minute > total // 3:  # climbs past the thresholds and stays there
        return alarming * min(1.0, (minute - total // 3) / (total / 6)) + noise
    if scenario == "chatter":  # swings across the create threshold every few minutes
        return alarming if math.sin(minute / 2.0) > 0 else calm * 4
    return calm + noise


def replay(session: Session, *, minutes: int = 180, end: datetime | None = None, seed: int = 11) -> DemoHazards:
    """A telemetry replay ending at `end` (now): one sample a minute per device, ingested a minute at a time;
    then a sweep judges the silent device. Runs in the caller's transaction."""
    rnd = random.Random(seed)
    end = end or utcnow()
    out = DemoHazards()
    rows = session.execute(
        select(Device, HazardSource.class_id)
        .join(HazardSource, HazardSource.id == Device.source_id)
        .order_by(Device.id)
    ).all()
    if not rows:
        return out
    from gridgov.hazards.models import HazardClass

    class_codes = {c.id: c.code for c in session.scalars(select(HazardClass))}
    plan: list[tuple[DeviceInfo, str, str]] = []
    for i, (device, class_id) in enumerate(rows):
        scenario = "calm"
        if i % 17 == 3:
            scenario = "rise"
        elif i % 29 == 5:
            scenario = "chatter"
        elif i % 31 == 7:
            scenario = "silent"
        plan.append((DeviceInfo.of(device), class_codes[class_id], scenario))
    start = end - timedelta(minutes=minutes)
    for minute in range(minutes):
        ts = (start + timedelta(minutes=minute)).timestamp()
        batch = []
        for info, klass, scenario in plan:
            if scenario == "silent" and minute > 20:
                continue
            key = CLASS_DEVICES[klass][1]
            batch.append((info, [Sample(ts, {key: round(_value(klass, scenario, minute, minutes, rnd), 4)})]))
        result = ingest(session, batch, now=start + timedelta(minutes=minute))
        out.messages += result.messages
        out.raised += result.changes["create"]
        out.cleared += result.changes["clear"]
    swept = sweep(session, end)
    out.no_data = swept.changes["create"]
    return out
