"""On-duty rosters of the street and district centres (值班排班): who is on duty when, and "who is on duty now".

`on_duty(session, centre_division_id, at)` is the read other contexts use (the 重特大 fast track finds the on-duty
dispatcher with it); it changes nothing. `duty_contacts` adds the fallback: nobody rostered → the centre's
dispatchers. The actions (`add_shifts`, `remove_shift`) check permission and scope, write the audit row and
publish `org.duty_rostered` / `org.duty_removed`; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common import scope
from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import published
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import as_utc, utcnow
from gridgov.org.models import Division, DutyPost, DutyShift, User

CENTRE_LEVELS = ("street", "district")
MAX_SHIFT = timedelta(hours=48)
POST_ROLES = {DutyPost.DISPATCHER: Role.DISPATCHER, DutyPost.LEADER: Role.LEADER}


@published("audit_action")
class RosterAudit(AuditAction):
    DUTY_ADD = ("duty.add", "排班")
    DUTY_REMOVE = ("duty.remove", "删除排班")


@dataclass(frozen=True)
class OnDuty:
    user_id: int
    name: str
    post: str
    starts_at: datetime | None
    ends_at: datetime | None
    shift_id: int | None  # None: not rostered, the centre's dispatcher by default
    rostered: bool = True


@dataclass(frozen=True)
class NewShift:
    user_id: int
    starts_at: datetime
    ends_at: datetime
    post: DutyPost = DutyPost.DISPATCHER
    note: str = ""


def on_duty(
    session: Session, centre_division_id: int, at: datetime, post: DutyPost | None = DutyPost.DISPATCHER
) -> list[OnDuty]:
    """The people rostered at the centre at `at` (post None: every post), earliest shift first. Read-only."""
    stmt = (
        select(DutyShift, User.display_name)
        .join(User, User.id == DutyShift.user_id)
        .where(
            DutyShift.division_id == centre_division_id,
            DutyShift.starts_at <= at,
            DutyShift.ends_at > at,
            User.active.is_(True),
        )
        .order_by(DutyShift.starts_at, DutyShift.id)
    )
    if post is not None:
        stmt = stmt.where(DutyShift.post == post.value)
    return [
        OnDuty(s.user_id, name, s.post, as_utc(s.starts_at), as_utc(s.ends_at), s.id)
        for s, name in session.execute(stmt)
    ]


def duty_contacts(session: Session, centre_division_id: int, at: datetime) -> list[OnDuty]:
    """The on-duty dispatchers at `at`; when nobody is rostered, every active dispatcher of the centre
    (`rostered` False), so that an alert always has someone to go to."""
    found = on_duty(session, centre_division_id, at)
    if found:
        return found
    rows = session.execute(
        select(User.id, User.display_name).where(
            User.division_id == centre_division_id, User.role == Role.DISPATCHER.value, User.active.is_(True)
        )
    )
    return [OnDuty(uid, name, DutyPost.DISPATCHER.value, None, None, None, rostered=False) for uid, name in rows]


def centre(session: Session, code: str, field: str = "division_code") -> Division:
    div = session.scalar(select(Division).where(Division.code == code))
    if div is None:
        raise InvalidInput(f"区划代码“{code}”不存在", field=field)
    if div.level not in CENTRE_LEVELS:
        raise InvalidInput("值班排班只用于街道和区的指挥中心", field=field)
    return div


def may_read(actor: Principal, div: Division) -> bool:
    """Staff of the centre's area (below it or above it) may see who is on duty there."""
    if actor.role in scope.UNLIMITED:
        return True
    path = actor.division_path
    return bool(path) and (scope.in_subtree(div.path, path) or scope.is_ancestor(div.path, path or ""))


def _require_manager(actor: Principal, div: Division) -> None:
    """The admin, or a leader of the centre or above it, keeps its roster."""
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.LEADER and scope.in_subtree(div.path, actor.division_path):
        return
    raise Forbidden("只有系统管理员或本中心（及上级）领导可以排班")


