"""Make sure the e2e database holds the hazards demo and its risk grades, and print a regulator to look at them as
{"username", "name", "grade", "rows"}: a district department handler whose department type regulates a graded
place under his district, that place's name and grade, and how many graded places he is shown (run in a subprocess
with the e2e GRIDGOV_* environment, after seed.py)."""

from __future__ import annotations

import json

from sqlalchemy import select

from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import UnitOfWork
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.hazards import load_sources
from gridgov.hazards.inspection_models import RiskGradeRow
from gridgov.hazards.risk_grading import grade_all
from gridgov.org import cache
from gridgov.org.models import Department
from gridgov.wiring import wire


def main() -> None:
    wire()
    factory = session_factory(make_engine(get_settings().db_url))
    with factory() as s, UnitOfWork(s):
        load_sources(s, per_street=2)
        grade_all(s, SYSTEM_PRINCIPAL)
    with factory() as s:
        snap = cache.snapshot(s)
        rows = list(s.scalars(select(RiskGradeRow).order_by(RiskGradeRow.score.desc(), RiskGradeRow.id)))
        for dept in s.scalars(select(Department).where(Department.level == "district").order_by(Department.code)):
            path = snap.divisions[dept.division_id].path
            mine = [r for r in rows if r.division_path.startswith(path) and dept.dept_type in r.regulators]
            if mine:
                top = mine[0]
                district = snap.divisions[dept.division_id].code
                out = {"username": f"h_{district}_{dept.dept_type}", "name": top.name, "grade": top.grade}
                print(json.dumps({**out, "rows": len(mine)}, ensure_ascii=False))
                return
    raise SystemExit("no graded place has a district regulator")


if __name__ == "__main__":
    main()
