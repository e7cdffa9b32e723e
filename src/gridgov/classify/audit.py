"""What the classify context writes to the audit log."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class ClassifyAudit(AuditAction):
    TRAIN = ("classify.train", "训练分类模型")
    ROLLBACK = ("classify.rollback", "切换现网分类模型")
    LABEL = ("classify.label", "记录分类标注")
