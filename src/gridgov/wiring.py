"""Start-up wiring: each context's reactions to the others, registered once on the event bus. Every entrypoint
(the web app, the CLI, a worker) calls `wire()` before its first action."""

from __future__ import annotations

from gridgov import notify
from gridgov.classify import labels as classify_labels
from gridgov.common.events import EventBus, bus
from gridgov.dispatch import subscribers as dispatch_subscribers


def wire(event_bus: EventBus = bus) -> EventBus:
    dispatch_subscribers.register(event_bus)
    classify_labels.register(event_bus)  # dispatchers' choices and corrections become the classifier's labels
    notify.register(event_bus)  # notifications are planned from the outbox (notify/rules.py: ROUTES)
    return event_bus
