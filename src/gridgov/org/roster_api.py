"""HTTP entry points of the on-duty rosters (值班排班), under /api/duty: thin — parse, call one action, render."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from gridgov.common.errors import NotFound
from gridgov.common.timeutil import SHANGHAI, as_utc, utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.org import roster
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import DutyPost, DutyShift

router = APIRouter(prefix="/api/duty", tags=["duty"])
CentreCode = Annotated[str, Query(max_length=16, description="街道或区的区划代码")]


def _aware(v: datetime) -> datetime:
    """A time without a zone is Beijing time (what the admin page sends)."""
    return v.replace(tzinfo=SHANGHAI) if v.tzinfo is None else v


class ShiftIn(BaseModel):
    user_id: int = Field(gt=0, description="值班人员（用户 id）")
    post: DutyPost = Field(default=DutyPost.DISPATCHER, description="dispatcher 值班分拨员 / leader 带班领导")
    starts_at: datetime = Field(description="开始时间（无时区按北京时间）")
    ends_at: datetime = Field(description="结束时间（无时区按北京时间）")
    note: str = Field(default="", max_length=200)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _zone(cls, v: datetime) -> datetime:
        return _aware(v)


class RosterIn(BaseModel):
    division_code: str = Field(min_length=1, max_length=16, description="街道或区的区划代码")
    shifts: list[ShiftIn] = Field(min_length=1, max_length=200)


class ShiftOut(BaseModel):
    id: int
    division_id: int
    user_id: int
    user_name: str | None
    post: str
    post_label: str
    starts_at: datetime
    ends_at: datetime
    note: str


class OnDutyOut(BaseModel):
    user_id: int
    name: str
    post: str
    post_label: str
    starts_at: datetime | None
    ends_at: datetime | None
    rostered: bool


class NowOut(BaseModel):
    division_code: str
    division_name: str
    at: datetime
    on_duty: list[OnDutyOut] = Field(description="当前值班人员；无人排班时为本中心全部分拨员（rostered=false）")


def _out(rows: list[DutyShift], names: dict[int, str]) -> list[ShiftOut]:
    return [
        ShiftOut(
            id=r.id,
            division_id=r.division_id,
            user_id=r.user_id,
            user_name=names.get(r.user_id),
            post=r.post,
            post_label=DutyPost(r.post).label,
            starts_at=as_utc(r.starts_at),
            ends_at=as_utc(r.ends_at),
            note=r.note,
        )
        for r in rows
    ]


@router.get("/shifts", response_model=list[ShiftOut], summary="值班表（默认今天起 7 天）")
def get_shifts(
    session: SessionDep,
    actor: PrincipalDep,
    division_code: CentreCode,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> list[ShiftOut]:
    div = roster.centre(session, division_code)
    start = as_utc(_aware(from_)) if from_ else utcnow() - timedelta(days=1)
    end = as_utc(_aware(to)) if to else start + timedelta(days=8)
    rows = roster.list_shifts(session, actor, div, start, end)
    return _out(rows, roster.names_of(session, {r.user_id for r in rows}))


@router.post("/shifts", response_model=list[ShiftOut], status_code=201, summary="排班（一组班次，全部成功或全部不写）")
def post_shifts(body: RosterIn, session: SessionDep, actor: PrincipalDep) -> list[ShiftOut]:
    shifts = [roster.NewShift(s.user_id, s.starts_at, s.ends_at, s.post, s.note) for s in body.shifts]
    with UnitOfWork(session):
        div = roster.centre(session, body.division_code)
        rows = roster.add_shifts(session, actor, div, shifts)
        out = _out(rows, roster.names_of(session, {r.user_id for r in rows}))
    return out


@router.delete("/shifts/{shift_id}", status_code=204, summary="删除班次")
def delete_shift(shift_id: int, session: SessionDep, actor: PrincipalDep) -> None:
    with UnitOfWork(session):
        roster.remove_shift(session, actor, shift_id)


@router.get("/now", response_model=NowOut, summary="当前值班")
def get_now(session: SessionDep, actor: PrincipalDep, division_code: CentreCode) -> NowOut:
    div = roster.centre(session, division_code)
    if not roster.may_read(actor, div):
        raise NotFound("区划不存在或无权查看", field="division_code")
    at = utcnow()
    people = roster.duty_contacts(session, div.id, at)
    return NowOut(
        division_code=div.code,
        division_name=div.name,
        at=at,
        on_duty=[
            OnDutyOut(
                user_id=p.user_id,
                name=p.name,
                post=p.post,
                post_label=DutyPost(p.post).label,
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                rostered=p.rostered,
            )
            for p in people
        ],
    )
