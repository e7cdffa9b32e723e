"""Crowd heat: a crowd counter's latest density is a point of the /ioc heat layer in its area (intensity against
the density rule's highest threshold), stale counts drop out, and a density above the threshold for its duration
raises an alarm like any device's."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.hazards.crowd import intensity
from hazards_support import alarms_of, place_device

Login = Callable[[str], dict[str, str]]


def _post(client: TestClient, key: str, samples: list[tuple[float, float]]) -> dict[str, int]:
    body = [{"ts": int(ts * 1000), "values": {"density": v}} for ts, v in samples]
    r = client.post("/api/hazards/telemetry", json=body, headers={"X-Device-Key": key})
    assert r.status_code == 200, r.text
    out: dict[str, int] = r.json()
    return out


def test_crowd_counts_feed_the_heat_layer_and_raise_density_alarms(
    app_client: TestClient, engine: Engine, session: Session, login: Login
) -> None:
    dev = place_device(engine, "crowd", "crowd", street_index=0)
    stale = place_device(engine, "crowd", "crowd", street_index=0)
    other = place_device(engine, "crowd", "crowd", street_index=1)
    now = time.time()
    done = _post(app_client, dev.key, [(now - 420 + 60 * i, 4.5) for i in range(7)])  # > 4 for 6 minutes
    assert done["raised"] == 1
    (alarm,) = alarms_of(session, dev.device_id)
    assert alarm.alarm_type == "人员密度超限" and alarm.severity == "major" and alarm.case_id is not None
    _post(app_client, stale.key, [(now - 3600, 1.0)])  # an hour old: not on the layer
    _post(app_client, other.key, [(now - 60, 3.0)])
    heat = app_client.get("/api/hazards/crowd-heat", headers=login(f"dsp_{dev.street_code}"))
    assert heat.status_code == 200, heat.text
    body = heat.json()
    assert body["scale"] == 4.0
    points = {p["device_code"]: p for p in body["points"]}
    assert points[dev.device_code]["density"] == 4.5 and points[dev.device_code]["intensity"] == 1.0
    assert stale.device_code not in points and other.device_code not in points  # stale, and another street
    _post(app_client, dev.key, [(now, 2.0)])
    again = app_client.get("/api/hazards/crowd-heat", headers=login(f"dsp_{dev.street_code}")).json()
    assert {p["device_code"]: p["intensity"] for p in again["points"]}[dev.device_code] == 0.5


def test_intensity_is_density_against_the_threshold_capped() -> None:
    assert intensity(2.0, 4.0) == 0.5 and intensity(9.0, 4.0) == 1.0 and intensity(-1.0, 4.0) == 0.0
    assert intensity(3.0, None) == 1.0 and intensity(0.0, None) == 0.0
