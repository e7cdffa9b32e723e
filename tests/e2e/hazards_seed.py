"""Add the hazards demo to the e2e database (run in a subprocess with the e2e GRIDGOV_* environment, after
seed.py): two hazard sources per street with one device each and a 40-minute telemetry replay, so that some
devices are in alarm. Prints {"sources", "alarms"} as JSON."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from gridgov.common.uow import UnitOfWork
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.hazards import load_sources, replay
from gridgov.hazards.models import Alarm, HazardSource
from gridgov.wiring import wire


def main() -> None:
    wire()
    engine = make_engine(get_settings().db_url)
    factory = session_factory(engine)
    with factory() as s, UnitOfWork(s):
        load_sources(s, per_street=2)  # idempotent: another test's seed may have loaded them already
    with factory() as s, UnitOfWork(s):
        replay(s, minutes=40)
    with factory() as s:
        active = s.scalar(select(func.count()).select_from(Alarm).where(Alarm.active.is_(True)))
        sources = s.scalar(select(func.count()).select_from(HazardSource))
    print(json.dumps({"sources": int(sources or 0), "alarms": int(active or 0)}))


if __name__ == "__main__":
    main()
