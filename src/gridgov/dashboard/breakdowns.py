"""Breakdowns of the cases reported in a period: by 大类, channel, child division or lead department, each
with how many of them are closed (or rated) now."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.dashboard.measures import CLOSED_VALUES, SelectT, in_period, lead_department
from gridgov.dashboard.reference import categories, department_names
from gridgov.dashboard.schemas import BreakdownBy, BreakdownItem, BreakdownOut
from gridgov.dashboard.view import View, Window, rollup_children
from gridgov.dispatch.models import Channel, Event

CHANNEL_LABELS = {c.value: c.label for c in Channel}
GRID_LEAD_KEY, GRID_LEAD_LABEL = "grid", "网格自办"
NO_LEAD_KEY, NO_LEAD_LABEL = "unassigned", "未派遣"


def department_key(session: Session, dept_id: int | None) -> tuple[str, str]:
    if dept_id is None:
        return NO_LEAD_KEY, NO_LEAD_LABEL
    if dept_id == 0:
        return GRID_LEAD_KEY, GRID_LEAD_LABEL
    code, name = department_names(session).get(dept_id, (str(dept_id), f"部门{dept_id}"))
    return code, name


def breakdown(session: Session, view: View, win: Window, by: BreakdownBy) -> BreakdownOut:
    """Cases reported in the period, by 大类, channel, child division or lead department: how many and how
    many of them are closed (or rated) now. The counts of each breakdown add up to the period's reported."""

    def reported(stmt: SelectT) -> SelectT:
        return in_period(stmt.where(view.where()), Event.reported_at, win.start, win.end)

    is_closed = func.count().filter(Event.status.in_(CLOSED_VALUES))
    items: list[BreakdownItem] = []
    if by == BreakdownBy.MAJOR:
        cats = categories(session)
        acc: dict[int | None, list[int]] = {}
        for cat_id, n, c in session.execute(
            reported(select(Event.category_id, func.count(), is_closed)).group_by(Event.category_id)
        ):
            major = cats.major_of.get(cat_id) if cat_id is not None else None
            slot = acc.setdefault(major, [0, 0])
            slot[0], slot[1] = slot[0] + int(n), slot[1] + int(c or 0)
        for major, (n, c) in acc.items():
            if major is None:
                items.append(BreakdownItem(key="uncategorized", label="未分类", count=n, closed=c))
            else:
                items.append(BreakdownItem(key=cats.codes[major], label=cats.names[major], count=n, closed=c))
    elif by == BreakdownBy.CHANNEL:
        for channel, n, c in session.execute(
            reported(select(Event.channel, func.count(), is_closed)).group_by(Event.channel)
        ):
            label = CHANNEL_LABELS.get(channel, channel)
            items.append(BreakdownItem(key=channel, label=label, count=int(n), closed=int(c or 0)))
    elif by == BreakdownBy.CHILD:
        path = Event.division_path
        rows = session.execute(reported(select(path, func.count(), is_closed)).group_by(path)).all()
        for (code, label), (n, c) in rollup_children(view, rows).items():
            items.append(BreakdownItem(key=code, label=label, count=n, closed=c))
    else:
        lead = lead_department().label("lead")
        inner = reported(select(lead, Event.status)).subquery()
        for dept, n, c in session.execute(
            select(inner.c.lead, func.count(), func.count().filter(inner.c.status.in_(CLOSED_VALUES))).group_by(
                inner.c.lead
            )
        ):
            key, label = department_key(session, dept)
            items.append(BreakdownItem(key=key, label=label, count=int(n), closed=int(c or 0)))
    items.sort(key=lambda i: (-i.count, i.key))
    return BreakdownOut(by=by, items=items)
