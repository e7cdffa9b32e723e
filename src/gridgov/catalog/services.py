"""Catalog actions: import the 大类/小类 file, edit a 小类, manage the working calendar and routing rules."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from importlib import resources
from importlib.metadata import version
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.catalog.models import CalendarDay, EventCategory, RoutingRule
from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import ClockBasis, Urgency, published
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.levels import TIERS
from gridgov.common.principal import Principal, Role
from gridgov.common.snapshot import SharedSnapshot
from gridgov.common.uow import after_commit
from gridgov.common.workcalendar import WorkCalendar
from gridgov.db import settings_of

CATALOG_COLUMNS = [
    "major_code",
    "major_name",
    "minor_code",
    "minor_name",
    "kind",
    "dept_type",
    "co_dept_types",
    "default_level",
    "limit_a",
    "limit_b",
    "limit_c",
    "limit_unit",
    "self_handle",
    "close_condition",
    "keywords",
]
# Columns a catalog file may add after the required ones (a file without them gets the defaults).
OPTIONAL_COLUMNS = ["urgency", "clock_basis"]
EDITABLE = {
    "name",
    "dept_type",
    "co_dept_types",
    "default_level",
    "limit_a",
    "limit_b",
    "limit_c",
    "limit_unit",
    "self_handle",
    "close_condition",
    "keywords",
    "active",
    "urgency",
    "clock_basis",
}
URGENCIES = [u.value for u in Urgency]
BASES = [b.value for b in ClockBasis]


@published("audit_action")
class CatalogAudit(AuditAction):
    IMPORT = ("catalog.import", "导入事件目录")
    UPDATE = ("catalog.update", "修改事件类别")
    CALENDAR_SET = ("calendar.set", "设置工作日历")
    CALENDAR_SEED = ("calendar.seed", "载入法定节假日")
    ROUTING_ADD = ("routing.add", "新增分拨规则")


def _require_admin(actor: Principal) -> None:
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden("只有系统管理员可以修改目录")


def builtin_catalog_text() -> str:
    return resources.files("gridgov.catalog").joinpath("data/catalog.csv").read_text(encoding="utf-8")


def parse_catalog(text: str) -> list[dict[str, Any]]:
    """Validate the whole file first; every problem names its line and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    names = list(reader.fieldnames or [])
    extra = names[len(CATALOG_COLUMNS) :]
    if names[: len(CATALOG_COLUMNS)] != CATALOG_COLUMNS or extra != OPTIONAL_COLUMNS[: len(extra)]:
        wanted = ",".join(CATALOG_COLUMNS + OPTIONAL_COLUMNS)
        raise InvalidInput(f"表头应为：{wanted}（最后两列可省略）", field="header")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(reader, start=2):

        def bad(col: str, msg: str, lineno: int = lineno) -> None:
            errors.append(f"第{lineno}行 {col}：{msg}")

        major, minor = raw["major_code"].strip(), raw["minor_code"].strip()
        if not (len(major) == 2 and major.isdigit()):
            bad("major_code", "大类代码应为两位数字")
        if not (len(minor) == 5 and minor.isdigit() and minor.startswith(major)):
            bad("minor_code", "小类代码应为五位数字且以大类代码开头")
        if minor in seen:
            bad("minor_code", f"小类代码 {minor} 重复")
        seen.add(minor)
        if raw["default_level"] not in TIERS:
            bad("default_level", f"层级应为 {'/'.join(TIERS)}")
        if raw["limit_unit"] not in ("working_hours", "working_days"):
            bad("limit_unit", "单位应为 working_hours 或 working_days")
        urgency = (raw.get("urgency") or Urgency.NORMAL.value).strip()
        if urgency not in URGENCIES:
            bad("urgency", f"紧急程度应为 {'/'.join(URGENCIES)}")
        basis = (raw.get("clock_basis") or ClockBasis.WORKING.value).strip()
        if basis not in BASES:
            bad("clock_basis", f"计时方式应为 {'/'.join(BASES)}")
        limits: list[int] = []
        for col in ("limit_a", "limit_b", "limit_c"):
            try:
                value = int(raw[col])
                if value <= 0:
                    raise ValueError
                limits.append(value)
            except ValueError:
                bad(col, "时限应为正整数")
        rows.append(
            {
                "major_code": major,
                "major_name": raw["major_name"].strip(),
                "code": minor,
                "name": raw["minor_name"].strip(),
                "kind": raw["kind"].strip() or "event",
                "dept_type": raw["dept_type"].strip(),
                "co_dept_types": [t for t in raw["co_dept_types"].split(";") if t.strip()],
                "default_level": raw["default_level"],
                "limits": limits,
                "limit_unit": raw["limit_unit"],
                "self_handle": raw["self_handle"].strip() == "1",
                "close_condition": raw["close_condition"].strip(),
                "keywords": [k for k in raw["keywords"].split(";") if k.strip()],
                "urgency": urgency,
                "clock_basis": basis,
            }
        )
    if errors:
        raise InvalidInput("目录文件有误：" + "；".join(errors[:20]), field="file", errors=errors)
    if not rows:
        raise InvalidInput("目录文件没有任何小类", field="file")
    return rows


