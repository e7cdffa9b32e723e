"""Alarm conditions in the spirit of ThingsBoard's alarm rules (pure: no I/O).

A condition is a predicate on one telemetry key (`water_level > 5`) and a kind:

* simple — the sample at hand satisfies the predicate;
* duration — the predicate has held on every sample since the first one that satisfied it, for at least
  `seconds` ("above 5 for 10 minutes": true from the sample at or after first-true + 600 s; a sample that fails
  the predicate starts the count again);
* repeating — at least `count` samples satisfied it within the last `seconds` ("3 times in an hour": samples at
  t with now - seconds <= t <= now);
* no_data — no message from the device for at least `seconds` (counted from its last-seen time, or its
  registration when it never sent one); judged when a sweep looks at the device (`on_tick`), false whenever a
  sample arrives.

A duration or repeating condition's memory is a small JSON-friendly dict (`since`, `hits`) kept under the
condition's name in the rule's memory, so that it can be stored per device and rule between batches; simple and
no-data conditions need none. Times are POSIX seconds (floats)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import InvalidInput


@published("alarm_condition_kind")
class ConditionKind(ChoiceSet):
    SIMPLE = ("simple", "即时", "#5b8ff9")
    DURATION = ("duration", "持续", "#f6bd16")
    REPEATING = ("repeating", "重复", "#e8684a")
    NO_DATA = ("no_data", "无数据", "#8c8c8c")


OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    ">": ("大于", operator.gt),
    ">=": ("大于等于", operator.ge),
    "<": ("小于", operator.lt),
    "<=": ("小于等于", operator.le),
    "==": ("等于", operator.eq),
    "!=": ("不等于", operator.ne),
}

State = dict[str, Any]
Values = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Condition:
    kind: ConditionKind
    key: str | None  # the telemetry key; None only for no_data on any key
    op: str = ">"
    value: float = 0.0
    seconds: float = 0.0  # duration: how long; repeating: the window; no_data: the silence
    count: int = 1  # repeating: how many times
    test: Callable[[float, float], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "test", OPERATORS[self.op][1])

    def holds(self, values: Values) -> bool | None:
        """The predicate on one sample; None when the sample does not carry the key (nothing is learnt)."""
        v = values.get(self.key) if self.key is not None else None
        return None if v is None else self.test(v, self.value)

    def describe(self) -> str:
        if self.kind == ConditionKind.NO_DATA:
            return f"设备超过 {self.seconds:g} 秒无数据"
        text = f"{self.key} {OPERATORS[self.op][0]} {self.value:g}"
        if self.kind == ConditionKind.DURATION:
            return f"{text} 持续 {self.seconds:g} 秒"
        if self.kind == ConditionKind.REPEATING:
            return f"{text} 在 {self.seconds:g} 秒内 {self.count} 次"
        return text


def on_sample(cond: Condition, memory: dict[str, Any], name: str, ts: float, values: Values) -> bool:
    """Feed one sample (in time order) to the condition; returns whether the condition is met now. A duration or
    repeating condition keeps its memory in `memory[name]` (changed in place). The hot path: kept lean."""
    kind = cond.kind
    if kind is ConditionKind.NO_DATA or cond.key is None:
        return False
    v = values.get(cond.key)
    if v is None:
        return False
    held = cond.test(v, cond.value)
    if kind is ConditionKind.SIMPLE:
        return held
    mine: dict[str, Any] | None = memory.get(name)
    if kind is ConditionKind.DURATION:
        if not held:
            if mine:
                del memory[name]
            return False
        if mine is None:
            memory[name] = mine = {"since": ts}
        return bool(ts - mine["since"] >= cond.seconds)
    # repeating: the hits inside the window ending now
    floor = ts - cond.seconds
    hits: list[float] = [t for t in mine["hits"] if t >= floor] if mine else []
    if held:
        hits.append(ts)
    if hits:
        memory[name] = {"hits": hits[-cond.count :]}
    elif mine:
        del memory[name]
    return held and len(hits) >= cond.count


def on_tick(cond: Condition, now: float, last_seen: float) -> bool:
    """Whether a no-data condition is met at `now` for a device last seen at `last_seen` (other kinds are judged
    on samples only)."""
    return cond.kind is ConditionKind.NO_DATA and now - last_seen >= cond.seconds


def parse_condition(spec: Mapping[str, Any], field: str) -> Condition:
    """A condition from its data form ({"kind", "key", "op", "value", "seconds", "count"}), refused with the
    field named."""
    if not isinstance(spec, Mapping):
        raise InvalidInput("条件应为对象", field=field)
    try:
        kind = ConditionKind(str(spec.get("kind", "simple")))
    except ValueError:
        allowed = "、".join(f"{k.value}（{k.label}）" for k in ConditionKind)
        raise InvalidInput(f"条件类型“{spec.get('kind')}”不存在；可选：{allowed}", field=f"{field}.kind") from None
    key = spec.get("key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise InvalidInput("遥测键应为非空文字", field=f"{field}.key")
    if kind == ConditionKind.NO_DATA and key is not None:
        raise InvalidInput("“无数据”条件针对整台设备，不填遥测键", field=f"{field}.key")
    if kind != ConditionKind.NO_DATA and key is None:
        raise InvalidInput("请填写遥测键", field=f"{field}.key")
    op = str(spec.get("op", ">"))
    if op not in OPERATORS:
        raise InvalidInput(f"比较符“{op}”不存在；可选：{' '.join(OPERATORS)}", field=f"{field}.op")
    numbers: dict[str, float] = {}
    for name, default in (("value", 0.0), ("seconds", 0.0), ("count", 1)):
        raw = spec.get(name, default)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise InvalidInput(f"“{name}”应为数字", field=f"{field}.{name}")
        numbers[name] = float(raw)
    if numbers["seconds"] < 0:
        raise InvalidInput("时长不能为负", field=f"{field}.seconds")
    if kind in (ConditionKind.DURATION, ConditionKind.REPEATING, ConditionKind.NO_DATA) and numbers["seconds"] <= 0:
        raise InvalidInput(f"“{kind.label}”条件需要大于 0 的时长（秒）", field=f"{field}.seconds")
    count = int(numbers["count"])
    if count != numbers["count"] or count < 1:
        raise InvalidInput("次数应为正整数", field=f"{field}.count")
    return Condition(kind, key, op, numbers["value"], numbers["seconds"], count)
