"""热点诉求 — the IOC's "hot issues" table: the period's reports grouped by place and topic with the repeat rule
(`dispatch.hotspot_rules`: same standard address or within the repeat radius, related 小类, alike text), ranked by
count, spread (distinct reporters) and growth, each with its time range, places (grids), representative texts, a
daily trend for the sparkline and its case numbers. Read from the newest `MAX_REPORTS` reports of the period in
the viewer's scope."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.dashboard.measures import in_period
from gridgov.dashboard.view import View, Window, path_ids
from gridgov.dispatch.hotspot_rules import Item, hotspots
from gridgov.dispatch.models import Event
from gridgov.dispatch.repeat_rules import Report
from gridgov.dispatch.repeats import policy_of

MAX_REPORTS = 3000


class HotIssueOut(BaseModel):
    count: int = Field(description="报件数")
    spread: int = Field(description="不同上报人数")
    growth: float = Field(description="增长：时段后半的报件数 ÷ 前半")
    first: datetime
    last: datetime
    places: list[str] = Field(description="涉及网格")
    texts: list[str] = Field(description="代表性诉求（最典型者在前）")
    trend: list[int] = Field(description="每日报件数（首日起）")
    numbers: list[str] = Field(description="案件编号")


class HotIssuesOut(BaseModel):
    items: list[HotIssueOut]
    reports: int = Field(description="参与聚类的报件数")


def hot_issues(session: Session, view: View, win: Window, limit: int) -> HotIssuesOut:
    rows = session.execute(
        in_period(
            select(
                Event.id,
                Event.number,
                Event.title,
                Event.description,
                Event.address_id,
                Event.lat,
                Event.lon,
                Event.category_id,
                Event.reported_at,
                Event.reporter_id,
                Event.division_path,
            ).where(view.where()),
            Event.reported_at,
            win.start,
            win.end,
        )
        .order_by(Event.id.desc())
        .limit(MAX_REPORTS)
    ).all()
    cats = catalog_cache.snapshot(session).by_id
    numbers: dict[int, str] = {}
    items: list[Item] = []
    for r in rows:
        ids = path_ids(r.division_path)
        place = view.snap.divisions[ids[-1]].name if ids and ids[-1] in view.snap.divisions else ""
        major = cats[r.category_id].parent_id if r.category_id in cats else None
        text = f"{r.title}。{r.description}" if r.description else r.title
        report = Report(text, r.address_id, r.lat, r.lon, r.category_id, major)
        items.append(Item(r.id, report, r.reported_at, str(r.reporter_id or f"anon-{r.id}"), place))
        numbers[r.id] = r.number or str(r.id)
    found = hotspots(items, policy_of(session))[:limit]
    out = [
        HotIssueOut(
            count=h.count,
            spread=h.spread,
            growth=h.growth,
            first=h.first,
            last=h.last,
            places=list(h.places),
            texts=[t[:80] for t in h.texts],
            trend=list(h.trend),
            numbers=[numbers[k] for k in h.keys][:20],
        )
        for h in found
    ]
    return HotIssuesOut(items=out, reports=len(items))
