"""How block data reacts to the other contexts (registered at start-up by `wiring`): a person resolved the
address review a record was waiting in, so the record, its room and its phones get the address, grid and scope
(a vacant room waits as itself)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.address.reviews import REVIEW_RESOLVED
from gridgov.blockdata.models import EntityRecord, PersonRecord, PhoneRecord, RoomRecord
from gridgov.common.events import EventBus, Published
from gridgov.org import cache

Placed = type[PersonRecord] | type[EntityRecord] | type[RoomRecord]
# a vacant room (a rental row without a tenant) waits in the review queue as itself
SOURCES: dict[str, Placed] = {"bd_person": PersonRecord, "bd_entity": EntityRecord, "bd_room": RoomRecord}


def place_reviewed_record(session: Session, event: Published) -> None:
    payload = event.payload
    model = SOURCES.get(str(payload.get("source")))
    if model is None or payload.get("source_id") is None:
        return
    record_id = int(payload["source_id"])
    address = session.get(Address, int(payload["address_id"]))
    if address is None:
        return
    snap = cache.snapshot(session)
    grid_id = address.grid_id
    path = snap.divisions[grid_id].path if grid_id is not None else snap.divisions[address.community_id].path
    place = {"address_id": address.id, "grid_id": grid_id, "division_path": path, "address_confidence": 1.0}
    session.execute(update(model).where(model.id == record_id).values(**place))
    if model is RoomRecord:
        return
    owner = PhoneRecord.person_id if model is PersonRecord else PhoneRecord.entity_id
    session.execute(update(PhoneRecord).where(owner == record_id).values(grid_id=grid_id, division_path=path))
    if model is PersonRecord:
        session.execute(update(RoomRecord).where(RoomRecord.tenant_id == record_id).values(**place))


def register(bus: EventBus) -> None:
    bus.subscribe(REVIEW_RESOLVED, place_reviewed_record)
