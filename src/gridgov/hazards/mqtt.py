"""Telemetry over MQTT (paho-mqtt against a broker such as Debian's mosquitto). A device publishes to
``gridgov/devices/<device code>/telemetry`` a JSON object ``{"key": "<device key>", "telemetry": <payload>}``
(the payload as over HTTP). The bridge subscribes, buffers what arrives and ingests it in batches — one unit of
work per flush — so a burst costs one transaction, not one per message. A message whose key does not match the
topic's device, or whose payload is refused, is kept as a rejected payload with its reason."""

from __future__ import annotations

import json
import logging
import operator
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.errors import InvalidInput
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.hazards.alarms import DeviceInfo
from gridgov.hazards.ingest import IngestResult, ingest, keep_reject
from gridgov.hazards.payload import Sample, parse_samples
from gridgov.hazards.registry import devices_by_keys

log = logging.getLogger(__name__)
TOPIC = "gridgov/devices/+/telemetry"
_NOT_JSON = object()
_TS = operator.attrgetter("ts")


def topic_for(device_code: str) -> str:
    return f"gridgov/devices/{device_code}/telemetry"


@dataclass
class FlushResult:
    ingested: IngestResult
    rejected: int


def _device_code(topic: str) -> str | None:
    parts = topic.split("/")
    return (
        parts[2]
        if len(parts) == 4 and parts[0] == "gridgov" and parts[1] == "devices" and parts[3] == "telemetry"
        else None
    )


def process(session: Session, messages: Sequence[tuple[str, bytes]]) -> FlushResult:
    """Ingest a flush of (topic, payload) messages in the caller's transaction; refused ones are kept. The keys of
    the whole flush are looked up in one query, and each device's samples go to the ingest as one run."""
    now = utcnow()
    parsed: list[tuple[str, bytes, str | None, Any]] = []
    for topic, raw in messages:
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = _NOT_JSON
        parsed.append((topic, raw, _device_code(topic), body))
    keys = {b["key"] for *_r, b in parsed if isinstance(b, dict) and isinstance(b.get("key"), str)}
    devices = devices_by_keys(session, keys)
    runs: dict[int, tuple[DeviceInfo, list[Sample]]] = {}
    rejected = 0
    for _topic, raw, code, body in parsed:
        device = None
        try:
            if body is _NOT_JSON:
                raise InvalidInput("遥测数据不是有效的 JSON", field="body")
            if not isinstance(body, dict):
                raise InvalidInput("MQTT 消息应为对象 {key, telemetry}", field="body")
            key = body.get("key")
            device = devices.get(key) if isinstance(key, str) else None
            if device is None or device.code != code:
                device = None
                raise InvalidInput("设备密钥无效或与主题中的设备不符", field="key")
            samples = parse_samples(body.get("telemetry"), now.timestamp())
        except InvalidInput as err:
            text = raw.decode("utf-8", "replace")
            keep_reject(session, "mqtt", text, err.message, err.field, device, device_code=code)
            rejected += 1
            continue
        run = runs.get(device.id)
        if run is None:
            runs[device.id] = (DeviceInfo.of(device), samples)
        else:
            run[1].extend(samples)
    batches = [(info, sorted(samples, key=_TS)) for info, samples in runs.values()]
    return FlushResult(ingest(session, batches, now=now), rejected)


class MqttIngest:
    """Subscribes to the telemetry topics and flushes what arrived every `interval` seconds (or at `max_batch`
    messages) through `process`, each flush in one unit of work."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        host: str,
        port: int,
        *,
        interval: float = 0.2,
        max_batch: int = 5000,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.factory, self.host, self.port = factory, host, port
        self.interval, self.max_batch = interval, max_batch
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="gridgov-ingest")
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.totals = {"messages": 0, "rejected": 0}

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("MQTT connection refused: %s", reason)
            return
        client.subscribe(TOPIC, qos=1)
        self.subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put((msg.topic, bytes(msg.payload)))

    def start(self) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.client.loop_stop()
        self.client.disconnect()
        self.flush()

    def flush(self) -> int:
        taken: list[tuple[str, bytes]] = []
        while len(taken) < self.max_batch:
            try:
                taken.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        if not taken:
            return 0
        try:
            with self.factory() as session, UnitOfWork(session):
                done = process(session, taken)
        except Exception as exc:  # the flush is rolled back whole: its messages are kept as rejects, not lost
            log.exception("MQTT flush of %d messages failed", len(taken))
            with self.factory() as session, UnitOfWork(session):
                for topic, raw in taken:
                    text = raw.decode("utf-8", "replace")
                    keep_reject(session, "mqtt", text, f"处理失败：{exc}", None, device_code=_device_code(topic))
            self.totals["rejected"] += len(taken)
            return len(taken)
        self.totals["messages"] += done.ingested.messages
        self.totals["rejected"] += done.rejected
        return len(taken)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            while self.flush() >= self.max_batch:
                pass
