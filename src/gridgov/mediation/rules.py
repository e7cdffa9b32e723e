"""The dispute's stages as an explicit transition table (pure: no I/O).

受理 → 分派 → 调解 (one or more sessions) → 达成协议 / 未达成 → 司法确认 or 转入 (仲裁, 行政裁决, 诉讼,
信访) → 回访 → 结案.
Each action names the stages it may start from, the stage it leads to and the roles that may take it; scope (whose
dispute it is) is checked by the services. An action refused here lists the actions allowed now."""

from __future__ import annotations

from dataclasses import dataclass

from gridgov.common.audit import AuditAction
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import IllegalTransition
from gridgov.common.principal import Role


@published("dispute_stage")
class Stage(ChoiceSet):
    NEW = ("new", "新建", "#bfbfbf")  # before registration; never stored
    ACCEPTED = ("accepted", "受理", "#5b8ff9")
    ASSIGNED = ("assigned", "分派", "#6dc8ec")
    MEDIATING = ("mediating", "调解", "#f6bd16")
    AGREED = ("agreed", "达成协议", "#5ad8a6")
    FAILED = ("failed", "未达成", "#e8684a")
    CONFIRMED = ("confirmed", "司法确认", "#269a99")
    TRANSFERRED = ("transferred", "转入", "#9270ca")
    FOLLOWED_UP = ("followed_up", "回访", "#1e9493")
    CLOSED = ("closed", "结案", "#8c8c8c")


@published("dispute_action")
class MediationAction(ChoiceSet):
    REGISTER = ("register", "受理", "#5b8ff9")
    ASSIGN = ("assign", "分派", "#6dc8ec")
    HOLD_SESSION = ("hold_session", "调解", "#f6bd16")
    AGREE = ("agree", "达成协议", "#5ad8a6")
    FAIL = ("fail", "未达成", "#e8684a")
    CONFIRM = ("confirm", "司法确认", "#269a99")
    TRANSFER = ("transfer", "转入", "#9270ca")
    FOLLOW_UP = ("follow_up", "回访", "#1e9493")
    CLOSE = ("close", "结案", "#8c8c8c")


@published("dispute_source")
class Source(ChoiceSet):
    WALK_IN = ("walk_in", "来访（调解中心窗口）", "#5b8ff9")
    CASE_REFERRAL = ("case_referral", "事件转办", "#9270ca")
    HOTLINE = ("hotline_12345", "12345热线", "#f6bd16")
    POLICE = ("police", "公安移送", "#1f6feb")
    COURT = ("court", "法院委派", "#269a99")
    SCREENING = ("screening", "访前甄别转入", "#fa8c16")
    CONSULTATION = ("consultation", "法律咨询转入", "#5ad8a6")


@published("dispute_destination")
class Destination(ChoiceSet):
    ARBITRATION = ("arbitration", "仲裁", "#9270ca")
    ADMIN_RULING = ("admin_ruling", "行政裁决", "#6dc8ec")
    LITIGATION = ("litigation", "诉讼", "#e8684a")
    PETITION = ("petition", "信访", "#fa8c16")


@published("party_role")
class PartyRole(ChoiceSet):
    APPLICANT = ("applicant", "申请人", "#5b8ff9")
    RESPONDENT = ("respondent", "被申请人", "#e8684a")
    THIRD = ("third", "第三人", "#8c8c8c")


@published("party_kind")
class PartyKind(ChoiceSet):
    PERSON = ("person", "自然人", "#5b8ff9")
    ENTITY = ("entity", "法人或其他组织", "#9270ca")


@published("agency_kind")
class AgencyKind(ChoiceSet):
    COMMITTEE = ("committee", "人民调解委员会", "#5b8ff9")
    INDUSTRY = ("industry", "行业性专业调解委员会", "#9270ca")
    POLICE = ("police", "派出所", "#1f6feb")
    COURT = ("court", "人民法院", "#269a99")
    JUSTICE = ("justice", "司法所", "#5ad8a6")
    WOMEN = ("women", "妇联", "#eb2f96")
    LABOUR = ("labour", "劳动保障事务所", "#fa8c16")
    LAW_FIRM = ("law_firm", "律师事务所", "#6dc8ec")


