"""Org tree (city → district → street → community → grid), departments, users and their scopes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.levels import LEVEL_ORDER, Level
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime

__all__ = [
    "LEVEL_ORDER",
    "ApiKey",
    "Department",
    "Division",
    "DutyPost",
    "DutyShift",
    "GridAssignment",
    "Level",
    "User",
]


class Division(Base):
    __tablename__ = "division"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"), index=True)
    # Materialized path of ids, "/1/3/27/", so a subtree is a prefix match in the query itself.
    path: Mapped[str] = mapped_column(String(128), index=True, default="")
    area_class: Mapped[str] = mapped_column(String(1), default="B")
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    center_lon: Mapped[float | None] = mapped_column(Float)
    center_lat: Mapped[float | None] = mapped_column(Float)
    demo_geometry: Mapped[bool] = mapped_column(Boolean, default=False)
    code_is_official: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Division | None] = relationship(remote_side=[id])


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    dept_type: Mapped[str] = mapped_column(String(32), index=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    division: Mapped[Division] = relationship()

    __table_args__ = (UniqueConstraint("division_id", "dept_type", name="uq_department_division_type"),)


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32), index=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    phone_enc: Mapped[str | None] = mapped_column(String(256))
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    can_unmask_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An account an admin created or whose password an admin set must choose its own at the first login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    division: Mapped[Division | None] = relationship()
    department: Mapped[Department | None] = relationship()


class GridAssignment(Base):
    __tablename__ = "grid_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("division.id"), index=True)

    __table_args__ = (UniqueConstraint("user_id", "grid_id", name="uq_grid_assignment_user_grid"),)


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DemoSource(Base):
    """Where demo data came from (package and version), so nobody mistakes it for official data."""

    __tablename__ = "demo_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(64))
    package: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(256), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_division_parent_level", Division.parent_id, Division.level)


@published("duty_post")
class DutyPost(ChoiceSet):
    DISPATCHER = ("dispatcher", "值班分拨员", "#f6bd16")
    LEADER = ("leader", "带班领导", "#6dc8ec")


class DutyShift(Base):
    """One person on duty at a centre (a street or district 指挥中心) from `starts_at` to `ends_at` (UTC)."""

    __tablename__ = "duty_shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    post: Mapped[str] = mapped_column(String(16), default=DutyPost.DISPATCHER.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_duty_shift_centre_time", "division_id", "ends_at", "starts_at"),)
