"""Read queries of the standard address library (the library is reference data every signed-in user may read):
search by code, prefix and fuzzy text, aliases of many addresses at once, one address with its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridgov.address import lookup
from gridgov.address.models import Address, AddressAlias, AddressChange
from gridgov.address.normalize import normalize
from gridgov.common.errors import NotFound


def aliases_of(session: Session, addresses: Sequence[Address]) -> dict[int, list[str]]:
    """Address id → its aliases, for all the given addresses in one query."""
    out: dict[int, list[str]] = {}
    if addresses:
        rows = session.execute(
            select(AddressAlias.address_id, AddressAlias.alias).where(
                AddressAlias.address_id.in_([a.id for a in addresses])
            )
        )
        for address_id, alias in rows:
            out.setdefault(address_id, []).append(alias)
    return out


def search_addresses(session: Session, q: str, level: str | None = None, limit: int = 20) -> list[Address]:
    """An exact code first; else active addresses whose name starts with, or whose full name contains, the
    normalized text (shortest full names first), topped up with what the matcher proposes for the text."""
    exact = session.scalar(select(Address).where(Address.code == q.strip()))
    if exact is not None:
        return [exact]
    key = normalize(q)
    if not key:
        return []
    stmt = select(Address).where(
        or_(Address.name.startswith(key, autoescape=True), Address.full_name.contains(key, autoescape=True)),
        Address.status == "active",
    )
    if level:
        stmt = stmt.where(Address.level == level)
    rows = list(session.scalars(stmt.order_by(func.length(Address.full_name), Address.code).limit(limit)))
    if len(rows) < limit:  # fuzzy: what the matcher proposes for the text
        seen = {a.code for a in rows}
        codes = [c.code for c in lookup.translate(session, q).candidates if c.code not in seen]
        if codes:
            by_code = {a.code: a for a in session.scalars(select(Address).where(Address.code.in_(codes)))}
            rows += [by_code[c] for c in codes if c in by_code and (not level or by_code[c].level == level)]
    return rows[:limit]


@dataclass(frozen=True)
class AddressDetail:
    address: Address
    aliases: list[str]
    children: int
    history: list[AddressChange]


def address_detail(session: Session, code: str) -> AddressDetail:
    a = session.scalar(select(Address).where(Address.code == code))
    if a is None:
        raise NotFound(f"地址编码“{code}”不存在", field="code")
    children = session.scalar(select(func.count()).select_from(Address).where(Address.parent_id == a.id)) or 0
    history = list(
        session.scalars(select(AddressChange).where(AddressChange.address_id == a.id).order_by(AddressChange.id))
    )
    return AddressDetail(a, aliases_of(session, [a]).get(a.id, []), children, history)
