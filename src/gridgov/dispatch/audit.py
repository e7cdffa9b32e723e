"""What the dispatch context writes to the audit log besides each case's own history."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class DispatchAudit(AuditAction):
    UPLOAD = ("attachment.upload", "上传附件")
    CLEAN_STORED = ("attachment.clean", "清除历史附件中的元数据")
    PUBLIC_TOKEN = ("event.public_token", "发放免登录查询凭证")
    SET_URGENCY = ("event.set_urgency", "调整紧急程度")
    ALERT_ACK = ("alert.acknowledge", "确认重特大事件告警")
    ROUTING_CORRECTION = ("routing.correction", "改派主办单位（分拨纠正）")
    SUMMON = ("summons.create", "吹哨")
    REPORT_IN = ("summons.report_in", "吹哨报到")
    SUMMONS_RESULT = ("summons.result", "报到部门反馈结果")
    WITHDRAW_SUMMONS = ("summons.withdraw", "撤回吹哨")
