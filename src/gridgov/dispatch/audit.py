"""What the dispatch context writes to the audit log besides each case's own history."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class DispatchAudit(AuditAction):
    UPLOAD = ("attachment.upload", "上传附件")
    PUBLIC_TOKEN = ("event.public_token", "发放免登录查询凭证")
    SET_URGENCY = ("event.set_urgency", "调整紧急程度")
    ALERT_ACK = ("alert.acknowledge", "确认重特大事件告警")
