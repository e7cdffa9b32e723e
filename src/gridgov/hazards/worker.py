"""The hazards worker of the server process: every round it judges the no-data (offline) conditions of every device
and schedules and escalates inspections; once per grading interval it also re-grades the enterprises. The same
services as `gridgov hazards sweep` and `gridgov hazards grade`, as the system, one unit of work per action."""

from __future__ import annotations

import logging
import time

from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.periodic import Periodic
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import one_action
from gridgov.hazards import inspections
from gridgov.hazards.ingest import sweep
from gridgov.hazards.risk_grading import grade_all

log = logging.getLogger(__name__)


class HazardsWorker(Periodic):
    """Sweeps every `interval` seconds and grades every `grade_interval` seconds (the first round grades too;
    a grading interval of zero never grades)."""

    thread_name = "hazards-sweep"

    def __init__(self, factory: sessionmaker[Session], interval: float, grade_interval: float) -> None:
        super().__init__(interval)
        self.factory = factory
        self.grade_interval = grade_interval
        self._graded_at: float | None = None

    def grading_due(self, now: float) -> bool:
        if self.grade_interval <= 0:
            return False
        return self._graded_at is None or now - self._graded_at >= self.grade_interval

    def round(self) -> None:
        with self.factory() as session:
            silent = one_action(sweep, session)
        with self.factory() as session:
            due = one_action(inspections.sweep, session)
        if silent.changes["create"] or due.scheduled or due.escalated:
            log.info(
                "hazards sweep: %d no-data alarms, %d inspections scheduled, %d escalated",
                silent.changes["create"],
                due.scheduled,
                due.escalated,
            )
        now = time.monotonic()
        if self.grading_due(now):
            with self.factory() as session:
                graded = one_action(grade_all, session, SYSTEM_PRINCIPAL)
            self._graded_at = now
            log.info("risk grading: %d graded, %d changed", graded.graded, graded.changed)
