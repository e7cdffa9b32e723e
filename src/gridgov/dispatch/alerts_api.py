"""HTTP entry points of the 重特大 alerts: my alerts (the bell of /ioc and /dispatch) and acknowledging one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridgov.common.uow import UnitOfWork
from gridgov.dispatch.fasttrack import acknowledge_alert
from gridgov.dispatch.models import AlertKind, AlertTier, Event, EventAlert
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import User

router = APIRouter(prefix="/api", tags=["alerts"])


class AlertOut(BaseModel):
    id: int
    event_id: int
    number: str | None
    title: str
    tier: str
    tier_label: str
    kind: str
    kind_label: str
    about: str | None  # an escalation: who did not acknowledge
    raised_at: datetime
    last_sent_at: datetime
    sent_count: int
    acknowledged_at: datetime | None


def _alerts(
    session: Session, user_id: int | None, *, only_open: bool, limit: int, alert_id: int | None = None
) -> list[AlertOut]:
    about_alert, about_user = aliased(EventAlert), aliased(User)
    stmt = (
        select(EventAlert, Event.number, Event.title, about_user.display_name)
        .join(Event, Event.id == EventAlert.event_id)
        .outerjoin(about_alert, about_alert.id == EventAlert.about_alert_id)
        .outerjoin(about_user, about_user.id == about_alert.user_id)
        .where(EventAlert.user_id == user_id)
        .order_by(EventAlert.id.desc())
        .limit(limit)
    )
    if only_open:
        stmt = stmt.where(EventAlert.acknowledged_at.is_(None))
    if alert_id is not None:
        stmt = stmt.where(EventAlert.id == alert_id)
    return [
        AlertOut(
            id=a.id,
            event_id=a.event_id,
            number=number,
            title=title,
            tier=a.tier,
            tier_label=AlertTier(a.tier).label,
            kind=a.kind,
            kind_label=AlertKind(a.kind).label,
            about=about,
            raised_at=a.raised_at,
            last_sent_at=a.last_sent_at,
            sent_count=a.sent_count,
            acknowledged_at=a.acknowledged_at,
        )
        for a, number, title, about in session.execute(stmt)
    ]


@router.get("/me/alerts", response_model=list[AlertOut], summary="我的重特大事件告警")
def my_alerts(
    session: SessionDep,
    actor: PrincipalDep,
    open_only: Annotated[bool, Query(alias="open", description="只看未确认的")] = True,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[AlertOut]:
    return _alerts(session, actor.user_id, only_open=open_only, limit=limit)


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut, summary="确认告警（收到）")
def acknowledge(alert_id: int, session: SessionDep, actor: PrincipalDep) -> AlertOut:
    with UnitOfWork(session):
        acknowledge_alert(session, actor, alert_id)
    return _alerts(session, actor.user_id, only_open=False, limit=1, alert_id=alert_id)[0]
