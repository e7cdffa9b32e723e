"""The event lifecycle as an explicit transition table (pure: no I/O).

Each action names the states it may start from, the state it leads to (None: the state does not change,
e.g. supervise or a warning) and the roles that may take it. Scope (whose case it is) is checked by the
services; this table only answers "may this role do this now".
"""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import IllegalTransition
from gridgov.common.principal import Role


@published("status")
class Status(ChoiceSet):
    NEW = ("new", "新建", "#bfbfbf")  # before the first transition; never stored
    REPORTED = ("reported", "待受理", "#5b8ff9")
    FILED = ("filed", "已立案待派遣", "#6dc8ec")
    REJECTED = ("rejected", "不立案", "#8c8c8c")
    DISPATCHED = ("dispatched", "已派遣待签收", "#9270ca")
    ACCEPTED = ("accepted", "处置中", "#f6bd16")
    RETURNED = ("returned", "已退回", "#e8684a")
    ON_HOLD = ("on_hold", "挂账", "#ff9d4d")
    HANDLED = ("handled", "已处置待复核", "#5ad8a6")
    CLOSED = ("closed", "已结案", "#269a99")
    RATED = ("rated", "已评价", "#1e9493")
    MERGED = ("merged", "已合并", "#8c8c8c")


@published("action")
class Action(ChoiceSet):
    REPORT = ("report", "上报", "#5b8ff9")
    SELF_HANDLE = ("self_handle", "自行处置", "#5ad8a6")
    FILE = ("file", "立案", "#6dc8ec")
    REJECT = ("reject", "不立案", "#8c8c8c")
    DISPATCH = ("dispatch", "派遣", "#9270ca")
    ACCEPT = ("accept", "签收", "#f6bd16")
    RETURN = ("return", "退回", "#e8684a")
    REQUEST_EXTENSION = ("request_extension", "申请延期", "#ff9d4d")
    APPROVE_EXTENSION = ("approve_extension", "批准延期", "#ff9d4d")
    DENY_EXTENSION = ("deny_extension", "驳回延期", "#ff9d4d")
    HOLD = ("hold", "挂账", "#ff9d4d")
    RESUME = ("resume", "解除挂账", "#f6bd16")
    CO_REPORT = ("co_report", "协办反馈", "#9270ca")
    HANDLE = ("handle", "处置完成", "#5ad8a6")
    VERIFY_PASS = ("verify_pass", "复核通过", "#269a99")
    VERIFY_FAIL = ("verify_fail", "复核不通过", "#e8684a")
    RATE = ("rate", "评价", "#1e9493")
    REOPEN = ("reopen", "重新办理", "#e8684a")
    SUPERVISE = ("supervise", "督办", "#e8684a")
    ESCALATE = ("escalate", "上报上级", "#e8684a")
    WARN_YELLOW = ("warn_yellow", "黄灯预警", "#fadb14")
    WARN_RED = ("warn_red", "红灯超时", "#f5222d")
    LOCATE = ("locate", "确认地址", "#5b8ff9")
    PLACE = ("place", "补充位置", "#5b8ff9")
    MERGE = ("merge", "合并重复件", "#8c8c8c")
    SPLIT = ("split", "拆分重复件", "#5b8ff9")
    SET_URGENCY = ("set_urgency", "调整紧急程度", "#cf1322")
    SUMMON = ("summon", "吹哨", "#fa541c")
    REPORT_IN = ("report_in", "报到", "#1f6feb")
    SUMMONS_RESULT = ("summons_result", "报到反馈", "#269a99")
    WITHDRAW_SUMMONS = ("withdraw_summons", "撤回吹哨", "#8c8c8c")
    ALARM_UPDATE = ("alarm_update", "物联告警更新", "#6dc8ec")
    MEDIATE = ("mediate", "转调解办理", "#722ed1")
    MEDIATION_CLOSE = ("mediation_close", "调解结案", "#269a99")


S = Status
R = Role
OPEN: frozenset[Status] = frozenset({S.REPORTED, S.FILED, S.DISPATCHED, S.ACCEPTED, S.RETURNED, S.ON_HOLD, S.HANDLED})
# Statuses in which the handling clock runs (warnings and overdue escalation apply).
CLOCK_RUNNING: frozenset[Status] = frozenset({S.DISPATCHED, S.ACCEPTED})
TERMINAL: frozenset[Status] = frozenset({S.REJECTED, S.RATED, S.MERGED})

