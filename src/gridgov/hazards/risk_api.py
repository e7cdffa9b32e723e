"""`/api/hazards/risk-grades`: the regulator's list — graded legal entities (and addresses) in the caller's area,
highest score first, filtered by the regulating department type and the grade, each with the factors of its
score; a handler sees his own department's list under its division. The administrator runs the grading."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from gridgov.common import scope as common_scope
from gridgov.common.principal import Principal, Role
from gridgov.common.uow import UnitOfWork
from gridgov.hazards import risk_grading
from gridgov.hazards.inspection_models import RiskGradeRow
from gridgov.hazards.risk_rules import RiskGrade, table
from gridgov.hazards.schemas import FactorOut, GradingOut, RiskGradeOut
from gridgov.hazards.scope import where
from gridgov.org import cache
from gridgov.org.deps import PrincipalDep, SessionDep
from gridgov.org.models import Department

router = APIRouter(prefix="/risk-grades")


def _scope(session: Session, actor: Principal) -> tuple[ColumnElement[bool], str | None]:
    """The rows the caller may see, and the regulator a handler is held to (his department's type)."""
    if actor.role == Role.HANDLER:
        dept = session.get(Department, actor.department_id) if actor.department_id else None
        info = cache.snapshot(session).divisions.get(dept.division_id) if dept else None
        if dept is None or info is None:
            return false(), None
        return common_scope.subtree(RiskGradeRow.division_path, info.path), dept.dept_type
    return where(actor, RiskGradeRow.division_path, RiskGradeRow.grid_id), None


@router.get(
    "", response_model=list[RiskGradeOut], summary="企业风险分级：监管部门的企业清单（按得分从高到低，附得分因素）"
)
def grades(
    session: SessionDep,
    actor: PrincipalDep,
    regulator: Annotated[str | None, Query(max_length=32, description="监管部门类型，如 yingji")] = None,
    grade: Literal["low", "medium", "high"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RiskGradeOut]:
    clause, held = _scope(session, actor)
    wanted = held or regulator
    stmt = select(RiskGradeRow).where(clause).order_by(RiskGradeRow.score.desc(), RiskGradeRow.id)
    if grade is not None:
        stmt = stmt.where(RiskGradeRow.grade == grade)
    snap = cache.snapshot(session)
    days = table()["inspection_days"]
    out: list[RiskGradeOut] = []
    for r in session.scalars(stmt):
        if wanted is not None and wanted not in r.regulators:
            continue
        g = RiskGrade(r.grade)
        out.append(
            RiskGradeOut(
                subject=r.subject,
                name=r.name,
                industry=r.industry,
                address_code=r.address_code,
                grid_code=snap.divisions[r.grid_id].code if r.grid_id in snap.divisions else None,
                score=r.score,
                grade=g.value,
                grade_label=g.label,
                color=g.color,
                factors=[FactorOut(**f) for f in r.factors],
                regulators=list(r.regulators),
                inspection_days=int(days[g.value]),
                graded_at=r.graded_at,
            )
        )
        if len(out) >= limit:
            break
    return out


@router.post("/run", response_model=GradingOut, summary="运行企业风险分级（管理员）")
def run(session: SessionDep, actor: PrincipalDep) -> GradingOut:
    with UnitOfWork(session):
        done = risk_grading.grade_all(session, actor)
    return GradingOut(graded=done.graded, changed=done.changed, by_grade=dict(done.by_grade or {}))
