"""The notification worker: plans from the outbox (the `notify` subscriber) and sends what is due, in rounds.
`gridgov notify run` runs it in its own process; the web app runs the sending half in a thread (its outbox
worker already feeds the planner)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.events import AsyncSubscriber, EventBus, bus, deliver
from gridgov.config import Settings
from gridgov.notify.channels import Channel, build_channels
from gridgov.notify.planner import SUBSCRIBER, SUBSCRIPTION
from gridgov.notify.rules import ChannelName
from gridgov.notify.sender import send_due

log = logging.getLogger(__name__)


@dataclass
class Round:
    events: int = 0  # outbox events handed to the planner
    sent: int = 0  # deliveries claimed and sent (or retried later)


class NotifyWorker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        interval: float,
        *,
        plan: bool = True,
        channels: Mapping[ChannelName, Channel] | None = None,
        event_bus: EventBus = bus,
        subscriber: AsyncSubscriber | None = None,
        batch: int = 500,
    ) -> None:
        self.factory, self.interval, self.plan, self.batch = factory, interval, plan, batch
        self.channels = channels if channels is not None else build_channels(settings)
        self.subscriber = subscriber or event_bus.subscribers.get(SUBSCRIBER, SUBSCRIPTION)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: datetime | None = None) -> Round:
        """Plan until the planner has caught up with the outbox, then send until nothing is due."""
        done = Round()
        if self.plan:
            read = self.batch
            while read == self.batch:
                with self.factory() as session, session.begin():
                    read, handed = deliver(session, self.subscriber, self.batch)
                done.events += handed
        try:
            claimed = self.batch
            while claimed == self.batch:
                claimed = send_due(self.factory, self.channels, now, self.batch)
                done.sent += claimed
        finally:
            for channel in self.channels.values():
                channel.close()
        return done

    def start(self) -> None:
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="notify-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # keep going; the next round retries
                log.exception("notification round failed")
