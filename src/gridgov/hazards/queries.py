"""Reads of the hazards context, scoped in the query: sources (with their devices and active alarms) and alarms,
for the lists and the /ioc hazard layer."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gridgov.common.errors import NotFound
from gridgov.common.principal import Principal
from gridgov.dispatch.models import Event
from gridgov.hazards import scope
from gridgov.hazards.models import Alarm, Device, HazardClass, HazardSource
from gridgov.hazards.registry import RiskLevel
from gridgov.hazards.rules import Severity, status_of
from gridgov.hazards.schemas import AlarmOut, ContactOut, DeviceOut, SourceOut
from gridgov.org import cache


def _street(session: Session, grid_id: int | None) -> tuple[str | None, str | None]:
    snap = cache.snapshot(session)
    if grid_id is None or grid_id not in snap.divisions:
        return None, None
    street = next((p for p in snap.ancestry(grid_id) if p.level == "street"), None)
    return snap.divisions[grid_id].code, snap.divisions[street.id].name if street else None


def list_sources(
    session: Session,
    actor: Principal,
    *,
    class_code: str | None = None,
    risk_level: str | None = None,
    limit: int = 1000,
) -> list[SourceOut]:
    q = (
        select(HazardSource, HazardClass)
        .join(HazardClass, HazardClass.id == HazardSource.class_id)
        .where(scope.where(actor, HazardSource.division_path, HazardSource.grid_id))
        .order_by(HazardSource.id)
        .limit(limit)
    )
    if class_code:
        q = q.where(HazardClass.code == class_code)
    if risk_level:
        q = q.where(HazardSource.risk_level == risk_level)
    rows = session.execute(q).all()
    ids = [s.id for s, _ in rows]
    devices: dict[int, tuple[int, int]] = {}
    alarms: dict[int, int] = {}
    if ids:
        for sid, n, up in session.execute(
            select(Device.source_id, func.count(), func.sum(case((Device.online.is_(True), 1), else_=0)))
            .where(Device.source_id.in_(ids))
            .group_by(Device.source_id)
        ):
            devices[sid] = (int(n), int(up or 0))
        for sid, n in session.execute(
            select(Alarm.source_id, func.count())
            .where(Alarm.source_id.in_(ids), Alarm.active.is_(True))
            .group_by(Alarm.source_id)
        ):
            alarms[sid] = int(n)
    out = []
    for s, c in rows:
        grid_code, street = _street(session, s.grid_id)
        n, up = devices.get(s.id, (0, 0))
        out.append(
            SourceOut(
                id=s.id,
                code=s.code,
                name=s.name,
                class_code=c.code,
                class_name=c.name,
                color=c.color,
                risk_level=s.risk_level,
                risk_label=RiskLevel(s.risk_level).label,
                responsible_unit=s.responsible_unit,
                address_text=s.address_text,
                lon=s.lon,
                lat=s.lat,
                polygon=s.polygon,
                grid_code=grid_code,
                street=street,
                contacts=[ContactOut(role=x["role"], name=x["name"], phone=x["phone_masked"]) for x in s.contacts],
                inspection_days=s.inspection_days,
                checklist=list(s.checklist),
                status=s.status,
                devices=n,
                devices_online=up,
                active_alarms=alarms.get(s.id, 0),
            )
        )
    return out


def list_alarms(
    session: Session, actor: Principal, *, active_only: bool = True, limit: int = 200, alarm_id: int | None = None
) -> list[AlarmOut]:
    q = (
        select(
            Alarm,
            Device.code,
            Device.lon,
            Device.lat,
            HazardSource.code,
            HazardSource.name,
            HazardClass.name,
            Event.number,
        )
        .join(Device, Device.id == Alarm.device_id)
        .join(HazardSource, HazardSource.id == Alarm.source_id)
        .join(HazardClass, HazardClass.id == HazardSource.class_id)
        .outerjoin(Event, Event.id == Alarm.case_id)
        .where(scope.where(actor, Alarm.division_path, Alarm.grid_id))
        .order_by(Alarm.id.desc())
        .limit(limit)
    )
    if active_only:
        q = q.where(Alarm.active.is_(True))
    if alarm_id is not None:
        q = q.where(Alarm.id == alarm_id)
    out = []
    for a, dcode, lon, lat, scode, sname, cname, number in session.execute(q):
        grid_code, street = _street(session, a.grid_id)
        st = status_of(a.active, a.acknowledged)
        out.append(
            AlarmOut(
                id=a.id,
                alarm_type=a.alarm_type,
                severity=a.severity,
                severity_label=Severity(a.severity).label,
                status=st.value,
                status_label=st.label,
                active=a.active,
                acknowledged=a.acknowledged,
                device_code=dcode,
                source_code=scode,
                source_name=sname,
                class_name=cname,
                grid_code=grid_code,
                street=street,
                lon=lon,
                lat=lat,
                reason=a.reason,
                started_at=a.started_at,
                updated_at=a.updated_at,
                cleared_at=a.cleared_at,
                clear_reason=a.clear_reason,
                case_id=a.case_id,
                case_number=number,
            )
        )
    return out


def alarm_by_id(session: Session, actor: Principal, alarm_id: int) -> AlarmOut:
    found = list_alarms(session, actor, active_only=False, limit=1, alarm_id=alarm_id)
    if not found:
        raise NotFound("告警不存在", field="alarm_id")
    return found[0]


def list_devices(session: Session, device_type: str | None, limit: int) -> list[DeviceOut]:
    """Devices (for the administrator), the most recently seen first."""
    q = (
        select(Device, HazardSource.code, HazardSource.name)
        .join(HazardSource, HazardSource.id == Device.source_id)
        .order_by(Device.last_seen_at.desc().nulls_last(), Device.id)
        .limit(limit)
    )
    if device_type:
        q = q.where(Device.device_type == device_type)
    return [
        DeviceOut(
            code=d.code,
            name=d.name,
            device_type=d.device_type,
            source_code=scode,
            source_name=sname,
            online=d.online,
            last_seen_at=d.last_seen_at,
        )
        for d, scode, sname in session.execute(q)
    ]
