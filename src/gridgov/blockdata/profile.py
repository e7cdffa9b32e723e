"""一楼一档: the whole picture of one standard address — residents (current and past), legal entities, rooms and
their use, phones, the cases at the address with their outcomes and the last on-site verification (核查) with who
did it — read inside the caller's data scope.

The cases live in an outer context (dispatch), which registers its reader here at start-up (wiring.py), so this
context never imports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.access import READERS, record_scope, require
from gridgov.blockdata.models import EntityRecord, PersonRecord, PhoneRecord, RoomRecord
from gridgov.blockdata.verify_models import VerificationTask, VerifySource, VerifyStatus
from gridgov.common.errors import NotFound
from gridgov.common.principal import Principal
from gridgov.org import cache

LIMIT = 500
CasesReader = Callable[[Session, Principal, Sequence[int], int], list[dict[str, Any]]]
_readers: list[CasesReader] = []


def register_cases_reader(reader: CasesReader) -> None:
    """The reader of the cases at some addresses, in the caller's case scope (registered by dispatch)."""
    if reader not in _readers:
        _readers.append(reader)


@dataclass
class Profile:
    address: dict[str, Any]
    addresses: int  # the address and every address below it
    residents: list[dict[str, Any]] = field(default_factory=list)
    past_residents: list[dict[str, Any]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    rooms: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    last_verification: dict[str, Any] | None = None  # the latest on-site 核查 at the address, and who did it


def _below(session: Session, root_id: int) -> list[int]:
    ids, frontier = [root_id], [root_id]
    while frontier and len(ids) < 20_000:
        frontier = list(session.scalars(select(Address.id).where(Address.parent_id.in_(frontier))))
        ids += frontier
    return ids


def _source(row: PersonRecord | EntityRecord | RoomRecord | PhoneRecord) -> dict[str, Any]:
    return {"department": row.department, "batch_id": row.batch_id, "line": row.line, "imported_at": row.imported_at}


def address_profile(session: Session, actor: Principal, code: str, today: date | None = None) -> Profile:
    require(actor, READERS, "查看一楼一档")
    a = session.scalar(select(Address).where(Address.code == code))
    if a is None:
        raise NotFound(f"地址编码“{code}”不存在", field="code")
    snap = cache.snapshot(session)
    grid = snap.divisions.get(a.grid_id) if a.grid_id is not None else None
    ids = _below(session, a.id)
    today = today or date.today()
    profile = Profile(
        address={
            "code": a.code,
            "name": a.name,
            "full_name": a.full_name,
            "level": a.level,
            "status": a.status,
            "grid": {"code": grid.code, "name": grid.name} if grid else None,
        },
        addresses=len(ids),
    )
    in_ids = ids[:5_000]
    people = session.scalars(
        select(PersonRecord)
        .where(
            PersonRecord.address_id.in_(in_ids), record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id)
        )
        .order_by(PersonRecord.room_code, PersonRecord.name, PersonRecord.id)
        .limit(LIMIT * 2)
    ).all()
    for p in people:
        item = {
            "id": p.id,
            "name": p.name,
            "id_type": p.id_type,
            "id_masked": p.id_masked,
            "sex": p.sex,
            "birth_year": p.birth_date.year if p.birth_date else None,
            "population": p.population,
            "room_code": p.room_code,
            "move_in": p.move_in,
            "move_out": p.move_out,
            "tags": p.tags,
            "source": _source(p),
        }
        gone = p.move_out is not None and p.move_out <= today
        (profile.past_residents if gone else profile.residents).append(item)
    entities = session.scalars(
        select(EntityRecord)
        .where(
            EntityRecord.address_id.in_(in_ids), record_scope(actor, EntityRecord.division_path, EntityRecord.grid_id)
        )
        .order_by(EntityRecord.name, EntityRecord.id)
        .limit(LIMIT)
    ).all()
    profile.companies = [
        {
            "id": e.id,
            "name": e.name,
            "uscc": e.uscc,
            "legal_rep": e.legal_rep,
            "industry": e.industry,
            "licence_status": e.licence_status,
            "room_code": e.room_code,
            "source": _source(e),
        }
        for e in entities
    ]
    rooms: dict[str, dict[str, Any]] = {}
    for r in session.scalars(
        select(RoomRecord)
        .where(RoomRecord.address_id.in_(in_ids), record_scope(actor, RoomRecord.division_path, RoomRecord.grid_id))
        .order_by(RoomRecord.imported_at, RoomRecord.id)
        .limit(LIMIT * 4)
    ):
        key = r.room_code or f"{code}-?"
        room = rooms.setdefault(key, {"room_code": key, "label": r.room_label, "use": r.use, "owner": "", "people": 0})
        room.update(use=r.use, owner=r.owner_name or room["owner"], source=_source(r))  # the newest record wins
    for resident in profile.residents:
        if resident["room_code"]:
            rooms.setdefault(
                resident["room_code"],
                {
                    "room_code": resident["room_code"],
                    "label": resident["room_code"].split("-", 1)[-1],
                    "use": None,
                    "owner": "",
                    "people": 0,
                },
            )["people"] += 1
    profile.rooms = sorted(rooms.values(), key=lambda r: str(r["room_code"]))[:LIMIT]
    names = {("person", p.id): p.name for p in people} | {("entity", e.id): e.name for e in entities}
    if names:
        phones = session.scalars(
            select(PhoneRecord)
            .where(
                PhoneRecord.person_id.in_([p.id for p in people]) | PhoneRecord.entity_id.in_([e.id for e in entities]),
                record_scope(actor, PhoneRecord.division_path, PhoneRecord.grid_id),
            )
            .order_by(PhoneRecord.id)
            .limit(LIMIT)
        )
        for ph in phones:
            owner = ("person", ph.person_id) if ph.person_id is not None else ("entity", ph.entity_id or 0)
            profile.phones.append(
                {"masked": ph.phone_masked, "owner_kind": owner[0], "owner_id": owner[1], "owner": names.get(owner, "")}
                | {"source": _source(ph)}
            )
    profile.last_verification = _last_verification(session, actor, in_ids)
    for reader in _readers:
        profile.events += reader(session, actor, in_ids, 100)
    profile.residents, profile.past_residents = profile.residents[:LIMIT], profile.past_residents[:LIMIT]
    return profile


def _last_verification(session: Session, actor: Principal, address_ids: list[int]) -> dict[str, Any] | None:
    t = VerificationTask
    last = session.scalar(
        select(t)
        .where(
            t.address_id.in_(address_ids),
            t.status != VerifyStatus.OPEN.value,
            record_scope(actor, t.division_path, t.grid_id),
        )
        .order_by(t.done_at.desc(), t.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    return {
        "at": last.done_at,
        "by": last.done_by_name,
        "outcome": last.status,
        "outcome_label": VerifyStatus(last.status).label,
        "source_label": VerifySource(last.source).label,
        "note": last.note,
    }
