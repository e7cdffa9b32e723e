"""The joint-mediation task sweep as one of the app's periodic workers (common/periodic.py), beside the SLA sweeper:
each round warns the tasks past their warning point and raises the overdue ones one tier up, in one transaction."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.periodic import Periodic
from gridgov.mediation.assignment import sweep_tasks

log = logging.getLogger(__name__)


class TaskSweeper(Periodic):
    thread_name = "mediation-task-sweeper"

    def __init__(self, factory: sessionmaker[Session], interval: float) -> None:
        super().__init__(interval)
        self.factory = factory
        self.last: dict[str, int] | None = None

    def round(self) -> None:
        with self.factory() as session, session.begin():
            self.last = sweep_tasks(session)
        if self.last["yellow"] or self.last["red"]:
            log.info("mediation task sweep: %(yellow)d yellow, %(red)d red, %(escalated)d escalated", self.last)