DISPATCH_ROLES = frozenset({R.DISPATCHER, R.COMMUNITY_STAFF, R.ADMIN})
SUPERVISORS = frozenset({R.DISPATCHER, R.LEADER, R.ADMIN})
REPORTERS = frozenset({R.RESIDENT, R.GRID_WORKER, R.COMMUNITY_STAFF, R.DISPATCHER, R.ADMIN})
HANDLERS = frozenset({R.HANDLER, R.GRID_WORKER, R.COMMUNITY_STAFF})
# who may verify at all; which of them may verify a given case is the verification rule's (dispatch/verification)
VERIFIERS = frozenset({R.GRID_WORKER, R.COMMUNITY_STAFF, R.DISPATCHER, R.RESIDENT})
# 吹哨报到: a community (its workstation, or a grid worker on a case of their grid) or a street (or district) centre
# summons departments onto a live case; the summoned department (a handler, or a community workstation's staff)
# reports in and then reports its result.
LIVE: frozenset[Status] = frozenset({S.DISPATCHED, S.ACCEPTED, S.ON_HOLD})
SUMMONERS = frozenset({R.COMMUNITY_STAFF, R.GRID_WORKER, R.DISPATCHER, R.ADMIN})
SUMMONED = frozenset({R.HANDLER, R.COMMUNITY_STAFF})
# 矛盾纠纷: the case a dispute files is held by mediation until the dispute closes; only the system takes these steps
# (dispatch's subscriber to the mediation events), so no dispatcher is offered them
MEDIATION_HOLDERS = frozenset({R.SYSTEM})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status | None
    roles: frozenset[Role]
    needs_note: bool = False


TRANSITIONS: dict[Action, Transition] = {
    # the system reports a device alarm (hazards/alarms.py) through the intake port like any channel
    Action.REPORT: Transition(frozenset({S.NEW}), S.REPORTED, REPORTERS | {R.SYSTEM}),
    Action.SELF_HANDLE: Transition(frozenset({S.NEW}), S.HANDLED, frozenset({R.GRID_WORKER})),
    Action.FILE: Transition(frozenset({S.REPORTED}), S.FILED, DISPATCH_ROLES),
    Action.REJECT: Transition(frozenset({S.REPORTED}), S.REJECTED, DISPATCH_ROLES, needs_note=True),
    Action.DISPATCH: Transition(frozenset({S.FILED, S.RETURNED}), S.DISPATCHED, DISPATCH_ROLES),
    Action.ACCEPT: Transition(frozenset({S.DISPATCHED}), S.ACCEPTED, HANDLERS),
    Action.RETURN: Transition(frozenset({S.DISPATCHED, S.ACCEPTED}), S.RETURNED, HANDLERS, needs_note=True),
    Action.REQUEST_EXTENSION: Transition(frozenset({S.ACCEPTED}), None, HANDLERS, needs_note=True),
    Action.APPROVE_EXTENSION: Transition(frozenset({S.ACCEPTED}), None, SUPERVISORS),
    Action.DENY_EXTENSION: Transition(frozenset({S.ACCEPTED}), None, SUPERVISORS, needs_note=True),
    Action.HOLD: Transition(frozenset({S.ACCEPTED}), S.ON_HOLD, SUPERVISORS, needs_note=True),
    Action.RESUME: Transition(frozenset({S.ON_HOLD}), S.ACCEPTED, SUPERVISORS),
    Action.CO_REPORT: Transition(
        frozenset({S.DISPATCHED, S.ACCEPTED}), None, frozenset({R.HANDLER, R.COMMUNITY_STAFF})
    ),
    Action.HANDLE: Transition(frozenset({S.ACCEPTED}), S.HANDLED, HANDLERS, needs_note=True),
    Action.VERIFY_PASS: Transition(frozenset({S.HANDLED}), S.CLOSED, VERIFIERS),
    Action.VERIFY_FAIL: Transition(frozenset({S.HANDLED}), S.ACCEPTED, VERIFIERS, needs_note=True),
    Action.RATE: Transition(frozenset({S.CLOSED}), S.RATED, frozenset({R.RESIDENT, R.GRID_WORKER})),
    Action.REOPEN: Transition(
        frozenset({S.CLOSED, S.RATED}),
        S.FILED,
        frozenset({R.RESIDENT, R.DISPATCHER, R.ADMIN}),
        needs_note=True,
    ),
    Action.SUPERVISE: Transition(OPEN - {S.REPORTED}, None, SUPERVISORS, needs_note=True),
    Action.ESCALATE: Transition(
        frozenset({S.REPORTED, S.FILED, S.DISPATCHED, S.ACCEPTED, S.RETURNED}),
        None,
        frozenset({R.SYSTEM, R.DISPATCHER, R.COMMUNITY_STAFF, R.GRID_WORKER, R.HANDLER, R.LEADER, R.ADMIN}),
        needs_note=True,
    ),
    Action.WARN_YELLOW: Transition(CLOCK_RUNNING, None, frozenset({R.SYSTEM})),
    Action.WARN_RED: Transition(CLOCK_RUNNING, None, frozenset({R.SYSTEM})),
    Action.MERGE: Transition(frozenset({S.REPORTED, S.FILED}), S.MERGED, DISPATCH_ROLES | {R.SYSTEM}, needs_note=False),
    Action.SPLIT: Transition(frozenset({S.MERGED}), S.REPORTED, DISPATCH_ROLES, needs_note=False),
    Action.LOCATE: Transition(OPEN, None, frozenset({R.SYSTEM, R.DISPATCHER, R.COMMUNITY_STAFF, R.ADMIN})),
    Action.PLACE: Transition(OPEN - {S.HANDLED}, None, REPORTERS),
    Action.SET_URGENCY: Transition(OPEN, None, frozenset({R.DISPATCHER, R.ADMIN}), needs_note=True),
    Action.SUMMON: Transition(LIVE, None, SUMMONERS, needs_note=True),
    Action.REPORT_IN: Transition(LIVE | {S.HANDLED}, None, SUMMONED),
    Action.SUMMONS_RESULT: Transition(LIVE | {S.HANDLED}, None, SUMMONED, needs_note=True),
    # the summoning centre withdraws a summons the department has not reported in to (which one: the service's)
    Action.WITHDRAW_SUMMONS: Transition(LIVE | {S.HANDLED}, None, SUMMONERS, needs_note=True),
    # an alarm's later news on the case it opened (escalated, raised again, cleared): recorded, status unchanged
    Action.ALARM_UPDATE: Transition(OPEN | {S.CLOSED}, None, frozenset({R.SYSTEM}), needs_note=True),
    # a dispute registered on the case: filed and held by mediation (no dispatcher queue); closed with the dispute
    Action.MEDIATE: Transition(frozenset({S.REPORTED, S.FILED, S.RETURNED}), S.ACCEPTED, MEDIATION_HOLDERS),
    Action.MEDIATION_CLOSE: Transition(frozenset({S.ACCEPTED}), S.CLOSED, MEDIATION_HOLDERS, needs_note=True),
}


