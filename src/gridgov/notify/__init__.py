"""Notifications: who is told what about the cases (rules.py), planned from the outbox (planner.py), sent
through the in-app, SMS and e-mail channels (channels.py, sender.py) by the worker (worker.py)."""

from __future__ import annotations

from gridgov.common.events import EventBus


def register(event_bus: EventBus) -> None:
    """The planner is an asynchronous subscriber of the outbox."""
    from gridgov.notify.planner import SUBSCRIPTION

    event_bus.subscribe_async(SUBSCRIPTION)
