"""Read side of the dispatcher's choice and of 吹哨报到 for a case's detail: who a task is named to, and each
summons with its state, its report-in clock and whether the caller may withdraw it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.timeutil import as_utc
from gridgov.dispatch.lifecycle.summons import may_withdraw, response_minutes
from gridgov.dispatch.models import EventSummons
from gridgov.dispatch.rules import SummonsStatus
from gridgov.dispatch.schemas import SummonsOut, TaskOut
from gridgov.org import cache
from gridgov.org.models import User


def task_people(session: Session, tasks: Sequence[TaskOut]) -> None:
    """Fill in the names of the people tasks are named to."""
    ids = {t.assignee_id for t in tasks if t.assignee_id is not None}
    if not ids:
        return
    names = {r[0]: r[1] for r in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}
    for t in tasks:
        if t.assignee_id is not None:
            t.assignee_name = names.get(t.assignee_id)


def summons_of(session: Session, event_id: int, actor: Principal) -> list[SummonsOut]:
    rows = session.scalars(select(EventSummons).where(EventSummons.event_id == event_id).order_by(EventSummons.id))
    names = cache.snapshot(session).dept_names
    out: list[SummonsOut] = []
    for row in rows:
        item = SummonsOut.model_validate(row)
        item.department_name = names.get(row.department_id)
        item.status_label = SummonsStatus(row.status).label
        item.response_minutes = response_minutes(row)
        item.may_withdraw = row.status == SummonsStatus.SUMMONED.value and may_withdraw(actor, row)
        if row.reported_in_at is not None:
            item.on_time = as_utc(row.reported_in_at) <= as_utc(row.respond_by)
        out.append(item)
    return out
