"""The verification queue as the grid worker sees it: open (or settled) tasks in the caller's data scope, each
with what is to be checked on site — PII only in its masked form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.access import READERS, record_scope, require
from gridgov.blockdata.models import EntityRecord, PersonRecord, PhoneRecord
from gridgov.blockdata.verify_models import (
    DeclarantRole,
    Declaration,
    DeclarationKind,
    VerificationTask,
    VerifySource,
    VerifyStatus,
)
from gridgov.common.principal import Principal


@dataclass
class QueueItem:
    id: int
    source: str
    source_label: str
    status: str
    status_label: str
    created_at: datetime
    address_text: str
    address_code: str | None
    title: str
    name: str
    id_masked: str | None
    phone_masked: str | None
    move_in: date | None
    move_out: date | None
    declaration_number: str | None
    declarant: str | None
    record: str | None
    record_id: int | None
    last_seen: datetime | None
    done_at: datetime | None
    done_by_name: str | None
    note: str | None


def verification_queue(
    session: Session, actor: Principal, status: str = "open", limit: int = 100
) -> tuple[list[QueueItem], int]:
    """The caller's tasks of one status (oldest first while open, newest first once settled) and their total."""
    require(actor, READERS, "查看核查任务")
    t = VerificationTask
    where = [t.status == status, record_scope(actor, t.division_path, t.grid_id)]
    total = int(session.scalar(select(func.count()).select_from(t).where(*where)) or 0)
    order = t.id.asc() if status == VerifyStatus.OPEN.value else t.id.desc()
    tasks = list(session.scalars(select(t).where(*where).order_by(order).limit(limit)))
    declarations = {
        d.id: d
        for d in session.scalars(
            select(Declaration).where(Declaration.id.in_({x.declaration_id for x in tasks if x.declaration_id}))
        )
    }
    people = _by_id(session, PersonRecord, {x.record_id for x in tasks if x.record == "person" and x.record_id})
    entities = _by_id(session, EntityRecord, {x.record_id for x in tasks if x.record == "entity" and x.record_id})
    phones = _first_phones(session, set(people), set(entities))
    address_ids = {x.address_id for x in tasks if x.address_id is not None}
    codes = {i: c for i, c in session.execute(select(Address.id, Address.code).where(Address.id.in_(address_ids)))}
    items = []
    for x in tasks:
        base: dict[str, Any] = {
            "id": x.id,
            "source": x.source,
            "source_label": VerifySource(x.source).label,
            "status": x.status,
            "status_label": VerifyStatus(x.status).label,
            "created_at": x.created_at,
            "address_code": codes.get(x.address_id) if x.address_id else None,
            "record": x.record,
            "record_id": x.record_id,
            "done_at": x.done_at,
            "done_by_name": x.done_by_name,
            "note": x.note,
        }
        d = declarations.get(x.declaration_id or 0)
        if d is not None:
            room = str(d.fields.get("room", ""))
            items.append(
                QueueItem(
                    **base,
                    address_text=d.address_text + (f" {room}" if room else ""),
                    title=DeclarationKind(d.kind).label,
                    name=str(d.fields.get("tenant_name", "")),
                    id_masked=d.id_masked,
                    phone_masked=d.phone_masked,
                    move_in=_day(d.fields.get("move_in")),
                    move_out=_day(d.fields.get("move_out")),
                    declaration_number=d.number,
                    declarant=f"{DeclarantRole(d.declarant_role).label} {d.declarant_name} {d.declarant_phone_masked}",
                    last_seen=d.created_at,
                )
            )
            continue
        p = people.get(x.record_id or 0) if x.record == "person" else None
        e = entities.get(x.record_id or 0) if x.record == "entity" else None
        row = p or e
        items.append(
            QueueItem(
                **base,
                address_text=row.address_text if row else "",
                title="到期复核：" + ("法人" if x.record == "entity" else "人口"),
                name=row.name if row else "（记录已不存在）",
                id_masked=p.id_masked if p else (e.uscc if e else None),
                phone_masked=phones.get((x.record or "", x.record_id or 0)),
                move_in=p.move_in if p else None,
                move_out=p.move_out if p else None,
                declaration_number=None,
                declarant=None,
                last_seen=row.imported_at if row else None,
            )
        )
    return items, total


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    return {r.id: r for r in session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}


def _first_phones(session: Session, people: set[int], entities: set[int]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for record, column, ids in (("person", PhoneRecord.person_id, people), ("entity", PhoneRecord.entity_id, entities)):
        if ids:
            for owner, masked in session.execute(select(column, PhoneRecord.phone_masked).where(column.in_(ids))):
                if owner is not None:
                    out.setdefault((record, int(owner)), masked)
    return out
