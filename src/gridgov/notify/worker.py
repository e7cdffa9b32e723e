"""The notification worker: plans from the outbox (the `notify` subscriber) and sends what is due, in rounds.
`gridgov notify run` runs it in its own process; the web app runs the sending half in a thread (its outbox
worker already feeds the planner)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.events import AsyncSubscriber, EventBus, bus, deliver
from gridgov.common.periodic import Periodic
from gridgov.config import Settings
from gridgov.notify.channels import Channel, build_channels
from gridgov.notify.planner import SUBSCRIBER, SUBSCRIPTION
from gridgov.notify.rules import ChannelName
from gridgov.notify.sender import send_due


@dataclass
class Round:
    events: int = 0  # outbox events handed to the planner
    sent: int = 0  # deliveries claimed and sent (or retried later)


class NotifyWorker(Periodic):
    thread_name = "notify-worker"

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
        super().__init__(interval)
        self.factory, self.plan, self.batch = factory, plan, batch
        self.channels = channels if channels is not None else build_channels(settings)
        self.subscriber = subscriber or event_bus.subscribers.get(SUBSCRIBER, SUBSCRIPTION)

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

    def round(self) -> None:
        self.run_once()
