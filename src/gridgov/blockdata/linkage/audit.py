"""The audit actions of the stored linkage."""

from __future__ import annotations

from gridgov.common.audit import AuditAction
from gridgov.common.choices import published


@published("audit_action")
class LinkageAudit(AuditAction):
    LINK = ("blockdata.link", "运行人员关联（聚类）")
    MERGE = ("blockdata.cluster_merge", "合并人员聚类")
    SPLIT = ("blockdata.cluster_split", "拆分人员聚类")
