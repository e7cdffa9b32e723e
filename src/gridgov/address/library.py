"""The library in memory: records read from the database, and the matcher / point index built from them.

One engine per process and database, built on first use and kept current by the services that edit the
library (incremental upsert / alias / remove), so a human's choice in the review queue takes effect at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.division_names import DivisionNames
from gridgov.address.geo import AddressPoints
from gridgov.address.matcher import AddressMatcher
from gridgov.address.models import Address, AddressAlias, AddressStatus
from gridgov.address.records import AddressRecord, DivisionRecord, division_aliases
from gridgov.org.models import Division

POINT_LEVELS = ("door", "building")


@dataclass
class Engines:
    matcher: AddressMatcher
    points: AddressPoints
    records: dict[str, AddressRecord]
    grid_fallback: dict[str, str]
    divisions: DivisionNames  # the divisions a free text names (a report no address matches still has a centre)

    def grid_of(self, code: str) -> str | None:
        """The address's grid; for a road or compound without a point, the grid of one of its buildings."""
        rec = self.records.get(code)
        if rec is not None and rec.grid_code:
            return rec.grid_code
        return self.grid_fallback.get(code)


def _grid_fallback(records: list[AddressRecord]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in reversed(records):  # children after parents: walk up from the leaves
        grid = r.grid_code or out.get(r.code)
        if grid and r.parent_code and r.parent_code not in out:
            out[r.parent_code] = grid
    return out


_lock = threading.Lock()
_building = threading.Lock()  # one build at a time: the warm-up thread and the first requests wait for it
_engines: dict[str, Engines] = {}


def division_records(session: Session) -> list[DivisionRecord]:
    rows = session.execute(
        select(Division.id, Division.code, Division.name, Division.level, Division.parent_id).where(
            Division.level != "grid"
        )
    ).all()
    code_of = {r[0]: r[1] for r in rows}
    out = []
    for _id, code, name, level, parent_id in rows:
        aliases = division_aliases(name, level)
        out.append(DivisionRecord(code, name, level, code_of.get(parent_id) if parent_id else None, aliases))
    order = {"city": 0, "district": 1, "street": 2, "community": 3}
    out.sort(key=lambda d: (order.get(d.level, 9), d.code))
    return out


def address_records(session: Session) -> list[AddressRecord]:
    div_code = dict(session.execute(select(Division.id, Division.code)).all())
    aliases: dict[int, list[str]] = {}
    for address_id, alias in session.execute(select(AddressAlias.address_id, AddressAlias.alias)):
        aliases.setdefault(address_id, []).append(alias)
    rows = session.execute(
        select(
            Address.id,
            Address.code,
            Address.level,
            Address.name,
            Address.full_name,
            Address.parent_id,
            Address.community_id,
            Address.grid_id,
            Address.lon,
            Address.lat,
        )
        .where(Address.status == AddressStatus.ACTIVE.value)
        .order_by(Address.id)
    ).all()
    code_of = {r[0]: r[1] for r in rows}
    return [
        AddressRecord(
            code=r[1],
            level=r[2],
            name=r[3],
            full_name=r[4],
            parent_code=code_of.get(r[5]) if r[5] else None,
            community_code=div_code[r[6]],
            grid_code=div_code.get(r[7]) if r[7] else None,
            lon=r[8],
            lat=r[9],
            aliases=tuple(aliases.get(r[0], ())),
        )
        for r in rows
    ]


def key_of(session: Session) -> str:
    """Which database's engines a session uses."""
    return str(session.get_bind().engine.url)


def engines(session: Session) -> Engines:
    key = key_of(session)
    with _lock:
        found = _engines.get(key)
    if found is not None:
        return found
    with _building:
        with _lock:
            found = _engines.get(key)
        if found is not None:  # built by whoever held the lock before us
            return found
        records = address_records(session)
        divisions = division_records(session)
        built = Engines(
            matcher=AddressMatcher.build(divisions, records),
            points=AddressPoints(records, POINT_LEVELS),
            records={r.code: r for r in records},
            grid_fallback=_grid_fallback(records),
            divisions=DivisionNames(divisions),
        )
        with _lock:
            _engines[key] = built
    return built


def forget(session: Session | None = None) -> None:
    """Drop the in-memory engines (after a bulk import); they are rebuilt on next use."""
    with _lock:
        if session is None:
            _engines.clear()
        else:
            _engines.pop(key_of(session), None)


def forget_key(key: str) -> None:
    with _lock:
        _engines.pop(key, None)


def loaded(session: Session) -> Engines | None:
    with _lock:
        return _engines.get(key_of(session))


def loaded_by_key(key: str) -> Engines | None:
    with _lock:
        return _engines.get(key)
