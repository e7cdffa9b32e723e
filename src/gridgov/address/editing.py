"""Editing the library: rename, retire, merge and aliases, each with its history row and audit row. The
in-memory engines follow the change once it is committed (`after_commit`), so the next match sees it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.access import (
    EDITORS,
    REVIEWERS,
    AddressAudit,
    get_address,
    require_role,
    require_within,
)
from gridgov.address.models import Address, AddressAlias, AddressChange, AddressStatus
from gridgov.address.records import AddressRecord
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import after_commit
from gridgov.org.models import Division

ALIAS_MAX_CHARS = 200


def _snapshot(a: Address) -> dict[str, Any]:
    return {
        "name": a.name,
        "full_name": a.full_name,
        "status": a.status,
        "lon": a.lon,
        "lat": a.lat,
        "grid_id": a.grid_id,
        "parent_id": a.parent_id,
    }


def _change(
    session: Session, actor: Principal, a: Address, action: AddressAudit, before: dict[str, Any], note: str | None
) -> None:
    session.add(
        AddressChange(
            address_id=a.id,
            action=action.value.removeprefix("address."),
            before=before,
            after=_snapshot(a),
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            note=note,
            at=utcnow(),
        )
    )
    record_audit(session, actor, action, "address", a.code, {"note": note})


def _record_of(session: Session, a: Address) -> AddressRecord:
    div_code = dict(
        session.execute(
            select(Division.id, Division.code).where(
                Division.id.in_([x for x in (a.community_id, a.grid_id) if x is not None])
            )
        ).all()
    )
    parent = session.get(Address, a.parent_id) if a.parent_id else None
    aliases = tuple(session.scalars(select(AddressAlias.alias).where(AddressAlias.address_id == a.id)))
    return AddressRecord(
        a.code,
        a.level,
        a.name,
        a.full_name,
        parent.code if parent else None,
        div_code[a.community_id],
        div_code.get(a.grid_id) if a.grid_id else None,
        a.lon,
        a.lat,
        aliases,
    )


def _sync_after_commit(session: Session, nodes: list[Address]) -> None:
    """Bring the in-memory engines (when built) up to date with `nodes` once the change is committed. The new
    records are read now, inside the transaction; only the in-memory update waits for the commit."""
    if library.loaded(session) is None:
        return
    session.flush()
    key = library.key_of(session)
    changes = [(a.code, _record_of(session, a) if a.status == AddressStatus.ACTIVE.value else None) for a in nodes]

    def apply() -> None:
        eng = library.loaded_by_key(key)
        if eng is None:
            return
        for code, rec in changes:
            old = eng.records.get(code)
            if rec is not None:
                eng.matcher.upsert(rec)
                eng.records[code] = rec
                if old is not None and (old.lon, old.lat) != (rec.lon, rec.lat):
                    eng.points.retire(code)  # the point index is static: a moved address leaves it until the rebuild
            else:
                eng.matcher.remove(code)
                eng.records.pop(code, None)
                eng.points.retire(code)

    after_commit(session, apply)


def _refresh_descendants(session: Session, node: Address, old_full_name: str) -> list[Address]:
    """After `node`'s full name changed, rewrite the full names below it (they start with the old one)."""
    changed: list[Address] = []
    frontier = [node.id]
    while frontier:
        children = list(session.scalars(select(Address).where(Address.parent_id.in_(frontier))))
        for c in children:
            if c.full_name.startswith(old_full_name):
                c.full_name = node.full_name + c.full_name[len(old_full_name) :]
                c.updated_at = utcnow()
                changed.append(c)
        frontier = [c.id for c in children]
    return changed


