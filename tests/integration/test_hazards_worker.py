"""The server's own hazards worker: started by the app's lifespan, it marks a silent device offline (the no-data
sweep), schedules the inspections that fell due and grades enterprise risk, without any CLI job."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.common.audit import AuditLog
from gridgov.common.timeutil import utcnow
from gridgov.config import Settings
from gridgov.demo.loader import DemoResult
from gridgov.hazards.inspection_models import Inspection
from gridgov.hazards.models import Device, HazardSource
from gridgov.hazards.worker import HazardsWorker
from hazards_support import place_device


def _poll(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_the_apps_worker_sweeps_schedules_and_grades(
    engine: Engine, demo: DemoResult, settings: Settings, session: Session
) -> None:
    dev = place_device(engine, "smoke", "fire")
    long_ago = utcnow() - timedelta(days=2)
    session.execute(update(Device).where(Device.id == dev.device_id).values(online=True, last_seen_at=long_ago))
    session.commit()
    source_id = session.scalar(select(HazardSource.id).where(HazardSource.code == dev.source_code))
    session.execute(update(HazardSource).where(HazardSource.id == source_id).values(checklist=["消防通道畅通"]))
    session.commit()
    grades_before = session.scalar(select(func.count()).where(AuditLog.action == "hazards.risk_grade"))
    quick = settings.model_copy(
        update={
            "hazards_sweep_seconds": 0.2,
            "hazards_grade_seconds": 3600,
            "sla_sweep_seconds": 0,
            "blockdata_verify_sweep_seconds": 0,
            "outbox_poll_seconds": 0,
            "notify_poll_seconds": 0,
        }
    )
    app = create_app(quick, engine, warm=False)
    worker = app.state.hazards_worker
    assert isinstance(worker, HazardsWorker)

    def offline() -> bool:
        session.expire_all()
        return session.scalar(select(Device.online).where(Device.id == dev.device_id)) is False

    def scheduled() -> bool:
        session.expire_all()
        return session.scalar(select(Inspection.id).where(Inspection.source_id == source_id)) is not None

    def graded() -> bool:
        session.expire_all()
        n = session.scalar(select(func.count()).where(AuditLog.action == "hazards.risk_grade"))
        return (n or 0) > (grades_before or 0)

    assert not offline()
    with TestClient(app):
        assert _poll(offline), "the app's hazards worker did not mark the silent device offline"
        assert _poll(scheduled), "the app's hazards worker did not schedule the new source's first inspection"
        assert _poll(graded), "the app's hazards worker did not grade on its first round"
        assert not worker.grading_due(time.monotonic())  # graded once; the next grading is an hour away
    session.expire_all()


def test_the_worker_is_off_without_the_sweeper_or_with_a_zero_interval(engine: Engine, settings: Settings) -> None:
    assert create_app(settings, engine, sweeper=False, warm=False).state.hazards_worker.interval == 0
    never = HazardsWorker(lambda: None, 60, 0)  # type: ignore[arg-type]
    assert not never.grading_due(time.monotonic())
