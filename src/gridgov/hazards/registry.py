"""The registry: hazard classes, device types and built-in alarm rules loaded from data (data/registry.toml);
hazard sources placed on the map (standard address, polygon or point → grid and division path) with their
responsible unit, four contacts (phones encrypted), risk level and inspection plan; devices registered to a
source, each with one key shown once and kept as its SHA-256."""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.common.audit import record_audit
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.scope import may_see
from gridgov.common.security import mask_phone, normalize_phone, pii_cipher, secret_digest
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.hazards.audit import HazardAudit
from gridgov.hazards.models import AlarmRuleRow, Device, HazardClass, HazardSource
from gridgov.hazards.rules import parse_rule
from gridgov.org import cache
from gridgov.org.spatial import grid_locator

DEVICE_KEY_PREFIX = "gdk_"
CONTACT_ROLES = ("主体责任人", "安全管理人", "网格责任人", "监管责任人")  # 四个联系人
REGISTRARS = frozenset({Role.ADMIN, Role.SYSTEM})


@published("hazard_risk_level")
class RiskLevel(ChoiceSet):
    LOW = ("low", "低风险", "#52c41a")
    MEDIUM = ("medium", "中风险", "#faad14")
    HIGH = ("high", "高风险", "#fa541c")
    MAJOR = ("major", "重大风险", "#cf1322")


