"""Who may change the address library, and the address a change is about: role checks, the area check for the
centres, and loading an address by code. Shared by loading, editing and the review queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.common import scope
from gridgov.common.audit import AuditAction
from gridgov.common.choices import published
from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.org import cache

EDITORS = frozenset({Role.ADMIN, Role.SYSTEM})
REVIEWERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.SYSTEM})


@published("audit_action")
class AddressAudit(AuditAction):
    LOAD = ("address.load", "批量载入地址")
    RENAME = ("address.rename", "地址更名")
    RETIRE = ("address.retire", "注销地址")
    MERGE = ("address.merge", "合并地址")
    ALIAS = ("address.alias", "添加地址别名")
    REVIEW_RESOLVE = ("address.review.resolve", "确认待定地址")
    REVIEW_DISMISS = ("address.review.dismiss", "忽略待定地址")


def require_role(actor: Principal, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"无权{what}")


def require_within(session: Session, actor: Principal, a: Address, field: str = "code") -> None:
    """A centre teaches aliases and places cases only on addresses of its own area: an alias changes matching
    for everyone, and a case placed on another area's address would land in that area's queues."""
    if actor.role in EDITORS:
        return
    path = cache.snapshot(session).divisions[a.community_id].path
    if not scope.may_see(actor, path):
        raise Forbidden("该地址不在您的管辖范围内", field=field)


def get_address(session: Session, code: str) -> Address:
    row = session.scalar(select(Address).where(Address.code == code))
    if row is None:
        raise NotFound(f"地址编码“{code}”不存在", field="code")
    return row
