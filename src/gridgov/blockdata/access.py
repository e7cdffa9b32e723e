"""Who may do what with block data, and the data scope of every query: a grid worker sees his grids' records,
community staff, dispatchers and leaders their division's subtree, the administrator everything."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

from gridgov.common import scope
from gridgov.common.audit import AuditAction
from gridgov.common.choices import published
from gridgov.common.errors import Forbidden
from gridgov.common.principal import Principal, Role

IMPORTERS = frozenset({Role.ADMIN, Role.SYSTEM, Role.DISPATCHER})
# Who settles verification tasks (in their data scope): the grid worker of the grid, community staff above it.
VERIFIERS = frozenset({Role.ADMIN, Role.SYSTEM, Role.COMMUNITY_STAFF, Role.GRID_WORKER})
READERS = frozenset({Role.ADMIN, Role.SYSTEM, Role.DISPATCHER, Role.LEADER, Role.COMMUNITY_STAFF, Role.GRID_WORKER})


@published("audit_action")
class BlockdataAudit(AuditAction):
    IMPORT = ("blockdata.import", "导入块数据")
    IMPORT_REJECTED = ("blockdata.import_rejected", "块数据导入被拒（有错误行）")
    MAPPING = ("blockdata.mapping", "保存部门字段映射")
    DECLARE = ("blockdata.declare", "自主申报（租客入住/退租）")
    VERIFY = ("blockdata.verify", "块数据现场核查")
    VERIFY_DUE = ("blockdata.verify_due", "生成到期复核任务")


def require(actor: Principal, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"当前角色（{actor.role.label}）无权{what}")


def record_scope(actor: Principal, path_column: Any, grid_column: Any) -> ColumnElement[bool]:
    """The WHERE clause of the caller's block data: applied inside every query, never after it."""
    if actor.role in scope.UNLIMITED:
        return true()
    if actor.role == Role.GRID_WORKER:
        return grid_column.in_(sorted(actor.grid_ids)) if actor.grid_ids else false()
    if actor.role in scope.AREA_ROLES and actor.division_path:
        return scope.subtree(path_column, actor.division_path)
    return false()


def may_see(actor: Principal, path: str, grid_id: int | None) -> bool:
    """The Python twin of `record_scope`, for one row already loaded."""
    if actor.role in scope.UNLIMITED:
        return True
    if actor.role == Role.GRID_WORKER:
        return grid_id is not None and grid_id in actor.grid_ids
    return actor.role in scope.AREA_ROLES and scope.in_subtree(path, actor.division_path)
