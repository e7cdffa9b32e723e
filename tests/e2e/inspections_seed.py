"""Make sure the e2e database holds the hazards demo (idempotent: the sources are added once) and print a due
inspection to work on as {"inspection_id", "source_name", "grid_code"} (run in a subprocess with the e2e GRIDGOV_*
environment, after seed.py)."""

from __future__ import annotations

import json

from sqlalchemy import select

from gridgov.common.uow import UnitOfWork
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.hazards import load_sources
from gridgov.hazards import inspections
from gridgov.hazards.inspection_models import Inspection
from gridgov.hazards.models import HazardSource
from gridgov.org import cache
from gridgov.wiring import wire


def main() -> None:
    wire()
    engine = make_engine(get_settings().db_url)
    factory = session_factory(engine)
    with factory() as s, UnitOfWork(s):
        load_sources(s, per_street=2)
        inspections.schedule_due(s)
    with factory() as s:
        row = s.execute(
            select(Inspection.id, HazardSource.name, Inspection.grid_id)
            .join(HazardSource, HazardSource.id == Inspection.source_id)
            .where(Inspection.status == "due", Inspection.grid_id.is_not(None))
            .order_by(Inspection.id)
            .limit(1)
        ).one()
        grid_code = cache.snapshot(s).divisions[row.grid_id].code
    print(json.dumps({"inspection_id": row.id, "source_name": row.name, "grid_code": grid_code}, ensure_ascii=False))


if __name__ == "__main__":
    main()
