"""The hazards context's audit actions."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class HazardAudit(AuditAction):
    REGISTRY_LOAD = ("hazards.registry_load", "载入隐患类别与告警规则")
    SOURCE_REGISTER = ("hazards.source_register", "登记隐患源")
    DEVICE_REGISTER = ("hazards.device_register", "登记物联设备")
    RULE_EDIT = ("hazards.rule_edit", "修改告警规则")
    ALARM_RAISE = ("hazards.alarm_raise", "物联告警触发")
    ALARM_ESCALATE = ("hazards.alarm_escalate", "物联告警升级")
    ALARM_CLEAR = ("hazards.alarm_clear", "物联告警解除")
    ALARM_ACK = ("hazards.alarm_ack", "确认物联告警")
    INSPECTION_SCHEDULE = ("hazards.inspection_schedule", "生成巡查任务")
    INSPECTION_DONE = ("hazards.inspection_done", "完成巡查检查")
    INSPECTION_ESCALATE = ("hazards.inspection_escalate", "巡查逾期上报上级")
    FINDING_REPORT = ("hazards.finding_report", "巡查发现隐患立案整改")
    RISK_GRADE = ("hazards.risk_grade", "企业风险分级")
