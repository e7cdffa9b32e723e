"""Event catalog (大类/小类 with time limits), the working calendar and routing overrides, all editable data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.choices import ChoiceSet, ClockBasis, Urgency, published
from gridgov.db import Base


@published("limit_unit")
class LimitUnit(ChoiceSet):
    WORKING_HOURS = ("working_hours", "工作小时", "#5b8ff9")
    WORKING_DAYS = ("working_days", "工作日", "#5ad8a6")


class EventCategory(Base):
    """A 大类 (two-digit code, parent_id NULL) or a 小类 (five-digit code under its 大类)."""

    __tablename__ = "event_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("event_category.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="event")
    dept_type: Mapped[str | None] = mapped_column(String(32))
    co_dept_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    default_level: Mapped[str] = mapped_column(String(16), default="street")
    limit_a: Mapped[int] = mapped_column(Integer, default=0)
    limit_b: Mapped[int] = mapped_column(Integer, default=0)
    limit_c: Mapped[int] = mapped_column(Integer, default=0)
    limit_unit: Mapped[str] = mapped_column(String(16), default=LimitUnit.WORKING_HOURS.value)
    # the urgency a case of this 小类 starts with, and whether its limits run on working or natural time
    urgency: Mapped[str] = mapped_column(String(8), default=Urgency.NORMAL.value)
    clock_basis: Mapped[str] = mapped_column(String(8), default=ClockBasis.WORKING.value)
    self_handle: Mapped[bool] = mapped_column(Boolean, default=False)
    close_condition: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def limit_for(self, area_class: str) -> int:
        return {"A": self.limit_a, "B": self.limit_b, "C": self.limit_c}.get(area_class, self.limit_b)


class CalendarDay(Base):
    """An exception to the Monday-to-Friday rule: a public holiday or an adjusted working day (调休上班)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "holiday" | "workday"
    name: Mapped[str] = mapped_column(String(64), default="")


class RoutingRule(Base):
    """Overrides the catalog's default routing for one 小类 (or all) inside one division subtree (or all)."""

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("event_category.id"), index=True)
    division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"), index=True)
    lead_dept_type: Mapped[str] = mapped_column(String(32))
    co_dept_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(256), default="")
