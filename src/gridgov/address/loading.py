"""Loading the address library: many records at once (the demo, a department's file), and a file import that
checks every line and writes nothing unless all of it is good."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.access import EDITORS, AddressAudit, require_role
from gridgov.address.geo import CRS, convert
from gridgov.address.models import Address, AddressAlias, AddressChange, AddressStatus
from gridgov.address.records import ADDRESS_LEVELS, AddressRecord
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import after_commit
from gridgov.org import cache
from gridgov.org.models import Division
from gridgov.org.spatial import grid_locator

CHUNK = 5000


def load_records(
    session: Session,
    actor: Principal,
    records: Sequence[AddressRecord],
    progress: Callable[[str, int, int], None] | None = None,
    note: str | None = None,
) -> int:
    """Insert many records (parents first) in bulk, each with its 'create' history row. Codes must be new."""
    require_role(actor, EDITORS, "导入地址库")
    div_ids = dict(session.execute(select(Division.code, Division.id)).all())
    start = (session.scalar(select(func.max(Address.id))) or 0) + 1
    ids: dict[str, int] = dict(session.execute(select(Address.code, Address.id)).all())
    rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    now = utcnow()
    for i, r in enumerate(records):
        if r.code in ids:
            raise Conflict(f"地址编码 {r.code} 已存在", field="code")
        ids[r.code] = start + i
        rows.append(
            {
                "id": start + i,
                "code": r.code,
                "level": r.level,
                "name": r.name,
                "full_name": r.full_name,
                "parent_id": ids[r.parent_code] if r.parent_code else None,
                "community_id": div_ids[r.community_code],
                "grid_id": div_ids.get(r.grid_code) if r.grid_code else None,
                "lon": r.lon,
                "lat": r.lat,
                "status": AddressStatus.ACTIVE.value,
                "created_at": now,
                "updated_at": now,
            }
        )
        alias_rows += [{"address_id": start + i, "alias": a, "kind": "alias", "created_at": now} for a in r.aliases]
    for k in range(0, len(rows), CHUNK):
        session.execute(insert(Address), rows[k : k + CHUNK])
        if progress:
            progress("addresses", min(k + CHUNK, len(rows)), len(rows))
    for k in range(0, len(alias_rows), CHUNK):
        session.execute(insert(AddressAlias), alias_rows[k : k + CHUNK])
    history = [
        {
            "address_id": r["id"],
            "action": "create",
            "before": {},
            "after": {"name": r["name"], "full_name": r["full_name"]},
            "actor_id": actor.user_id,
            "actor_role": actor.role.value,
            "note": note,
            "at": now,
        }
        for r in rows
    ]
    for k in range(0, len(history), CHUNK):
        session.execute(insert(AddressChange), history[k : k + CHUNK])
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('address', 'id'), (SELECT max(id) FROM address))"))
    record_audit(session, actor, AddressAudit.LOAD, "address", "*", {"count": len(rows), "aliases": len(alias_rows)})
    engine_key = library.key_of(session)
    after_commit(session, lambda: library.forget_key(engine_key))  # rebuilt on next use
    return len(rows)


@dataclass
class ImportReport:
    ok: bool
    created: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


IMPORT_COLUMNS = ("code", "level", "name", "parent_code", "community_code", "lon", "lat", "aliases")


def import_rows(
    session: Session, actor: Principal, rows: Sequence[dict[str, Any]], *, crs: CRS = "wgs84", start_line: int = 2
) -> ImportReport:
    """Validate every row (duplicate codes, orphans, bad coordinates, points outside their community), report
    each problem with its line, and write nothing unless every row is good."""
    require_role(actor, EDITORS, "导入地址库")
    errors: list[dict[str, Any]] = []
    snap = cache.snapshot(session)
    existing = dict(session.execute(select(Address.code, Address.full_name)).all())
    parents = {
        r[0]: (r[1], r[2], r[3])
        for r in session.execute(select(Address.code, Address.community_id, Address.status, Address.level))
    }
    seen: dict[str, int] = {}
    parsed: list[AddressRecord] = []
    full_names: dict[str, str] = {}
    file_rows: dict[str, tuple[int | None, str, str]] = {}
    locator = grid_locator(session)

    def bad(line: int, column: str, message: str) -> None:
        errors.append({"line": line, "field": column, "message": message})

    for offset, raw in enumerate(rows):
        line = start_line + offset
        row = {k: ("" if raw.get(k) is None else str(raw.get(k)).strip()) for k in IMPORT_COLUMNS}
        code, level, name = row["code"], row["level"], row["name"]
        if not code:
            bad(line, "code", "编码不能为空")
        elif code in seen:
            bad(line, "code", f"编码与第{seen[code]}行重复")
        elif code in existing:
            bad(line, "code", "编码已存在于地址库")
        seen.setdefault(code, line)
        if level not in ADDRESS_LEVELS:
            bad(line, "level", f"层级应为 {'/'.join(ADDRESS_LEVELS)}")
        if not name:
            bad(line, "name", "名称不能为空")
        community_id = snap.by_code.get(row["community_code"])
        if community_id is None or snap.divisions[community_id].level != "community":
            bad(line, "community_code", f"社区代码“{row['community_code']}”不存在")
        parent = row["parent_code"] or None
        if parent and parent not in existing and parent not in seen:
            bad(line, "parent_code", f"上级地址“{parent}”不存在（须在本文件前面或地址库中）")
        elif parent:
            p_community, p_status, p_level = parents.get(parent) or file_rows.get(parent) or (None, "", "")
            if p_status != AddressStatus.ACTIVE.value:
                bad(line, "parent_code", f"上级地址“{parent}”已注销或已合并")
            elif community_id is not None and p_community != community_id:
                bad(line, "parent_code", f"上级地址“{parent}”不在同一社区")
            elif (
                level in ADDRESS_LEVELS
                and p_level in ADDRESS_LEVELS
                and (ADDRESS_LEVELS.index(p_level) >= ADDRESS_LEVELS.index(level))
            ):
                bad(line, "parent_code", f"上级地址层级（{p_level}）应高于本行（{level}）")
        lon = lat = None
        grid_code = None
        if row["lon"] or row["lat"]:
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
                if not (math.isfinite(lon) and math.isfinite(lat) and 73 <= lon <= 136 and 3 <= lat <= 54):
                    raise ValueError
                lon, lat = convert(lon, lat, crs, "wgs84")
                lon, lat = round(lon, 6), round(lat, 6)
            except ValueError:
                bad(line, "lon", "经纬度无效（应为中国境内的十进制度数）")
                lon = lat = None
            if lon is not None and lat is not None and community_id is not None:
                grid_id = locator.locate(lon, lat)
                grid_community = snap.divisions[grid_id].parent_id if grid_id is not None else None
                if grid_community != community_id:
                    bad(line, "lon", "坐标不在所填社区范围内")
                elif grid_id is not None:
                    grid_code = snap.divisions[grid_id].code
        if community_id is None or level not in ADDRESS_LEVELS or not name or not code:
            continue
        file_rows[code] = (community_id, AddressStatus.ACTIVE.value, level)
        base = full_names.get(parent or "") or existing.get(parent or "") or _division_full_name(snap, community_id)
        full = base + name
        full_names[code] = full
        aliases = tuple(a for a in row["aliases"].replace("；", ";").split(";") if a.strip())
        parsed.append(
            AddressRecord(code, level, name, full, parent, row["community_code"], grid_code, lon, lat, aliases)
        )
    if errors:
        return ImportReport(ok=False, errors=errors)
    created = load_records(session, actor, parsed)
    return ImportReport(ok=True, created=created)


def _division_full_name(snap: cache.OrgSnapshot, division_id: int) -> str:
    names = []
    current: int | None = division_id
    while current is not None:
        info = snap.divisions[current]
        names.append(info.name)
        current = info.parent_id
    return "".join(reversed(names))
