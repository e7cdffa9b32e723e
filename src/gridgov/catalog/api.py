"""HTTP entry points: the event catalog, the working calendar and the enumerations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select

from gridgov.catalog import services
from gridgov.catalog.models import CalendarDay, EventCategory, RoutingRule
from gridgov.common.errors import InvalidInput
from gridgov.common.fields import NonBlank
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import Department, Division

router = APIRouter(prefix="/api", tags=["catalog"])


class CategoryOut(BaseModel):
    code: str
    name: str
    kind: str
    dept_type: str | None
    co_dept_types: list[str]
    default_level: str
    limits: dict[str, int]
    limit_unit: str
    self_handle: bool
    close_condition: str
    keywords: list[str]
    active: bool
    urgency: str
    clock_basis: str


class MajorOut(BaseModel):
    code: str
    name: str
    items: list[CategoryOut]


@router.get("/catalog", response_model=list[MajorOut], summary="事件目录（大类/小类）")
def catalog(session: SessionDep, _actor: PrincipalDep) -> list[MajorOut]:
    rows = list(session.scalars(select(EventCategory).order_by(EventCategory.code)))
    majors = {c.id: MajorOut(code=c.code, name=c.name, items=[]) for c in rows if c.parent_id is None}
    for c in rows:
        if c.parent_id is not None and c.parent_id in majors:
            majors[c.parent_id].items.append(
                CategoryOut(
                    code=c.code,
                    name=c.name,
                    kind=c.kind,
                    dept_type=c.dept_type,
                    co_dept_types=c.co_dept_types,
                    default_level=c.default_level,
                    limits={"A": c.limit_a, "B": c.limit_b, "C": c.limit_c},
                    limit_unit=c.limit_unit,
                    self_handle=c.self_handle,
                    close_condition=c.close_condition,
                    keywords=c.keywords,
                    active=c.active,
                    urgency=c.urgency,
                    clock_basis=c.clock_basis,
                )
            )
    return list(majors.values())


class CategoryPatch(BaseModel):
    name: NonBlank | None = Field(default=None, min_length=1, max_length=64)
    dept_type: str | None = None
    co_dept_types: list[str] | None = None
    default_level: str | None = None
    limit_a: int | None = Field(default=None, gt=0)
    limit_b: int | None = Field(default=None, gt=0)
    limit_c: int | None = Field(default=None, gt=0)
    limit_unit: str | None = None
    self_handle: bool | None = None
    close_condition: str | None = None
    keywords: list[str] | None = None
    active: bool | None = None
    urgency: str | None = Field(default=None, description="normal、urgent 或 major（重特大）")
    clock_basis: str | None = Field(default=None, description="working（工作时间）或 natural（自然时间 24×7）")


@router.patch("/catalog/{code}", summary="修改小类（管理员）")
def patch_category(code: str, body: CategoryPatch, session: SessionDep, actor: PrincipalDep) -> dict[str, str]:
    with UnitOfWork(session):
        cat = services.update_category(session, actor, code, body.model_dump(exclude_none=True))
    return {"code": cat.code, "name": cat.name}


@router.post("/catalog/import", summary="导入目录 CSV（全部成功或全部不写入）")
async def import_catalog(
    session: SessionDep, actor: PrincipalDep, file: Annotated[UploadFile, File()]
) -> dict[str, int]:
    raw = await file.read(5 * 1024 * 1024)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput("文件应为 UTF-8 编码的 CSV", field="file") from exc
    with UnitOfWork(session):
        return services.import_catalog(session, actor, text)


class CalendarDayIn(BaseModel):
    kind: str | None = Field(description="holiday、workday，或 null 表示恢复默认")
    name: str = ""


@router.get("/calendar", summary="工作日历例外（节假日与调休上班）")
def calendar(
    session: SessionDep, _actor: PrincipalDep, year: Annotated[int, Query(ge=1, le=9999, description="年份")]
) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return [{"day": r.day.isoformat(), "kind": r.kind, "name": r.name} for r in rows]


@router.put("/calendar/{day}", summary="设置节假日或调休上班（管理员）")
def set_day(day: date, body: CalendarDayIn, session: SessionDep, actor: PrincipalDep) -> dict[str, str | None]:
    with UnitOfWork(session):
        services.set_calendar_day(session, actor, day, body.kind, body.name)
    return {"day": day.isoformat(), "kind": body.kind}


class RoutingRuleIn(BaseModel):
    category_code: str | None = Field(default=None, pattern=r"^\d{5}$", description="小类；空表示所有小类")
    division_code: str | None = Field(default=None, description="区划；空表示全市")
    lead_dept_type: str = Field(min_length=2, max_length=32)
    co_dept_types: list[str] = []
    level: str | None = Field(default=None, description="最低承办层级 grid/community/street/district")
    note: str = ""


@router.get("/routing-rules", summary="分拨规则（覆盖目录默认承办部门）")
def routing_rules(session: SessionDep, _actor: PrincipalDep) -> list[dict[str, Any]]:
    cats = dict(session.execute(select(EventCategory.id, EventCategory.code)).all())
    divs = dict(session.execute(select(Division.id, Division.code)).all())
    return [
        {
            "id": r.id,
            "category_code": cats.get(r.category_id) if r.category_id else None,
            "division_code": divs.get(r.division_id) if r.division_id else None,
            "lead_dept_type": r.lead_dept_type,
            "co_dept_types": r.co_dept_types,
            "level": r.level,
            "note": r.note,
        }
        for r in session.scalars(select(RoutingRule).order_by(RoutingRule.id))
    ]


@router.post("/routing-rules", status_code=201, summary="新增分拨规则（管理员）")
def add_routing_rule(body: RoutingRuleIn, session: SessionDep, actor: PrincipalDep) -> dict[str, int]:
    category_id = division_id = None
    if body.category_code:
        category_id = session.scalar(select(EventCategory.id).where(EventCategory.code == body.category_code))
        if category_id is None:
            raise InvalidInput(f"事件小类“{body.category_code}”不存在", field="category_code")
    if body.division_code:
        division_id = session.scalar(select(Division.id).where(Division.code == body.division_code))
        if division_id is None:
            raise InvalidInput(f"区划代码“{body.division_code}”不存在", field="division_code")
    with UnitOfWork(session):
        rule = services.add_routing_rule(
            session,
            actor,
            category_id=category_id,
            division_id=division_id,
            lead_dept_type=body.lead_dept_type,
            co_dept_types=body.co_dept_types,
            level=body.level,
            note=body.note,
        )
    return {"id": rule.id}


# --- departments with the catalog items each leads or co-handles -----------------------------------------


class DepartmentOut(BaseModel):
    id: int
    code: str
    name: str
    dept_type: str
    level: str
    division_id: int
    owns: list[str] = Field(default_factory=list, description="主办的事件小类代码")
    co_handles: list[str] = Field(default_factory=list, description="协办的事件小类代码")


@router.get("/org/departments", response_model=list[DepartmentOut], summary="职能部门")
def departments(
    session: SessionDep,
    _actor: PrincipalDep,
    division_code: str | None = None,
    dept_type: str | None = None,
) -> list[DepartmentOut]:
    stmt = select(Department)
    if division_code:
        stmt = stmt.join(Division, Department.division_id == Division.id).where(Division.code == division_code)
    if dept_type:
        stmt = stmt.where(Department.dept_type == dept_type)
    owns: dict[str, list[str]] = {}
    co: dict[str, list[str]] = {}
    for code, lead, co_types in session.execute(
        select(EventCategory.code, EventCategory.dept_type, EventCategory.co_dept_types).where(
            EventCategory.parent_id.is_not(None), EventCategory.active.is_(True)
        )
    ):
        owns.setdefault(lead or "", []).append(code)
        for t in co_types or []:
            co.setdefault(t, []).append(code)
    return [
        DepartmentOut(
            id=d.id,
            code=d.code,
            name=d.name,
            dept_type=d.dept_type,
            level=d.level,
            division_id=d.division_id,
            owns=owns.get(d.dept_type, []),
            co_handles=co.get(d.dept_type, []),
        )
        for d in session.scalars(stmt.order_by(Department.code).limit(2000))
    ]