def rename_address(
    session: Session,
    actor: Principal,
    code: str,
    new_name: str,
    keep_old_as_alias: bool = True,
    note: str | None = None,
) -> Address:
    require_role(actor, EDITORS, "修改地址")
    new_name = new_name.strip()
    if not new_name:
        raise InvalidInput("新名称不能为空", field="name")
    a = get_address(session, code)
    if a.status != AddressStatus.ACTIVE.value:
        raise Conflict("已注销或合并的地址不能改名", field="code")
    before = _snapshot(a)
    old = a.name
    a.full_name = a.full_name[: len(a.full_name) - len(old)] + new_name if a.full_name.endswith(old) else a.full_name
    a.name, a.updated_at = new_name, utcnow()
    below = _refresh_descendants(session, a, before["full_name"])
    if keep_old_as_alias:
        session.add(AddressAlias(address_id=a.id, alias=old, kind="old_name", created_by=actor.user_id))
    _change(session, actor, a, AddressAudit.RENAME, before, note)
    _sync_after_commit(session, [a, *below])
    return a


def retire_address(session: Session, actor: Principal, code: str, note: str | None = None) -> Address:
    require_role(actor, EDITORS, "注销地址")
    a = get_address(session, code)
    if a.status != AddressStatus.ACTIVE.value:
        raise Conflict("地址已注销或已合并", field="code")
    live_children = session.scalar(
        select(func.count())
        .select_from(Address)
        .where(Address.parent_id == a.id, Address.status == AddressStatus.ACTIVE.value)
    )
    if live_children:
        raise Conflict(f"该地址下还有 {live_children} 个在用的下级地址，请先处理", field="code")
    before = _snapshot(a)
    a.status, a.updated_at = AddressStatus.RETIRED.value, utcnow()
    _change(session, actor, a, AddressAudit.RETIRE, before, note)
    _sync_after_commit(session, [a])
    return a


def merge_addresses(session: Session, actor: Principal, code: str, into_code: str, note: str | None = None) -> Address:
    """`code` is a duplicate of `into_code`: its children move over and its names become aliases."""
    require_role(actor, EDITORS, "合并地址")
    if code == into_code:
        raise InvalidInput("不能与自身合并", field="into_code")
    a, target = get_address(session, code), get_address(session, into_code)
    if a.status != AddressStatus.ACTIVE.value or target.status != AddressStatus.ACTIVE.value:
        raise Conflict("只能合并在用的地址", field="code")
    if a.level != target.level:
        raise InvalidInput("只能合并同一层级的地址", field="into_code")
    before = _snapshot(a)
    moved: list[Address] = []
    for child in list(session.scalars(select(Address).where(Address.parent_id == a.id))):
        child.parent_id = target.id
        old_full = child.full_name
        child.full_name = target.full_name + child.name
        moved += [child, *_refresh_descendants(session, child, old_full)]
    names = {a.name, *session.scalars(select(AddressAlias.alias).where(AddressAlias.address_id == a.id))}
    for alias in names - {target.name}:
        session.add(AddressAlias(address_id=target.id, alias=alias, kind="old_name", created_by=actor.user_id))
    a.status, a.merged_into_id, a.updated_at = AddressStatus.MERGED.value, target.id, utcnow()
    _change(session, actor, a, AddressAudit.MERGE, before, note or f"并入 {target.code}")
    _sync_after_commit(session, [a, target, *moved])
    return target


def add_alias(session: Session, actor: Principal, code: str, alias: str, kind: str = "alias") -> Address:
    require_role(actor, REVIEWERS, "添加地址别名")
    alias = alias.strip()
    if not alias or len(alias) > ALIAS_MAX_CHARS:
        raise InvalidInput(f"别名不能为空且不超过 {ALIAS_MAX_CHARS} 字", field="alias")
    a = get_address(session, code)
    require_within(session, actor, a)
    if a.status != AddressStatus.ACTIVE.value:
        raise Conflict("已注销或合并的地址不能添加别名", field="code")
    exists = session.scalar(select(AddressAlias.id).where(AddressAlias.address_id == a.id, AddressAlias.alias == alias))
    if exists is None:
        before = _snapshot(a)
        session.add(AddressAlias(address_id=a.id, alias=alias, kind=kind, created_by=actor.user_id))
        _change(session, actor, a, AddressAudit.ALIAS, before, alias)
        key = library.key_of(session)

        def learn() -> None:
            eng = library.loaded_by_key(key)
            if eng is not None:
                eng.matcher.add_alias(code, alias)

        after_commit(session, learn)
    return a
