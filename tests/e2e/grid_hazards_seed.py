"""Make sure the e2e database holds the hazards demo and print the grid holding the most placed hazard sources, as
{"grid_code", "sources", "by_risk": {level: n}, "by_class": {code: n}} (run in a subprocess with the e2e GRIDGOV_*
environment, after seed.py)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from sqlalchemy import select

from gridgov.common.uow import UnitOfWork
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.hazards import load_sources
from gridgov.hazards.models import HazardClass, HazardSource
from gridgov.org import cache
from gridgov.wiring import wire


def main() -> None:
    wire()
    factory = session_factory(make_engine(get_settings().db_url))
    with factory() as s, UnitOfWork(s):
        load_sources(s, per_street=2)
    with factory() as s:
        rows = s.execute(
            select(HazardSource.grid_id, HazardSource.risk_level, HazardClass.code)
            .join(HazardClass, HazardClass.id == HazardSource.class_id)
            .where(HazardSource.grid_id.is_not(None), HazardSource.lat.is_not(None), HazardSource.status == "active")
        ).all()
        by_grid: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for grid_id, risk, klass in rows:
            if grid_id is not None:
                by_grid[grid_id].append((risk, klass))
        grid_id, placed = max(by_grid.items(), key=lambda kv: (len(kv[1]), -kv[0]))
        out = {
            "grid_code": cache.snapshot(s).divisions[grid_id].code,
            "sources": len(placed),
            "by_risk": dict(Counter(r for r, _ in placed)),
            "by_class": dict(Counter(k for _, k in placed)),
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
