"""HTTP entry points: the event catalog, the working calendar and the enumerations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select

from gridgov.catalog import services
from gridgov.catalog.models import CalendarDay, EventCategory
from gridgov.common.errors import InvalidInput
from gridgov.common.principal import Role
from gridgov.deps import PrincipalDep, SessionDep
from gridgov.dispatch.models import Channel, SlaState
from gridgov.dispatch.rules import Action, Status
from gridgov.org.levels import Level

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
                )
            )
    return list(majors.values())


class CategoryPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
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


@router.patch("/catalog/{code}", summary="修改小类（管理员）")
def patch_category(code: str, body: CategoryPatch, session: SessionDep, actor: PrincipalDep) -> dict[str, str]:
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
    return services.import_catalog(session, actor, text)


class CalendarDayIn(BaseModel):
    kind: str | None = Field(description="holiday、workday，或 null 表示恢复默认")
    name: str = ""


@router.get("/calendar", summary="工作日历例外（节假日与调休上班）")
def calendar(session: SessionDep, _actor: PrincipalDep, year: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return [{"day": r.day.isoformat(), "kind": r.kind, "name": r.name} for r in rows]


@router.put("/calendar/{day}", summary="设置节假日或调休上班（管理员）")
def set_day(day: date, body: CalendarDayIn, session: SessionDep, actor: PrincipalDep) -> dict[str, str | None]:
    services.set_calendar_day(session, actor, day, body.kind, body.name)
    return {"day": day.isoformat(), "kind": body.kind}


@router.get("/choices", summary="枚举值（中文名与颜色）")
def choices() -> dict[str, list[dict[str, Any]]]:
    return {
        "status": Status.describe(),
        "action": Action.describe(),
        "channel": Channel.describe(),
        "sla_state": SlaState.describe(),
        "level": Level.describe(),
        "role": Role.describe(),
    }
