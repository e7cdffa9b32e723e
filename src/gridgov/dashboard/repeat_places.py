"""重复投诉地址 — the IOC's list of standard addresses (and the legal entities registered there) with repeated
complaints: the period's reports in the viewer's scope grouped by standard address (attached repeats counted too,
they are complaints), at least `MIN_REPORTS` each, ranked by count then the latest report; each with its distinct
reporters, last report, most frequent 小类 and the entities of the block data at that address."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.models import EntityRecord
from gridgov.catalog import cache as catalog_cache
from gridgov.common.timeutil import as_utc
from gridgov.dashboard.measures import in_period
from gridgov.dashboard.view import View, Window
from gridgov.dispatch.models import Event

MIN_REPORTS = 2
ENTITIES_SHOWN = 3


class RepeatPlaceOut(BaseModel):
    address_code: str = Field(description="标准地址编码")
    address: str = Field(description="标准地址")
    entities: list[str] = Field(description="该地址登记的法人单位（最多 3 个）")
    count: int = Field(description="本时段报件数（含已合并的重复诉求）")
    reporters: int = Field(description="不同上报人数")
    last: datetime = Field(description="最近一次报件时间")
    top_category: str = Field(description="最多的小类")
    top_category_count: int


class RepeatPlacesOut(BaseModel):
    items: list[RepeatPlaceOut]


def repeat_places(session: Session, view: View, win: Window, limit: int) -> RepeatPlacesOut:
    count = func.count(Event.id)
    ranked = session.execute(
        in_period(
            select(Event.address_id, count.label("n"), func.max(Event.reported_at).label("last")).where(
                view.where(), Event.address_id.is_not(None)
            ),
            Event.reported_at,
            win.start,
            win.end,
        )
        .group_by(Event.address_id)
        .having(count >= MIN_REPORTS)
        .order_by(count.desc(), func.max(Event.reported_at).desc(), Event.address_id)
        .limit(limit)
    ).all()
    ids = [r.address_id for r in ranked]
    if not ids:
        return RepeatPlacesOut(items=[])
    cats: dict[int, Counter[int | None]] = defaultdict(Counter)
    people: dict[int, set[str]] = defaultdict(set)
    detail = in_period(
        select(Event.id, Event.address_id, Event.category_id, Event.reporter_id).where(
            view.where(), Event.address_id.in_(ids)
        ),
        Event.reported_at,
        win.start,
        win.end,
    )
    for d in session.execute(detail):
        cats[d.address_id][d.category_id] += 1
        people[d.address_id].add(str(d.reporter_id) if d.reporter_id is not None else f"anon-{d.id}")
    place = {
        a.id: (a.code, a.full_name)
        for a in session.execute(select(Address.id, Address.code, Address.full_name).where(Address.id.in_(ids)))
    }
    entities: dict[int, list[str]] = defaultdict(list)
    for address_id, name in session.execute(
        select(EntityRecord.address_id, EntityRecord.name)
        .where(EntityRecord.address_id.in_(ids))
        .order_by(EntityRecord.address_id, EntityRecord.name)
    ):
        if address_id is not None and len(entities[address_id]) < ENTITIES_SHOWN and name not in entities[address_id]:
            entities[address_id].append(name)
    by_id = catalog_cache.snapshot(session).by_id
    items = []
    for r in ranked:
        top, top_n = cats[r.address_id].most_common(1)[0] if cats[r.address_id] else (None, 0)
        items.append(
            RepeatPlaceOut(
                address_code=str(place.get(r.address_id, ("", ""))[0]),
                address=str(place.get(r.address_id, ("", ""))[1]),
                entities=entities.get(r.address_id, []),
                count=int(r.n),
                reporters=len(people[r.address_id]),
                last=as_utc(r.last),
                top_category=by_id[top].name if top in by_id else "未分类",
                top_category_count=top_n,
            )
        )
    return RepeatPlacesOut(items=items)
