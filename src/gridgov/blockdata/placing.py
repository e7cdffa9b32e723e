"""Department address text → standard address, grid and scope path, through the address library's translation
service. Room text (单元/楼层/房号) is split off first, so that the many rooms of one building are translated once;
weak matches are placed nowhere (the city's path) and queued for review."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address import library, lookup
from gridgov.address.matcher import MatchResult
from gridgov.address.models import Address
from gridgov.blockdata.rules import room_code
from gridgov.org import cache

CHUNK = 2_000
# unit / floor / room below a building: "2单元501", "5楼502", "501室", "A座1203房", "-1203"
_ROOM_TAIL = re.compile(
    r"(?:(?:\d+|[一二三四五六七八九十]+)单元)?(?:\d+(?:楼|层))?(?:\d{2,5}|[A-Z]\d{2,4})(?:室|房|号房)?$"
)
_ROOM_AFTER = re.compile(r"(栋|座|幢|号楼|号)[-\s]*(?=\S)")


def split_room(text: str) -> tuple[str, str | None]:
    """("福民路1号福民新村3栋", "2单元501") for "福民路1号福民新村3栋2单元501"; the text itself when no room follows a
    building (栋/座/幢/号楼/号)."""
    t = text.strip()
    for found in reversed(list(_ROOM_AFTER.finditer(t))):
        tail = t[found.end() :].strip()
        if tail and _ROOM_TAIL.fullmatch(tail):
            return t[: found.end(1)], tail
        break
    return t, None


@dataclass(frozen=True)
class Placement:
    address_id: int | None
    address_code: str | None
    confidence: float
    room_code: str | None
    grid_id: int | None
    division_path: str
    weak: MatchResult | None  # the result to queue for review (None when placed)


ProgressFn = Callable[[str, int, int], None]


def place_all(session: Session, texts: Sequence[str], progress: ProgressFn | None = None) -> list[Placement]:
    """One placement per text (in order); each distinct building text is translated once."""
    split = [split_room(t) for t in texts]
    distinct = sorted({building for building, _room in split})
    results: dict[str, MatchResult] = {}
    for start in range(0, len(distinct), CHUNK):
        chunk = distinct[start : start + CHUNK]
        results.update(zip(chunk, lookup.translate_batch(session, chunk), strict=True))
        if progress:
            progress("address", min(start + CHUNK, len(distinct)), len(distinct))
    codes = {r.best.code for r in results.values() if r.best is not None and not r.needs_review}
    rows: dict[str, tuple[int, int | None, int]] = {}
    for start in range(0, len(codes), 900):
        part = sorted(codes)[start : start + 900]
        stmt = select(Address.code, Address.id, Address.grid_id, Address.community_id).where(Address.code.in_(part))
        rows.update({c: (i, g, m) for c, i, g, m in session.execute(stmt)})
    snap = cache.snapshot(session)
    root = snap.divisions[snap.root_id].path
    engines = library.engines(session)
    out = []
    for building, room in split:
        result = results[building]
        best = result.best
        if best is None or result.needs_review or best.code not in rows:
            out.append(Placement(None, None, result.confidence, None, None, root, result))
            continue
        address_id, grid_id, community_id = rows[best.code]
        if grid_id is None:
            grid_code = engines.grid_of(best.code)
            grid_id = snap.by_code.get(grid_code) if grid_code else None
        path = snap.divisions[grid_id if grid_id is not None else community_id].path
        rest = room or result.remainder
        out.append(Placement(address_id, best.code, result.confidence, room_code(best.code, rest), grid_id, path, None))
    return out