@published("mediator_kind")
class MediatorKind(ChoiceSet):
    PEOPLE = ("people", "人民调解员", "#5b8ff9")
    LAWYER = ("lawyer", "律师", "#6dc8ec")
    ADVISER = ("adviser", "社区法律顾问", "#5ad8a6")
    INDUSTRY = ("industry", "行业调解员", "#9270ca")
    OFFICER = ("officer", "民警 / 法官 / 司法助理员", "#1f6feb")


@published("mediation_task_status")
class TaskStatus(ChoiceSet):
    PENDING = ("pending", "待办", "#fa8c16")
    DONE = ("done", "已反馈", "#269a99")


@published("audit_action")
class MediationAudit(AuditAction):
    REGISTER = ("mediation.register", "受理矛盾纠纷")
    ASSIGN = ("mediation.assign", "分派矛盾纠纷")
    HOLD_SESSION = ("mediation.hold_session", "记录调解")
    AGREE = ("mediation.agree", "达成调解协议")
    FAIL = ("mediation.fail", "调解未达成")
    CONFIRM = ("mediation.confirm", "司法确认")
    TRANSFER = ("mediation.transfer", "转入其他程序")
    FOLLOW_UP = ("mediation.follow_up", "回访")
    CLOSE = ("mediation.close", "纠纷结案")
    TASK_DONE = ("mediation.task_done", "联调任务反馈")
    TASK_ESCALATE = ("mediation.task_escalate", "联调任务超时上报")
    DOCUMENT = ("mediation.document", "生成调解文书")
    SCAN_UPLOAD = ("mediation.scan_upload", "上传签字扫描件")
    SCAN_READ = ("mediation.scan_read", "查看签字扫描件")
    PII_READ = ("mediation.pii_read", "查看当事人完整信息")


S = Stage
A = MediationAction
R = Role
MEDIATORS = frozenset({R.COMMUNITY_STAFF, R.DISPATCHER, R.ADMIN})  # who runs a dispute (a centre, a mediation room)
READERS = MEDIATORS | {R.LEADER}
OPEN = frozenset({S.ACCEPTED, S.ASSIGNED, S.MEDIATING, S.AGREED, S.FAILED, S.CONFIRMED, S.TRANSFERRED, S.FOLLOWED_UP})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Stage]
    target: Stage
    roles: frozenset[Role]
    needs_note: bool = False


TRANSITIONS: dict[MediationAction, Transition] = {
    A.REGISTER: Transition(frozenset({S.NEW}), S.ACCEPTED, MEDIATORS),
    A.ASSIGN: Transition(frozenset({S.ACCEPTED}), S.ASSIGNED, MEDIATORS),
    A.HOLD_SESSION: Transition(frozenset({S.ASSIGNED, S.MEDIATING}), S.MEDIATING, MEDIATORS, needs_note=True),
    A.AGREE: Transition(frozenset({S.MEDIATING}), S.AGREED, MEDIATORS),
    A.FAIL: Transition(frozenset({S.MEDIATING}), S.FAILED, MEDIATORS, needs_note=True),
    A.CONFIRM: Transition(frozenset({S.AGREED}), S.CONFIRMED, MEDIATORS),
    A.TRANSFER: Transition(frozenset({S.FAILED}), S.TRANSFERRED, MEDIATORS),
    A.FOLLOW_UP: Transition(frozenset({S.AGREED, S.CONFIRMED, S.TRANSFERRED}), S.FOLLOWED_UP, MEDIATORS, True),
    A.CLOSE: Transition(frozenset({S.FOLLOWED_UP}), S.CLOSED, MEDIATORS),
}


def allowed_actions(stage: Stage, role: Role) -> list[MediationAction]:
    return [a for a, t in TRANSITIONS.items() if stage in t.sources and role in t.roles]


def check_transition(action: MediationAction, stage: Stage, role: Role) -> Stage:
    """The stage after `action`, or IllegalTransition listing what this role may do at this stage instead."""
    t = TRANSITIONS[action]
    if stage in t.sources and role in t.roles:
        return t.target
    allowed = [a.value for a in allowed_actions(stage, role)]
    if stage not in t.sources:
        reason = f"纠纷当前处于“{stage.label}”阶段，不能执行“{action.label}”"
    else:
        reason = f"角色“{role.label}”不能执行“{action.label}”"
    listed = "、".join(MediationAction(a).label for a in allowed) or "无"
    raise IllegalTransition(f"{reason}；可执行的操作：{listed}", allowed=allowed, status_now=stage.value)
