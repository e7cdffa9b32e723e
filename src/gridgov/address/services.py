"""Address library actions: bulk load, import with validation, edit / rename / merge / retire / alias with
history, translate and locate, and the review queue. Each mutation checks the role, writes its history and
audit rows and commits once; the in-memory matcher is updated in step."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.geo import CRS, convert
from gridgov.address.matcher import MatchResult
from gridgov.address.models import (
    Address,
    AddressAlias,
    AddressChange,
    AddressReview,
    AddressStatus,
    ReviewStatus,
)
from gridgov.address.records import ADDRESS_LEVELS, AddressRecord
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.org import cache
from gridgov.org.models import Division
from gridgov.org.spatial import grid_locator

EDITORS = frozenset({Role.ADMIN, Role.SYSTEM})
REVIEWERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.COMMUNITY_STAFF, Role.SYSTEM})
CHUNK = 5000
LEARN_MAX_CHARS = 40


def _require(actor: Principal, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"无权{what}")


def _require_within(session: Session, actor: Principal, a: Address) -> None:
    """A centre teaches aliases and places cases only on addresses of its own area: an alias changes matching
    for everyone."""
    if actor.role in EDITORS:
        return
    path = cache.snapshot(session).divisions[a.community_id].path
    if not (actor.division_path and path.startswith(actor.division_path)):
        raise Forbidden("该地址不在您的管辖范围内", field="code")


# --- bulk load ------------------------------------------------------------------------------------------


def load_records(
    session: Session,
    actor: Principal,
    records: Sequence[AddressRecord],
    progress: Callable[[str, int, int], None] | None = None,
    note: str | None = None,
) -> int:
    """Insert many records (parents first) in bulk, in one transaction, each with its 'create' history row.
    Codes must be new."""
    _require(actor, EDITORS, "导入地址库")
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
    record_audit(session, actor, "address.load", "address", "*", {"count": len(rows), "aliases": len(alias_rows)})
    session.commit()
    library.forget(session)
    return len(rows)


# --- import with validation -----------------------------------------------------------------------------


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
    _require(actor, EDITORS, "导入地址库")
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


# --- edit, rename, merge, retire, alias -----------------------------------------------------------------


def _get(session: Session, code: str) -> Address:
    row = session.scalar(select(Address).where(Address.code == code))
    if row is None:
        raise NotFound(f"地址编码“{code}”不存在", field="code")
    return row


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
    session: Session, actor: Principal, a: Address, action: str, before: dict[str, Any], note: str | None = None
) -> None:
    session.add(
        AddressChange(
            address_id=a.id,
            action=action,
            before=before,
            after=_snapshot(a),
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            note=note,
            at=utcnow(),
        )
    )
    record_audit(session, actor, f"address.{action}", "address", a.code, {"note": note})


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


def _sync(session: Session, a: Address) -> None:
    eng = library.loaded(session)
    if eng is None:
        return
    old = eng.records.get(a.code)
    if a.status == AddressStatus.ACTIVE.value:
        rec = _record_of(session, a)
        eng.matcher.upsert(rec)
        eng.records[a.code] = rec
        if old is not None and (old.lon, old.lat) != (rec.lon, rec.lat):
            eng.points.retire(a.code)  # the point index is static: a moved address leaves it until the rebuild
    else:
        eng.matcher.remove(a.code)
        eng.records.pop(a.code, None)
        eng.points.retire(a.code)


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
    _require(actor, EDITORS, "修改地址")
    new_name = new_name.strip()
    if not new_name:
        raise InvalidInput("新名称不能为空", field="name")
    a = _get(session, code)
    if a.status != AddressStatus.ACTIVE.value:
        raise Conflict("已注销或合并的地址不能改名", field="code")
    before = _snapshot(a)
    old = a.name
    a.full_name = a.full_name[: len(a.full_name) - len(old)] + new_name if a.full_name.endswith(old) else a.full_name
    a.name, a.updated_at = new_name, utcnow()
    below = _refresh_descendants(session, a, before["full_name"])
    if keep_old_as_alias:
        session.add(AddressAlias(address_id=a.id, alias=old, kind="old_name", created_by=actor.user_id))
    _change(session, actor, a, "rename", before, note)
    session.commit()
    for node in (a, *below):
        _sync(session, node)
    return a


def retire_address(session: Session, actor: Principal, code: str, note: str | None = None) -> Address:
    _require(actor, EDITORS, "注销地址")
    a = _get(session, code)
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
    _change(session, actor, a, "retire", before, note)
    session.commit()
    _sync(session, a)
    return a


def merge_addresses(session: Session, actor: Principal, code: str, into_code: str, note: str | None = None) -> Address:
    """`code` is a duplicate of `into_code`: its children move over and its names become aliases."""
    _require(actor, EDITORS, "合并地址")
    if code == into_code:
        raise InvalidInput("不能与自身合并", field="into_code")
    a, target = _get(session, code), _get(session, into_code)
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
    _change(session, actor, a, "merge", before, note or f"并入 {target.code}")
    session.commit()
    for node in (a, target, *moved):
        _sync(session, node)
    return target


def add_alias(session: Session, actor: Principal, code: str, alias: str, kind: str = "alias") -> Address:
    _require(actor, REVIEWERS, "添加地址别名")
    alias = alias.strip()
    if not alias or len(alias) > 200:
        raise InvalidInput("别名不能为空且不超过 200 字", field="alias")
    a = _get(session, code)
    _require_within(session, actor, a)
    if a.status != AddressStatus.ACTIVE.value:
        raise Conflict("已注销或合并的地址不能添加别名", field="code")
    exists = session.scalar(select(AddressAlias.id).where(AddressAlias.address_id == a.id, AddressAlias.alias == alias))
    if exists is None:
        before = _snapshot(a)
        session.add(AddressAlias(address_id=a.id, alias=alias, kind=kind, created_by=actor.user_id))
        _change(session, actor, a, "alias", before, alias)
        session.commit()
        eng = library.loaded(session)
        if eng is not None:
            eng.matcher.add_alias(a.code, alias)
    return a


# --- translate and locate -------------------------------------------------------------------------------


def translate(session: Session, text_in: str) -> MatchResult:
    return library.engines(session).matcher.match(text_in)


def translate_batch(session: Session, texts: Sequence[str]) -> list[MatchResult]:
    return library.engines(session).matcher.match_batch(texts)


@dataclass
class Located:
    lon: float
    lat: float
    grid: dict[str, str] | None
    community: dict[str, str] | None
    street: dict[str, str] | None
    district: dict[str, str] | None
    nearest: list[dict[str, Any]]


def locate_point(
    session: Session, lon: float, lat: float, crs: CRS = "wgs84", k: int = 5, max_m: float = 300.0
) -> Located:
    """Point → grid, community, street, district, and the nearest standard addresses."""
    wlon, wlat = convert(lon, lat, crs, "wgs84")
    snap = cache.snapshot(session)
    grid_id = grid_locator(session).locate(wlon, wlat)
    levels: dict[str, dict[str, str] | None] = {"grid": None, "community": None, "street": None, "district": None}
    if grid_id is not None:
        for place in snap.ancestry(grid_id):
            if place.level in levels:
                info = snap.divisions[place.id]
                levels[place.level] = {"code": info.code, "name": info.name}
    eng = library.engines(session)
    nearest = [
        {
            "code": code,
            "full_name": eng.records[code].full_name,
            "level": eng.records[code].level,
            "distance_m": round(dist, 1),
        }
        for code, dist in eng.points.nearest(wlon, wlat, k=k, max_m=max_m)
    ]
    return Located(
        round(wlon, 6),
        round(wlat, 6),
        levels["grid"],
        levels["community"],
        levels["street"],
        levels["district"],
        nearest,
    )


# --- review queue ---------------------------------------------------------------------------------------


def review_row(
    text_in: str, result: MatchResult, *, source: str, source_id: int | None, division_path: str
) -> dict[str, Any]:
    """The review-queue row for an input the matcher could not place with confidence."""
    return {
        "input_text": text_in[:300],
        "confidence": result.confidence,
        "explanation": list(result.explanation),
        "candidates": [
            {"code": c.code, "full_name": c.full_name, "level": c.level, "score": round(c.score, 3)}
            for c in result.candidates
        ],
        "source": source,
        "source_id": source_id,
        "division_path": division_path,
    }


def resolve_review(
    session: Session, actor: Principal, review_id: int, code: str, learn: bool = True, now: datetime | None = None
) -> AddressReview:
    """A human picks the standard address: the input becomes an alias (so it matches next time) and the
    event that raised it gets its address, grid and tier."""
    _require(actor, REVIEWERS, "确认地址")
    review = _visible_review(session, actor, review_id)
    if review.status != ReviewStatus.PENDING.value:
        raise Conflict("该条已处理", field="review_id")
    target = _get(session, code)
    _require_within(session, actor, target)
    if target.status != AddressStatus.ACTIVE.value:
        raise Conflict("不能选择已注销或合并的地址", field="code")
    review.status, review.resolved_address_id = ReviewStatus.RESOLVED.value, target.id
    review.resolved_by, review.resolved_at = actor.user_id, now or utcnow()
    record_audit(session, actor, "address.review.resolve", "address_review", review.id, {"code": code})
    if review.source == "event" and review.source_id is not None:
        from gridgov.dispatch.intake import attach_address

        attach_address(session, actor, review.source_id, target, 1.0, now or utcnow())
    session.commit()
    if learn:
        from gridgov.address.normalize import normalize

        alias = normalize(review.input_text)
        # only short inputs become aliases; a whole complaint sentence would teach the matcher noise
        if alias and alias != target.name and len(alias) <= LEARN_MAX_CHARS:
            add_alias(session, actor, code, alias, kind="learned")
    return review


def dismiss_review(session: Session, actor: Principal, review_id: int, note: str | None = None) -> AddressReview:
    _require(actor, REVIEWERS, "处理地址待确认")
    review = _visible_review(session, actor, review_id)
    if review.status != ReviewStatus.PENDING.value:
        raise Conflict("该条已处理", field="review_id")
    review.status, review.resolved_by, review.resolved_at = ReviewStatus.DISMISSED.value, actor.user_id, utcnow()
    record_audit(session, actor, "address.review.dismiss", "address_review", review.id, {"note": note})
    session.commit()
    return review


def _review_scope(actor: Principal) -> Any:
    if actor.role in (Role.ADMIN, Role.SYSTEM):
        return AddressReview.id.is_not(None)
    path = actor.division_path or "\0"
    # a reviewer sees inputs raised inside their subtree, and unlocated ones raised above it
    return AddressReview.division_path.startswith(path, autoescape=True) | (
        func.substr(path, 1, func.length(AddressReview.division_path)) == AddressReview.division_path
    )


def _visible_review(session: Session, actor: Principal, review_id: int) -> AddressReview:
    review = session.scalar(select(AddressReview).where(AddressReview.id == review_id, _review_scope(actor)))
    if review is None:
        raise NotFound("待确认记录不存在或无权查看", field="review_id")
    return review


def list_reviews(session: Session, actor: Principal, status: str = "pending", limit: int = 50) -> list[AddressReview]:
    _require(actor, REVIEWERS, "查看地址待确认")
    return list(
        session.scalars(
            select(AddressReview)
            .where(AddressReview.status == status, _review_scope(actor))
            .order_by(AddressReview.id.desc())
            .limit(limit)
        )
    )
