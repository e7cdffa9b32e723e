"""Alarm rules (pure: no I/O): one create condition per severity and one clear condition, evaluated sample by
sample, ThingsBoard's way.

* Not active: the highest severity whose create condition is met raises the alarm (`create`).
* Active: the clear condition clears it (`clear`); otherwise a higher severity's condition raises its severity
  (`escalate`). The clear condition is judged only while the alarm is active, so a duration clear ("below 3 for
  5 minutes") counts from after the raise, and a calm device keeps no memory at all. Severity only rises while
  the alarm is active: a lower severity's condition, or the higher one
  no longer holding, changes nothing.
* A rule whose create conditions are all no-data conditions and that names no clear condition is cleared by the
  device's next sample.
* Acknowledging is separate from clearing: an alarm is active or cleared, and acknowledged or not (four statuses,
  `AlarmStatus`); `acknowledge` and `clear_by_hand` refuse what the status does not allow, listing what it does.

All memory lives in `RuleState` (a JSON-friendly dict per device and rule)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import IllegalTransition, InvalidInput
from gridgov.hazards.rules_conditions import Condition, ConditionKind, Values, on_sample, on_tick, parse_condition


@published("alarm_severity")
class Severity(ChoiceSet):
    WARNING = ("warning", "提示", "#1677ff")
    MINOR = ("minor", "一般", "#faad14")
    MAJOR = ("major", "严重", "#fa541c")
    CRITICAL = ("critical", "危急", "#cf1322")


RANK: dict[Severity, int] = {s: i for i, s in enumerate(Severity)}  # declaration order: low to high


@published("alarm_status")
class AlarmStatus(ChoiceSet):
    ACTIVE_UNACK = ("active_unack", "告警中·未确认", "#cf1322")
    ACTIVE_ACK = ("active_ack", "告警中·已确认", "#fa8c16")
    CLEARED_UNACK = ("cleared_unack", "已解除·未确认", "#52c41a")
    CLEARED_ACK = ("cleared_ack", "已解除·已确认", "#8c8c8c")


@published("alarm_change")
class Change(ChoiceSet):
    CREATE = ("create", "触发告警", "#cf1322")
    ESCALATE = ("escalate", "告警升级", "#fa541c")
    CLEAR = ("clear", "告警解除", "#52c41a")
    ACK = ("ack", "确认告警", "#1677ff")


@dataclass(frozen=True, slots=True)
class AlarmRule:
    alarm_type: str
    create: tuple[tuple[Severity, Condition], ...]  # highest severity first
    clear: Condition | None = None
    clears_on_data: bool = field(init=False, compare=False)
    stateful: bool = field(init=False, compare=False)  # has conditions with a memory (duration, repeating)
    # the create conditions a sample can meet (all but no-data), with their severity and memory name: the hot
    # path's view of `create`; a rule with none can only be cleared by samples, so only an active one needs them
    on_samples: tuple[tuple[Severity, Condition, str], ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        conds = [c for _, c in self.create] + ([self.clear] if self.clear else [])
        on_data = self.clear is None and all(c.kind == ConditionKind.NO_DATA for _, c in self.create)
        object.__setattr__(self, "clears_on_data", on_data)
        memory_kinds = (ConditionKind.DURATION, ConditionKind.REPEATING)
        object.__setattr__(self, "stateful", any(c.kind in memory_kinds for c in conds))
        judged = tuple((s, c, s.value) for s, c in self.create if c.kind != ConditionKind.NO_DATA)
        object.__setattr__(self, "on_samples", judged)


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    severity: Severity | None  # the alarm's severity after the change (None once cleared)
    before: Severity | None  # before it
    ts: float
    reason: str  # the condition that decided, in words


RuleState = dict[str, Any]  # {"active": bool, "severity": str | None, "c": {condition name: its memory}}


def new_state() -> RuleState:
    return {"active": False, "severity": None, "c": {}}


def _decide(rule: AlarmRule, state: RuleState, best: Severity | None, clear_met: bool, ts: float) -> Outcome | None:
    if state["active"]:
        now_sev = Severity(state["severity"]) if state["severity"] else None
        if clear_met:
            state["active"], state["severity"] = False, None
            state["c"].pop("clear", None)
            reason = rule.clear.describe() if rule.clear else "设备恢复上报数据"
            return Outcome(Change.CLEAR, None, now_sev, ts, reason)
        if best is not None and (now_sev is None or RANK[best] > RANK[now_sev]):
            state["severity"] = best.value
            return Outcome(Change.ESCALATE, best, now_sev, ts, dict(rule.create)[best].describe())
        return None
    if best is not None:
        state["active"], state["severity"] = True, best.value
        state["c"].pop("clear", None)
        return Outcome(Change.CREATE, best, None, ts, dict(rule.create)[best].describe())
    return None


def evaluate(rule: AlarmRule, state: RuleState, ts: float, values: Values) -> Outcome | None:
    """Feed one sample (in time order); `state` is changed in place. Every create condition sees every sample, so
    each keeps its memory whether or not it decides (highest severity first: the first one met is the severity);
    the clear condition sees the samples while the alarm is active."""
    memory: dict[str, Any] = state["c"]
    best: Severity | None = None
    for sev, cond, name in rule.on_samples:  # a no-data condition is never met by a sample
        if on_sample(cond, memory, name, ts, values) and best is None:
            best = sev
    clear_met = False
    if state["active"]:
        clear = rule.clear
        clear_met = on_sample(clear, memory, "clear", ts, values) if clear is not None else rule.clears_on_data
    if best is None and not clear_met:
        return None
    return _decide(rule, state, best, clear_met, ts)


def tick(rule: AlarmRule, state: RuleState, now: float, last_seen: float) -> Outcome | None:
    """A sweep's look at a device with no new sample, last seen at `last_seen` (or registered then): only
    no-data conditions can be met."""
    best = next((sev for sev, cond in rule.create if on_tick(cond, now, last_seen)), None)
    return _decide(rule, state, best, False, now) if best is not None else None


def has_no_data(rule: AlarmRule) -> bool:
    return any(c.kind == ConditionKind.NO_DATA for _, c in rule.create)


# --- acknowledge and clear by hand --------------------------------------------------------------------


def status_of(active: bool, acknowledged: bool) -> AlarmStatus:
    if active:
        return AlarmStatus.ACTIVE_ACK if acknowledged else AlarmStatus.ACTIVE_UNACK
    return AlarmStatus.CLEARED_ACK if acknowledged else AlarmStatus.CLEARED_UNACK


def allowed_changes(status: AlarmStatus) -> list[Change]:
    allowed = []
    if status in (AlarmStatus.ACTIVE_UNACK, AlarmStatus.CLEARED_UNACK):
        allowed.append(Change.ACK)
    if status in (AlarmStatus.ACTIVE_UNACK, AlarmStatus.ACTIVE_ACK):
        allowed.append(Change.CLEAR)
    return allowed


def check_change(status: AlarmStatus, change: Change) -> None:
    """Refuse a hand change the status does not allow, listing the ones it does."""
    allowed = allowed_changes(status)
    if change not in allowed:
        listed = "、".join(c.label for c in allowed) or "无"
        raise IllegalTransition(
            f"告警“{status.label}”，不能“{change.label}”；可执行的操作：{listed}",
            allowed=[c.value for c in allowed],
            status_now=status.value,
        )


# --- rules as data --------------------------------------------------------------------------------------


def parse_rule(spec: Mapping[str, Any], field: str = "rule") -> AlarmRule:
    """A rule from its data form: {"alarm_type", "create": {severity: condition, ...}, "clear": condition}."""
    alarm_type = spec.get("alarm_type")
    if not isinstance(alarm_type, str) or not alarm_type.strip():
        raise InvalidInput("请填写告警类型", field=f"{field}.alarm_type")
    create = spec.get("create")
    if not isinstance(create, Mapping) or not create:
        raise InvalidInput("至少需要一个触发条件（按严重程度）", field=f"{field}.create")
    parsed: list[tuple[Severity, Condition]] = []
    for name, cond in create.items():
        try:
            sev = Severity(str(name))
        except ValueError:
            allowed = "、".join(f"{s.value}（{s.label}）" for s in Severity)
            raise InvalidInput(f"严重程度“{name}”不存在；可选：{allowed}", field=f"{field}.create") from None
        parsed.append((sev, parse_condition(cond, f"{field}.create.{sev.value}")))
    parsed.sort(key=lambda p: RANK[p[0]], reverse=True)
    clear_spec = spec.get("clear")
    clear = parse_condition(clear_spec, f"{field}.clear") if clear_spec is not None else None
    if clear is not None and clear.kind == ConditionKind.NO_DATA:
        raise InvalidInput("解除条件不能是“无数据”", field=f"{field}.clear.kind")
    rule = AlarmRule(alarm_type.strip(), tuple(parsed), clear)
    if clear is None and not rule.clears_on_data:
        raise InvalidInput("请填写解除条件", field=f"{field}.clear")
    return rule
