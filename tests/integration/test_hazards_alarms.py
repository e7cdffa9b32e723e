"""IoT alarms end to end over HTTP: a device's telemetry raises an alarm that opens exactly one case through the
intake port, escalation and clearing are recorded on that case, a chattering sensor adds to the same case, a
silent device raises a no-data alarm, bad payloads are refused with the field named and kept, acknowledging is
not clearing, and alarms are seen and acted on only inside the caller's area."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.dispatch.models import Event
from gridgov.hazards.ingest import sweep
from gridgov.hazards.models import Device, TelemetryReject
from hazards_support import alarm_notes, alarms_of, place_device

Login = Callable[[str], dict[str, str]]


def post(client: TestClient, key: str, samples: list[tuple[float, dict[str, float]]]) -> Any:
    body = [{"ts": int(ts * 1000), "values": v} for ts, v in samples]
    return client.post("/api/hazards/telemetry", json=body, headers={"X-Device-Key": key})


def minutes(start: float, values: list[float], key: str, step: float = 60.0) -> list[tuple[float, dict[str, float]]]:
    return [(start + i * step, {key: v}) for i, v in enumerate(values)]


def test_an_alarm_opens_one_case_escalates_on_it_and_clears_on_it(
    app_client: TestClient, engine: Engine, session: Session
) -> None:
    dev = place_device(engine, "water_level", "waterlogging")
    t0 = time.time() - 7200
    # 0.2 m for 11 minutes: minor after 600 s; then 0.4 m for 11 minutes: major; then 0.05 m for 16 minutes: clear
    r = post(app_client, dev.key, minutes(t0, [0.2] * 11, "water_level"))
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 11, "raised": 1, "escalated": 0, "cleared": 0}
    again = post(app_client, dev.key, minutes(t0 + 660, [0.4] * 11, "water_level"))
    assert again.json()["escalated"] == 1 and again.json()["raised"] == 0
    done = post(app_client, dev.key, minutes(t0 + 1320, [0.05] * 16, "water_level"))
    assert done.json()["cleared"] == 1
    (alarm,) = alarms_of(session, dev.device_id)
    assert (alarm.severity, alarm.active) == ("major", False)
    case = session.get(Event, alarm.case_id)
    assert case is not None and case.channel == "iot" and case.grid_id is not None
    assert case.origin is not None and case.origin["alarm_id"] == alarm.id
    assert "测试隐患源" in case.title and case.status == "reported"
    assert session.scalar(select(Event.id).where(Event.idempotency_key == f"hazard-alarm:{alarm.id}")) == case.id
    notes = alarm_notes(session, case.id)
    assert len(notes) == 2 and notes[0].startswith("告警升级：一般 → 严重") and notes[1].startswith("告警自动解除")


def test_a_chattering_sensor_adds_to_its_open_case_instead_of_a_storm(
    app_client: TestClient, engine: Engine, session: Session
) -> None:
    dev = place_device(engine, "smoke", "fire")
    t0 = time.time() - 7200
    chatter = [0.3, 0.01] * 10  # across the create threshold every minute: the clear needs 5 quiet minutes
    assert post(app_client, dev.key, minutes(t0, chatter, "smoke")).json()["raised"] == 1
    quiet = post(app_client, dev.key, minutes(t0 + 1200, [0.01] * 7, "smoke"))
    assert quiet.json()["cleared"] == 1
    back = post(app_client, dev.key, minutes(t0 + 1620, [0.3, 0.01] * 5, "smoke"))
    assert back.json()["raised"] == 1
    alarms = alarms_of(session, dev.device_id)
    assert len(alarms) == 2 and alarms[0].case_id == alarms[1].case_id  # two episodes, one open case
    assert alarms[1].case_id is not None
    assert any(n.startswith("告警再次触发") for n in alarm_notes(session, alarms[1].case_id))
    cases = session.scalars(
        select(Event.id).where(Event.channel == "iot", Event.title.contains(dev.source_code[1:]))
    ).all()
    assert len(cases) == 1


def test_repeating_condition_and_severity_only_rises(app_client: TestClient, engine: Engine, session: Session) -> None:
    dev = place_device(engine, "gas", "gas")
    t0 = time.time() - 7200
    assert post(app_client, dev.key, minutes(t0, [12, 1, 12], "gas_lel", step=600)).json()["raised"] == 0
    assert post(app_client, dev.key, [(t0 + 1800, {"gas_lel": 12})]).json()["raised"] == 1  # 3 times in an hour
    assert post(app_client, dev.key, [(t0 + 1860, {"gas_lel": 30})]).json()["escalated"] == 1
    assert post(app_client, dev.key, [(t0 + 1920, {"gas_lel": 12})]).json() == {
        "accepted": 1,
        "raised": 0,
        "escalated": 0,
        "cleared": 0,
    }
    (alarm,) = alarms_of(session, dev.device_id)
    assert alarm.severity == "critical" and alarm.active


def test_bad_payloads_are_refused_with_the_field_and_kept(
    app_client: TestClient, engine: Engine, session: Session
) -> None:
    dev = place_device(engine, "smoke", "fire")
    headers = {"X-Device-Key": dev.key, "Content-Type": "application/json"}
    cases = [
        (b"{not json", "body"),
        (b'[{"ts": "soon", "values": {"smoke": 0.1}}]', "telemetry[0].ts"),
        (b'[{"ts": 1, "values": {"smoke": "high"}}]', "telemetry[0].values.smoke"),
        (b"[]", "telemetry"),
        (b'[{"ts": 99999999999999, "values": {"smoke": 0.1}}]', "telemetry[0].ts"),
    ]
    for raw, field in cases:
        r = app_client.post("/api/hazards/telemetry", content=raw, headers=headers)
        assert r.status_code == 422, raw
        assert r.json()["error"]["field"] == field
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message"])
    kept = session.scalars(
        select(TelemetryReject).where(TelemetryReject.device_code == dev.device_code).order_by(TelemetryReject.id)
    ).all()
    assert [k.body.encode() for k in kept] == [raw for raw, _ in cases]
    assert [k.field for k in kept] == [f for _, f in cases] and all(k.transport == "http" for k in kept)
    assert not session.scalars(select(Device.last_seen_at).where(Device.id == dev.device_id)).first()
    wrong = app_client.post(
        "/api/hazards/telemetry", json=[{"values": {"smoke": 0}}], headers={"X-Device-Key": "gdk_nope"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["field"] == "X-Device-Key"


def test_a_silent_device_raises_a_no_data_alarm_and_data_clears_it(
    app_client: TestClient, engine: Engine, session: Session
) -> None:
    dev = place_device(engine, "tilt", "geology")
    t0 = time.time() - 3600
    assert post(app_client, dev.key, [(t0, {"tilt": 0.2})]).status_code == 200
    device = session.get(Device, dev.device_id)
    assert device is not None and device.online
    done = one_action(sweep, session, utcnow())
    assert done.changes["create"] >= 1
    session.expire_all()
    assert session.get(Device, dev.device_id).online is False  # type: ignore[union-attr]
    (alarm,) = alarms_of(session, dev.device_id)
    assert alarm.alarm_type == "设备离线" and alarm.active and alarm.case_id is not None
    one_action(sweep, session, utcnow())  # still silent: the same alarm, no second one
    assert [a.id for a in alarms_of(session, dev.device_id)] == [alarm.id]
    assert post(app_client, dev.key, [(time.time(), {"tilt": 0.2})]).json()["cleared"] == 1
    (alarm,) = alarms_of(session, dev.device_id)
    assert not alarm.active and session.get(Device, dev.device_id).online  # type: ignore[union-attr]


def test_acknowledge_is_not_clear_and_both_stay_in_scope(
    app_client: TestClient, engine: Engine, session: Session, login: Login
) -> None:
    dev = place_device(engine, "smoke", "fire", street_index=0)
    other = place_device(engine, "smoke", "fire", street_index=1)
    assert post(app_client, dev.key, [(time.time() - 60, {"smoke": 0.5})]).json()["raised"] == 1
    (alarm,) = alarms_of(session, dev.device_id)
    mine, theirs = login(f"dsp_{dev.street_code}"), login(f"dsp_{other.street_code}")
    listed = {a["id"] for a in app_client.get("/api/hazards/alarms", headers=mine).json()}
    assert alarm.id in listed
    assert alarm.id not in {a["id"] for a in app_client.get("/api/hazards/alarms", headers=theirs).json()}
    assert app_client.post(f"/api/hazards/alarms/{alarm.id}/acknowledge", headers=theirs).status_code == 404
    ack = app_client.post(f"/api/hazards/alarms/{alarm.id}/acknowledge", headers=mine)
    assert ack.status_code == 200 and ack.json()["active"] and ack.json()["status"] == "active_ack"
    twice = app_client.post(f"/api/hazards/alarms/{alarm.id}/acknowledge", headers=mine)
    assert twice.status_code == 409 and twice.json()["error"]["allowed"] == ["clear"]
    empty = app_client.post(f"/api/hazards/alarms/{alarm.id}/clear", json={"note": ""}, headers=mine)
    assert empty.status_code == 422
    cleared = app_client.post(f"/api/hazards/alarms/{alarm.id}/clear", json={"note": "现场核实为误报"}, headers=mine)
    assert cleared.status_code == 200 and cleared.json()["status"] == "cleared_ack"
    assert alarm.case_id is not None
    assert alarm_notes(session, alarm.case_id)[-1] == "告警人工解除：现场核实为误报"
    sources = app_client.get("/api/hazards/sources", params={"class_code": "fire"}, headers=mine).json()
    assert dev.source_code in {s["code"] for s in sources} and other.source_code not in {s["code"] for s in sources}
    phone = next(s for s in sources if s["code"] == dev.source_code)["contacts"][0]["phone"]
    assert phone == "138****1111"


def test_rules_are_data_edited_by_the_admin_with_a_dry_run(
    app_client: TestClient, engine: Engine, login: Login
) -> None:
    dev = place_device(engine, "water_level", "waterlogging")
    t0 = time.time() - 7200
    post(app_client, dev.key, minutes(t0, [0.0, 0.2, 0.2, 0.0], "water_level"))
    admin = login("admin")
    spec = {
        "alarm_type": "试验",
        "create": {"minor": {"key": "water_level", "op": ">", "value": 0.1}},
        "clear": {"key": "water_level", "op": "<", "value": 0.1},
    }
    run = app_client.post(
        "/api/hazards/rules/dry-run", json={"spec": spec, "device_code": dev.device_code}, headers=admin
    )
    assert run.status_code == 200, run.text
    assert run.json()["samples"] == 4 and [o["change"] for o in run.json()["outcomes"]] == ["create", "clear"]
    bad = {"name": "积水", "spec": {**spec, "create": {"minor": {"key": "water_level", "op": "≈"}}}}
    r = app_client.put("/api/hazards/rules/water-high", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "spec.create.minor.op"
    assert app_client.get("/api/hazards/rules", headers=login(f"dsp_{dev.street_code}")).status_code == 403


def test_the_admin_lists_devices_by_type_for_the_dry_run(app_client: TestClient, engine: Engine, login: Login) -> None:
    dev = place_device(engine, "gas", "gas")
    admin = login("admin")
    listed = app_client.get("/api/hazards/devices", params={"device_type": "gas", "limit": 1000}, headers=admin)
    assert listed.status_code == 200, listed.text
    assert dev.device_code in {d["code"] for d in listed.json()} and {d["device_type"] for d in listed.json()} == {
        "gas"
    }
    assert app_client.get("/api/hazards/devices", headers=login(f"dsp_{dev.street_code}")).status_code == 403
