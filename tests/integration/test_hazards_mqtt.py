"""MQTT end to end against a real broker: Debian's mosquitto, started by the fixture on a free port (skipped with
a message when it is not installed). A device publishes with paho-mqtt; the bridge ingests, raises the alarm and
its case, and keeps what it refuses."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.uow import UnitOfWork
from gridgov.db import session_factory
from gridgov.hazards.models import Telemetry, TelemetryReject
from gridgov.hazards.mqtt import MqttIngest, process, topic_for
from hazards_support import alarms_of, place_device

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install -y mosquitto): the MQTT test needs a real broker")
    port = _free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"mosquitto exited: {proc.stderr.read().decode() if proc.stderr else ''}")
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_telemetry_over_mqtt_raises_the_alarm_and_keeps_refusals(broker: int, engine: Engine, session: Session) -> None:
    dev = place_device(engine, "smoke", "fire")
    bridge = MqttIngest(session_factory(engine), "127.0.0.1", broker, interval=0.05)
    bridge.start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"device-{dev.device_code}")
    try:
        assert bridge.subscribed.wait(10), "the bridge did not subscribe"
        publisher.connect("127.0.0.1", broker)
        publisher.loop_start()
        now_ms = int(time.time() * 1000)
        samples = [{"ts": now_ms - 60_000 + i * 1000, "values": {"smoke": 0.01}} for i in range(50)]
        samples.append({"ts": now_ms, "values": {"smoke": 0.4}})
        topic = topic_for(dev.device_code)
        publisher.publish(topic, json.dumps({"key": dev.key, "telemetry": samples}), qos=1).wait_for_publish(5)
        publisher.publish(topic, b"{broken", qos=1).wait_for_publish(5)
        publisher.publish(topic, json.dumps({"key": "gdk_forged", "telemetry": samples}), qos=1).wait_for_publish(5)

        def stored() -> int:
            session.expire_all()
            return len(session.scalars(select(Telemetry.id).where(Telemetry.device_id == dev.device_id)).all())

        assert _wait(lambda: stored() == 51), f"{stored()} of 51 samples arrived"
        assert _wait(
            lambda: (
                len(
                    session.scalars(
                        select(TelemetryReject.id).where(TelemetryReject.device_code == dev.device_code)
                    ).all()
                )
                == 2
            )
        )
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        bridge.stop()
    (alarm,) = alarms_of(session, dev.device_id)
    assert alarm.active and alarm.severity == "major" and alarm.case_id is not None
    kept = session.scalars(
        select(TelemetryReject).where(TelemetryReject.device_code == dev.device_code).order_by(TelemetryReject.id)
    ).all()
    assert [(k.transport, k.field) for k in kept] == [("mqtt", "body"), ("mqtt", "key")]
    assert kept[0].body == "{broken"


def test_a_flush_looks_keys_up_once_and_ingests_each_device_as_one_run(engine: Engine, session: Session) -> None:
    one, two = place_device(engine, "smoke", "fire"), place_device(engine, "water_level", "waterlogging")
    now_ms = int(time.time() * 1000)

    def msg(dev_code: str, key: str, ts: int, values: dict[str, float]) -> tuple[str, bytes]:
        body = {"key": key, "telemetry": [{"ts": ts, "values": values}]}
        return topic_for(dev_code), json.dumps(body).encode()

    flush = [
        msg(one.device_code, one.key, now_ms - 2000, {"smoke": 0.01}),
        msg(two.device_code, two.key, now_ms - 2000, {"water_level": 0.02}),
        msg(one.device_code, one.key, now_ms - 1000, {"smoke": 0.5}),  # the same device again: one run
        msg(one.device_code, two.key, now_ms, {"smoke": 0.5}),  # another device's key on this topic
        (topic_for(two.device_code), b"[1, 2"),
    ]
    with UnitOfWork(session):
        done = process(session, flush)
    assert done.rejected == 2 and done.ingested.messages == 3 and done.ingested.changes["create"] == 1
    session.expire_all()
    fields = session.scalars(
        select(TelemetryReject.field)
        .where(TelemetryReject.device_code.in_([one.device_code, two.device_code]))
        .order_by(TelemetryReject.id)
    ).all()
    assert list(fields) == ["key", "body"]
