"""The hazards context's tables: hazard classes (data), hazard sources, devices (one hashed key each), alarm
rules (data, per device type), telemetry, refused payloads kept for inspection, each device's rule memory and
the alarms with the case each one opened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime

PATH = String(128).with_variant(String(128, collation="C"), "postgresql")  # subtree ranges order like SQLite


class HazardClass(Base):
    """A class of hazard source (生产安全, 消防, …), loaded from hazards/data/registry.toml."""

    __tablename__ = "hazard_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(16), default="#888888")
    category_code: Mapped[str | None] = mapped_column(String(5))  # the 小类 an alarm's case is reported under


class HazardSource(Base):
    """隐患源: a place (standard address or polygon) with its responsible unit, the four contacts, risk level,
    inspection plan and status. Its grid and division path come from the place."""

    __tablename__ = "hazard_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    class_id: Mapped[int] = mapped_column(ForeignKey("hazard_class.id"), index=True)
    address_code: Mapped[str | None] = mapped_column(String(64))
    address_text: Mapped[str] = mapped_column(String(300), default="")
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # GeoJSON Polygon
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)
    responsible_unit: Mapped[str] = mapped_column(String(200))
    # 四个联系人: name and role per contact; phones encrypted (contacts_enc), masked in responses
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    risk_level: Mapped[str] = mapped_column(String(16))
    inspection_days: Mapped[int] = mapped_column(Integer, default=30)
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Device(Base):
    """A sensor registered to a place and a hazard source. Its key is shown once; only its SHA-256 is kept."""

    __tablename__ = "hazard_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(ForeignKey("hazard_source.id"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class AlarmRuleRow(Base):
    """An alarm rule as data: its spec (create per severity, clear) applies to every device of its type."""

    __tablename__ = "alarm_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(32), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Telemetry(Base):
    """One message: a device's values at a time (`ts`: POSIX milliseconds, as devices send it)."""

    __tablename__ = "telemetry"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[int] = mapped_column(BigInteger)
    values: Mapped[dict[str, float]] = mapped_column(JSON)


Index("ix_telemetry_device_ts", Telemetry.device_id, Telemetry.ts)


class TelemetryReject(Base):
    """A payload that was refused, kept as it arrived with the reason, for inspection."""

    __tablename__ = "telemetry_reject"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    transport: Mapped[str] = mapped_column(String(16))  # http / mqtt
    device_id: Mapped[int | None] = mapped_column(Integer)
    device_code: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)


class RuleMemory(Base):
    """What one rule remembers about one device between batches (its alarm, durations, repeat hits)."""

    __tablename__ = "alarm_rule_state"

    device_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class Alarm(Base):
    """One alarm episode of a device under a rule: raised, maybe escalated, acknowledged and cleared; `case_id`
    is the one case it opened (or the still open case of the same device and type it was added to)."""

    __tablename__ = "hazard_alarm"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("hazard_device.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alarm_rule.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("hazard_source.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH, index=True)
    alarm_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_by: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    clear_reason: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)

    __table_args__ = (UniqueConstraint("device_id", "rule_id", "started_at", name="uq_alarm_device_rule_start"),)