def import_catalog(session: Session, actor: Principal, text: str) -> dict[str, int]:
    """All or nothing: insert new codes and update existing ones in one transaction."""
    _require_admin(actor)
    rows = parse_catalog(text)
    existing = {c.code: c for c in session.scalars(select(EventCategory))}
    created = updated = 0
    for row in rows:
        major = existing.get(row["major_code"])
        if major is None:
            major = EventCategory(code=row["major_code"], name=row["major_name"], parent_id=None)
            session.add(major)
            session.flush()
            existing[major.code] = major
            created += 1
        else:
            major.name = row["major_name"]
        minor = existing.get(row["code"])
        if minor is None:
            minor = EventCategory(code=row["code"])
            session.add(minor)
            existing[row["code"]] = minor
            created += 1
        else:
            updated += 1
        minor.name, minor.parent_id, minor.kind = row["name"], major.id, row["kind"]
        minor.dept_type, minor.co_dept_types = row["dept_type"], row["co_dept_types"]
        minor.default_level, minor.limit_unit = row["default_level"], row["limit_unit"]
        minor.limit_a, minor.limit_b, minor.limit_c = row["limits"]
        minor.self_handle, minor.close_condition = row["self_handle"], row["close_condition"]
        minor.keywords, minor.active = row["keywords"], True
        minor.urgency, minor.clock_basis = row["urgency"], row["clock_basis"]
    record_audit(session, actor, CatalogAudit.IMPORT, "event_category", "*", {"created": created, "updated": updated})
    after_commit(session, catalog_cache.invalidate)
    return {"created": created, "updated": updated}


def update_category(session: Session, actor: Principal, code: str, changes: dict[str, Any]) -> EventCategory:
    _require_admin(actor)
    cat = session.scalar(select(EventCategory).where(EventCategory.code == code))
    if cat is None:
        raise NotFound(f"事件类别 {code} 不存在", field="code")
    for key in changes:
        if key not in EDITABLE:
            raise InvalidInput(f"字段 {key} 不可修改", field=key)
    if "default_level" in changes and changes["default_level"] not in TIERS:
        raise InvalidInput("层级无效", field="default_level")
    if "urgency" in changes and changes["urgency"] not in URGENCIES:
        raise InvalidInput(f"紧急程度应为 {'/'.join(URGENCIES)}", field="urgency")
    if "clock_basis" in changes and changes["clock_basis"] not in BASES:
        raise InvalidInput(f"计时方式应为 {'/'.join(BASES)}", field="clock_basis")
    merged = {k: changes.get(k, getattr(cat, k)) for k in ("limit_a", "limit_b", "limit_c")}
    if any(int(v) <= 0 for v in merged.values()):
        raise InvalidInput("时限应为正整数", field="limit_a")
    before = {k: getattr(cat, k) for k in changes}
    for key, value in changes.items():
        setattr(cat, key, value)
    record_audit(session, actor, CatalogAudit.UPDATE, "event_category", code, {"before": before, "after": changes})
    after_commit(session, catalog_cache.invalidate)
    return cat


# --- working calendar ---------------------------------------------------------------------------------

CALENDAR_TTL = 60.0


def invalidate_calendar() -> None:
    _calendar.invalidate()


