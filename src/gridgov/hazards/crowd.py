"""Crowd heat (人流热力): the latest count of each crowd counter (device type ``crowd``, telemetry key ``density``,
persons per m²) in the caller's area within the last WINDOW_S seconds, as points for the /ioc heat layer. The
intensity of a point is its density against the highest density threshold of the enabled crowd rules (the same
rules that raise the density alarms, which are data like every rule), capped at 1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.hazards.ingest import enabled_rules
from gridgov.hazards.models import Device, HazardSource, Telemetry
from gridgov.hazards.rules import AlarmRule
from gridgov.hazards.scope import where

CROWD_TYPE = "crowd"
DENSITY_KEY = "density"
WINDOW_S = 900.0


@dataclass(frozen=True, slots=True)
class CrowdPoint:
    source_code: str
    source_name: str
    device_code: str
    lon: float
    lat: float
    density: float
    at: datetime
    intensity: float


def density_scale(rules: list[AlarmRule]) -> float | None:
    """The highest density threshold among the rules' create conditions (None when no rule watches density)."""
    values = [c.value for r in rules for _s, c in r.create if c.key == DENSITY_KEY]
    return max(values) if values else None


def intensity(density: float, scale: float | None) -> float:
    if scale is None or scale <= 0:
        return 1.0 if density > 0 else 0.0
    return max(0.0, min(1.0, density / scale))


def crowd_heat(
    session: Session, actor: Principal, now: datetime | None = None
) -> tuple[list[CrowdPoint], float | None]:
    now = now or utcnow()
    scale = density_scale([r.rule for r in enabled_rules(session) if r.device_type == CROWD_TYPE])
    devices = session.execute(
        select(Device.id, Device.code, Device.lon, Device.lat, HazardSource.code, HazardSource.name)
        .join(HazardSource, HazardSource.id == Device.source_id)
        .where(
            Device.device_type == CROWD_TYPE,
            Device.enabled.is_(True),
            Device.lon.is_not(None),
            where(actor, Device.division_path, Device.grid_id),
        )
        .order_by(Device.id)
    ).all()
    if not devices:
        return [], scale
    floor = round((now.timestamp() - WINDOW_S) * 1000)
    latest = (
        select(Telemetry.device_id, func.max(Telemetry.ts).label("ts"))
        .where(Telemetry.device_id.in_([d[0] for d in devices]), Telemetry.ts >= floor)
        .group_by(Telemetry.device_id)
        .subquery()
    )
    values = {
        device_id: (ts, vals)
        for device_id, ts, vals in session.execute(
            select(Telemetry.device_id, Telemetry.ts, Telemetry.values).join(
                latest, (latest.c.device_id == Telemetry.device_id) & (latest.c.ts == Telemetry.ts)
            )
        )
    }
    points = []
    for device_id, code, lon, lat, source_code, source_name in devices:
        got = values.get(device_id)
        density = got[1].get(DENSITY_KEY) if got else None
        if got is None or density is None or lon is None or lat is None:
            continue
        at = datetime.fromtimestamp(got[0] / 1000, now.tzinfo)
        points.append(
            CrowdPoint(source_code, source_name, code, lon, lat, float(density), at, intensity(float(density), scale))
        )
    return points, scale