def list_shifts(session: Session, actor: Principal, div: Division, start: datetime, end: datetime) -> list[DutyShift]:
    if not may_read(actor, div):
        raise NotFound("区划不存在或无权查看", field="division_code")
    stmt = select(DutyShift).where(
        DutyShift.division_id == div.id, DutyShift.ends_at > start, DutyShift.starts_at < end
    )
    return list(session.scalars(stmt.order_by(DutyShift.starts_at, DutyShift.id)))


def add_shifts(session: Session, actor: Principal, div: Division, shifts: Sequence[NewShift]) -> list[DutyShift]:
    """A roster of shifts at one centre, all or none: each person must hold the post's role at this centre, each
    shift end after it starts (48 hours at most), and nobody be on the same post twice at once."""
    _require_manager(actor, div)
    if not shifts:
        raise InvalidInput("请至少填写一个班次", field="shifts")
    rows: list[DutyShift] = []
    for i, s in enumerate(shifts):
        start, end = as_utc(s.starts_at), as_utc(s.ends_at)
        if end <= start:
            raise InvalidInput(f"第 {i + 1} 个班次的结束时间须晚于开始时间", field="ends_at")
        if end - start > MAX_SHIFT:
            raise InvalidInput(f"第 {i + 1} 个班次超过 48 小时", field="ends_at")
        user = session.get(User, s.user_id)
        role = POST_ROLES[s.post]
        if user is None or not user.active or user.role != role.value or user.division_id != div.id:
            raise InvalidInput(f"第 {i + 1} 个班次的人员须为本中心在岗的{role.label}", field="user_id")
        clash = [
            r
            for r in rows
            if r.user_id == s.user_id and r.post == s.post.value and r.starts_at < end and start < r.ends_at
        ]
        clash_db = session.scalar(
            select(DutyShift.id).where(
                DutyShift.user_id == s.user_id,
                DutyShift.post == s.post.value,
                DutyShift.starts_at < end,
                DutyShift.ends_at > start,
            )
        )
        if clash or clash_db is not None:
            raise Conflict(f"第 {i + 1} 个班次与{user.display_name}已有的班次重叠", field="starts_at")
        row = DutyShift(
            division_id=div.id,
            user_id=s.user_id,
            post=s.post.value,
            starts_at=start,
            ends_at=end,
            note=s.note.strip(),
            created_by_id=actor.user_id,
            created_at=utcnow(),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    payload = {
        "division_id": div.id,
        "shifts": [
            {
                "id": r.id,
                "user_id": r.user_id,
                "post": r.post,
                "starts_at": r.starts_at.isoformat(),
                "ends_at": r.ends_at.isoformat(),
            }
            for r in rows
        ],
    }
    record_audit(session, actor, RosterAudit.DUTY_ADD, "division", div.id, payload)
    bus.publish(session, "org.duty_rostered", "division", div.id, payload, actor=actor)
    return rows


def remove_shift(session: Session, actor: Principal, shift_id: int) -> None:
    shift = session.get(DutyShift, shift_id)
    div = session.get(Division, shift.division_id) if shift is not None else None
    if shift is None or div is None or not may_read(actor, div):
        raise NotFound("班次不存在", field="shift_id")
    _require_manager(actor, div)
    payload = {"division_id": div.id, "shift_id": shift.id, "user_id": shift.user_id, "post": shift.post}
    payload.update({"starts_at": as_utc(shift.starts_at).isoformat(), "ends_at": as_utc(shift.ends_at).isoformat()})
    session.delete(shift)
    record_audit(session, actor, RosterAudit.DUTY_REMOVE, "duty_shift", shift_id, payload)
    bus.publish(session, "org.duty_removed", "division", div.id, payload, actor=actor)


def names_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return {r[0]: r[1] for r in session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))}