def registry_data() -> dict[str, Any]:
    text = resources.files("gridgov.hazards").joinpath("data/registry.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def device_types() -> dict[str, dict[str, Any]]:
    return {t["code"]: t for t in registry_data()["device_type"]}


def load_registry(session: Session, actor: Principal) -> dict[str, int]:
    """Hazard classes and built-in rules from the data file; classes are updated in place, a rule already there
    keeps its (maybe edited) spec."""
    data = registry_data()
    classes = {c.code: c for c in session.scalars(select(HazardClass))}
    for item in data["class"]:
        row = classes.get(item["code"]) or HazardClass(code=item["code"])
        row.name, row.color, row.category_code = item["name"], item.get("color", "#888888"), item.get("category_code")
        session.add(row)
    rules = set(session.scalars(select(AlarmRuleRow.code)))
    added = 0
    for item in data["rule"]:
        parse_rule(item["spec"], f"rule[{item['code']}]")  # the shipped data is checked like an admin's edit
        if item["code"] not in rules:
            session.add(
                AlarmRuleRow(
                    code=item["code"],
                    name=item["name"],
                    device_type=item["device_type"],
                    spec=item["spec"],
                    updated_at=utcnow(),
                )
            )
            added += 1
    session.flush()
    counts = {"classes": len(data["class"]), "rules_added": added}
    record_audit(session, actor, HazardAudit.REGISTRY_LOAD, "hazard_registry", 0, counts)
    return counts


@dataclass
class Contact:
    role: str
    name: str
    phone: str


@dataclass
class SourceIn:
    code: str
    name: str
    class_code: str
    responsible_unit: str
    risk_level: str = RiskLevel.MEDIUM.value
    address_code: str | None = None
    address_text: str = ""
    polygon: dict[str, Any] | None = None
    lon: float | None = None
    lat: float | None = None
    contacts: list[Contact] = field(default_factory=list)
    inspection_days: int = 30
    checklist: list[str] = field(default_factory=list)


def _place(session: Session, cmd: SourceIn) -> tuple[float, float, int | None, str | None]:
    """lon, lat, grid id and the address code of a source's place."""
    address_code = cmd.address_code
    lon, lat = cmd.lon, cmd.lat
    grid_id: int | None = None
    snap = cache.snapshot(session)
    if address_code:
        eng = library.engines(session)
        rec = eng.records.get(address_code)
        if rec is None:
            raise InvalidInput(f"标准地址“{address_code}”不存在", field="address_code")
        if rec.lon is None or rec.lat is None:
            raise InvalidInput("该标准地址没有坐标，请同时提供经纬度或范围", field="address_code")
        lon, lat = rec.lon, rec.lat
        grid_code = eng.grid_of(rec.code)
        grid_id = snap.by_code.get(grid_code) if grid_code else None
    elif cmd.polygon is not None:
        try:
            geom = shape(cmd.polygon)
        except Exception:
            raise InvalidInput("范围应为 GeoJSON 多边形", field="polygon") from None
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
            raise InvalidInput("范围应为有效的 GeoJSON 多边形", field="polygon")
        point = geom.representative_point()
        lon, lat = point.x, point.y
    if lon is None or lat is None:
        raise InvalidInput("请提供标准地址、范围（多边形）或经纬度", field="address_code")
    if grid_id is None:
        grid_id = grid_locator(session).locate(lon, lat)
    if grid_id is None:
        raise InvalidInput("位置不在任何网格内，请核对", field="lon" if cmd.address_code is None else "address_code")
    return round(lon, 6), round(lat, 6), grid_id, address_code


def register_source(session: Session, actor: Principal, cmd: SourceIn) -> HazardSource:
    if actor.role not in REGISTRARS:
        raise Forbidden("只有系统管理员可以登记隐患源", field="role")
    if not cmd.code.strip() or not cmd.name.strip():
        raise InvalidInput("请填写隐患源编号和名称", field="code" if not cmd.code.strip() else "name")
    if not cmd.responsible_unit.strip():
        raise InvalidInput("请填写责任单位", field="responsible_unit")
    try:
        RiskLevel(cmd.risk_level)
    except ValueError:
        allowed = "、".join(f"{r.value}（{r.label}）" for r in RiskLevel)
        raise InvalidInput(f"风险等级“{cmd.risk_level}”不存在；可选：{allowed}", field="risk_level") from None
    if cmd.inspection_days < 1 or cmd.inspection_days > 366:
        raise InvalidInput("巡查周期应为 1–366 天", field="inspection_days")
    klass = session.scalar(select(HazardClass).where(HazardClass.code == cmd.class_code))
    if klass is None:
        raise InvalidInput(f"隐患类别“{cmd.class_code}”不存在", field="class_code")
    if session.scalar(select(HazardSource.id).where(HazardSource.code == cmd.code)) is not None:
        raise Conflict(f"隐患源编号“{cmd.code}”已存在", field="code")
    lon, lat, grid_id, address_code = _place(session, cmd)
    snap = cache.snapshot(session)
    path = snap.divisions[grid_id].path if grid_id is not None else snap.divisions[snap.root_id].path
    if not may_see(actor, path):
        raise Forbidden("该位置不在您的管辖范围内", field="address_code")
    cipher = pii_cipher(settings_of(session).pii_secret)
    contacts = []
    for i, c in enumerate(cmd.contacts):
        if c.role not in CONTACT_ROLES:
            raise InvalidInput(f"联系人角色应为：{'、'.join(CONTACT_ROLES)}", field=f"contacts[{i}].role")
        phone = normalize_phone(c.phone)
        if not phone.isdigit() or not 7 <= len(phone) <= 12:
            raise InvalidInput("联系电话格式不正确", field=f"contacts[{i}].phone")
        contacts.append(
            {"role": c.role, "name": c.name, "phone_enc": cipher.encrypt(phone), "phone_masked": mask_phone(phone)}
        )
    row = HazardSource(
        code=cmd.code.strip(),
        name=cmd.name.strip(),
        class_id=klass.id,
        address_code=address_code,
        address_text=cmd.address_text,
        polygon=cmd.polygon,
        lon=lon,
        lat=lat,
        grid_id=grid_id,
        division_path=path,
        responsible_unit=cmd.responsible_unit.strip(),
        contacts=contacts,
        risk_level=cmd.risk_level,
        inspection_days=cmd.inspection_days,
        checklist=list(cmd.checklist),
        status="active",
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    record_audit(session, actor, HazardAudit.SOURCE_REGISTER, "hazard_source", row.id, {"code": row.code})
    bus.publish(session, "hazards.source_registered", "hazard_source", row.id, {"code": row.code}, actor=actor)
    return row


@dataclass(frozen=True)
class NewDevice:
    device: Device
    key: str  # shown once


def device_key_digest(key: str) -> str:
    return secret_digest(key)


def register_device(
    session: Session,
    actor: Principal,
    *,
    code: str,
    name: str,
    device_type: str,
    source_code: str,
    lon: float | None = None,
    lat: float | None = None,
) -> NewDevice:
    if actor.role not in REGISTRARS:
        raise Forbidden("只有系统管理员可以登记设备", field="role")
    if not code.strip():
        raise InvalidInput("请填写设备编号", field="code")
    types = device_types()
    if device_type not in types:
        raise InvalidInput(f"设备类型“{device_type}”不存在；可选：{'、'.join(types)}", field="device_type")
    source = session.scalar(select(HazardSource).where(HazardSource.code == source_code))
    if source is None or not may_see(actor, source.division_path):
        raise NotFound(f"隐患源“{source_code}”不存在", field="source_code")
    if session.scalar(select(Device.id).where(Device.code == code)) is not None:
        raise Conflict(f"设备编号“{code}”已存在", field="code")
    grid_id, path = source.grid_id, source.division_path
    if lon is not None and lat is not None:
        grid_id = grid_locator(session).locate(lon, lat) or source.grid_id
        path = cache.snapshot(session).divisions[grid_id].path if grid_id is not None else path
    key = DEVICE_KEY_PREFIX + secrets.token_urlsafe(24)
    row = Device(
        code=code.strip(),
        name=name.strip() or code.strip(),
        device_type=device_type,
        source_id=source.id,
        lon=lon if lon is not None else source.lon,
        lat=lat if lat is not None else source.lat,
        grid_id=grid_id,
        division_path=path,
        key_hash=device_key_digest(key),
        registered_at=utcnow(),
        online=False,
        enabled=True,
    )
    session.add(row)
    session.flush()
    record_audit(session, actor, HazardAudit.DEVICE_REGISTER, "hazard_device", row.id, {"code": row.code})
    bus.publish(session, "hazards.device_registered", "hazard_device", row.id, {"code": row.code}, actor=actor)
    return NewDevice(row, key)


def device_by_key(session: Session, key: str | None) -> Device | None:
    if not key or not key.startswith(DEVICE_KEY_PREFIX):
        return None
    return session.scalar(select(Device).where(Device.key_hash == device_key_digest(key), Device.enabled.is_(True)))


def devices_by_keys(session: Session, keys: set[str]) -> dict[str, Device]:
    """The enabled devices of many keys in one query (a flush of MQTT messages), by key."""
    digests = {device_key_digest(k): k for k in keys if k.startswith(DEVICE_KEY_PREFIX)}
    if not digests:
        return {}
    rows = session.scalars(select(Device).where(Device.key_hash.in_(list(digests)), Device.enabled.is_(True)))
    return {digests[d.key_hash]: d for d in rows}