@published("summons_status")
class SummonsStatus(ChoiceSet):
    SUMMONED = ("summoned", "待报到", "#fa8c16")
    REPORTED_IN = ("reported_in", "已报到", "#1f6feb")
    DONE = ("done", "已反馈结果", "#269a99")
    WITHDRAWN = ("withdrawn", "已撤回", "#8c8c8c")


# Summons still waiting on their department (报到 or its result): neither reported back nor withdrawn.
PENDING_SUMMONS: frozenset[str] = frozenset({SummonsStatus.SUMMONED.value, SummonsStatus.REPORTED_IN.value})


# A summons' own steps: 待报到 → 已报到 → 已反馈结果, or 待报到 → 已撤回 (the state each needs, the state it leads to).
SUMMONS_STEPS: dict[Action, tuple[SummonsStatus, SummonsStatus]] = {
    Action.REPORT_IN: (SummonsStatus.SUMMONED, SummonsStatus.REPORTED_IN),
    Action.SUMMONS_RESULT: (SummonsStatus.REPORTED_IN, SummonsStatus.DONE),
    Action.WITHDRAW_SUMMONS: (SummonsStatus.SUMMONED, SummonsStatus.WITHDRAWN),
}


def check_summons_step(action: Action, status: SummonsStatus, role: Role | None = None) -> SummonsStatus:
    """The summons' state after `action`, or IllegalTransition naming the steps `role` may take now (and those
    left to others: the department's 报到反馈 when the centre tries to withdraw a summons reported in)."""
    need, to = SUMMONS_STEPS[action]
    if status == need:
        return to
    steps = [a for a, (src, _to) in SUMMONS_STEPS.items() if src == status]
    allowed = [a.value for a in steps if role is None or role in TRANSITIONS[a].roles]
    listed = "、".join(Action(a).label for a in allowed) or "无"
    others = "、".join(a.label for a in steps if a.value not in allowed)
    raise IllegalTransition(
        f"该吹哨“{status.label}”，不能执行“{action.label}”；可执行的操作：{listed}"
        + (f"（待被召集部门：{others}）" if others else ""),
        allowed=allowed,
        status_now=status.value,
    )


def allowed_actions(status: Status, role: Role) -> list[Action]:
    return [a for a, t in TRANSITIONS.items() if status in t.sources and role in t.roles]


def check_transition(action: Action, status: Status, role: Role) -> Status:
    """The status after `action`, or IllegalTransition listing what this role may do instead."""
    t = TRANSITIONS[action]
    if status in t.sources and role in t.roles:
        return t.target or status
    allowed = [a.value for a in allowed_actions(status, role)]
    if status not in t.sources:
        reason = f"当前状态“{status.label}”不能执行“{action.label}”"
    else:
        reason = f"角色“{role.label}”不能执行“{action.label}”"
    listed = "、".join(Action(a).label for a in allowed) or "无"
    raise IllegalTransition(f"{reason}；可执行的操作：{listed}", allowed=allowed, status_now=status.value)
