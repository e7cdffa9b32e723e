"""A device's telemetry payload, checked (pure: no I/O). ThingsBoard's shapes: one message
``{"ts": <ms>, "values": {"key": number}}``, a list of them, or bare values ``{"key": number}`` stamped with the
time of arrival. Every refusal names the field at fault, so that the rejected payload kept for inspection says
what was wrong with it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gridgov.common.errors import InvalidInput

MAX_SAMPLES = 1000
MAX_KEYS = 32
FUTURE_SLACK_S = 300.0  # a device clock may run this far ahead


@dataclass(frozen=True, slots=True)
class Sample:
    ts: float  # POSIX seconds
    values: dict[str, float]


def _values(raw: Any, field: str) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise InvalidInput("遥测值应为非空对象（键: 数值）", field=field)
    if len(raw) > MAX_KEYS:
        raise InvalidInput(f"一条消息最多 {MAX_KEYS} 个遥测键", field=field)
    out: dict[str, float] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or len(key) > 64:
            raise InvalidInput("遥测键应为 1–64 个字符", field=field)
        if isinstance(value, bool):
            value = 1.0 if value else 0.0
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInput(f"遥测值“{key}”应为数字", field=f"{field}.{key}")
        out[key] = float(value)
    return out


def parse_samples(body: Any, now: float) -> list[Sample]:
    """The samples of one payload, in time order."""
    items: list[Any]
    if isinstance(body, list):
        items = body
    elif isinstance(body, dict) and ("values" in body or "ts" in body):
        items = [body]
    elif isinstance(body, dict):
        return [Sample(now, _values(body, "values"))]
    else:
        raise InvalidInput("遥测数据应为对象或数组", field="telemetry")
    if not items:
        raise InvalidInput("遥测数组为空", field="telemetry")
    if len(items) > MAX_SAMPLES:
        raise InvalidInput(f"每批最多 {MAX_SAMPLES} 条遥测", field="telemetry")
    out: list[Sample] = []
    for i, item in enumerate(items):
        field = f"telemetry[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput("每条遥测应为对象 {ts, values}", field=field)
        ts_ms = item.get("ts")
        if ts_ms is None:
            ts = now
        elif isinstance(ts_ms, bool) or not isinstance(ts_ms, int | float) or not math.isfinite(ts_ms) or ts_ms < 0:
            raise InvalidInput("时间戳 ts 应为毫秒数", field=f"{field}.ts")
        else:
            ts = float(ts_ms) / 1000.0
            if ts > now + FUTURE_SLACK_S:
                raise InvalidInput("时间戳晚于当前时间，请校准设备时钟", field=f"{field}.ts")
        out.append(Sample(ts, _values(item.get("values"), f"{field}.values")))
    out.sort(key=lambda s: s.ts)
    return out