def load_calendar(session: Session) -> WorkCalendar:
    return _calendar.get(session)


def _read_calendar(session: Session) -> WorkCalendar:
    days = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar.build(
        holidays=[d for d, k in days if k == "holiday"],
        workdays=[d for d, k in days if k == "workday"],
        periods=settings_of(session).work_periods,
    )


_calendar = SharedSnapshot(_read_calendar, CALENDAR_TTL)


def set_calendar_day(session: Session, actor: Principal, day: date, kind: str | None, name: str = "") -> None:
    """Mark `day` a holiday or an adjusted working day; kind None removes the exception."""
    _require_admin(actor)
    if kind not in (None, "holiday", "workday"):
        raise InvalidInput("类型应为 holiday 或 workday", field="kind")
    session.execute(delete(CalendarDay).where(CalendarDay.day == day))
    if kind is not None:
        session.add(CalendarDay(day=day, kind=kind, name=name))
    record_audit(
        session, actor, CatalogAudit.CALENDAR_SET, "calendar_day", day.isoformat(), {"kind": kind, "name": name}
    )
    after_commit(session, invalidate_calendar)


def seed_calendar_from_package(session: Session, actor: Principal, years: range) -> dict[str, Any]:
    """China's public holidays and adjusted working days (调休), as data in the calendar table.

    Years that `chinese_calendar` knows come from it (the State Council's published schedule, adjusted
    working days included). Later years come from `holidays`, which computes the statutory holidays (lunar
    ones too) but cannot know the adjusted working days before they are published: those years are marked
    provisional and an admin adds the 调休 days when the notice appears. Package versions are recorded.
    """
    _require_admin(actor)
    import chinese_calendar
    import holidays as holidays_pkg

    existing = set(session.scalars(select(CalendarDay.day)))
    per_year: dict[int, str] = {}
    added = 0

    def add(d: date, kind: str, name: str) -> None:
        nonlocal added
        if d not in existing:
            session.add(CalendarDay(day=d, kind=kind, name=name))
            existing.add(d)
            added += 1

    for year in years:
        try:
            off = chinese_calendar.get_holidays(date(year, 1, 1), date(year, 12, 31), include_weekends=False)
            weekend = [d for d in _days_of(year) if d.weekday() >= 5]
            on = [d for d in weekend if chinese_calendar.is_workday(d)]
        except NotImplementedError:
            for d, name in holidays_pkg.country_holidays("CN", years=year, language="zh_CN").items():
                if d.weekday() < 5:
                    add(d, "holiday", str(name).split("（")[0] + "（暂定）")
            per_year[year] = "holidays (provisional: 调休 not yet published)"
            continue
        for d in off:
            add(d, "holiday", _holiday_name(chinese_calendar, d))
        for d in on:
            add(d, "workday", "调休上班")
        per_year[year] = "chinese_calendar"
    detail: dict[str, Any] = {
        "sources": {"chinese_calendar": version("chinese_calendar"), "holidays": version("holidays")},
        "years": per_year,
        "added": added,
    }
    record_audit(session, actor, CatalogAudit.CALENDAR_SEED, "calendar_day", "*", detail)
    after_commit(session, invalidate_calendar)
    return detail


def _days_of(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


def _holiday_name(module: Any, d: date) -> str:
    _, name = module.get_holiday_detail(d)
    return _NAMES.get(str(name), str(name or "节假日"))


def add_routing_rule(
    session: Session,
    actor: Principal,
    *,
    category_id: int | None,
    division_id: int | None,
    lead_dept_type: str,
    co_dept_types: list[str],
    level: str | None,
    note: str = "",
) -> RoutingRule:
    _require_admin(actor)
    if level is not None and level not in TIERS:
        raise InvalidInput("层级无效", field="level")
    rule = RoutingRule(
        category_id=category_id,
        division_id=division_id,
        lead_dept_type=lead_dept_type,
        co_dept_types=co_dept_types,
        level=level,
        note=note,
    )
    session.add(rule)
    session.flush()
    record_audit(
        session, actor, CatalogAudit.ROUTING_ADD, "routing_rule", rule.id, {"lead": lead_dept_type, "level": level}
    )
    after_commit(session, catalog_cache.invalidate)
    return rule
