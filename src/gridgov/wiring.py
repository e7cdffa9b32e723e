"""Start-up wiring: each context's reactions to the others, registered once on the event bus. Every entrypoint
(the web app, the CLI, a worker) calls `wire()` before its first action."""

from __future__ import annotations

from gridgov import notify
from gridgov.blockdata import profile as blockdata_profile
from gridgov.blockdata import subscribers as blockdata_subscribers
from gridgov.classify import labels as classify_labels
from gridgov.common.events import EventBus, bus
from gridgov.dispatch import subscribers as dispatch_subscribers
from gridgov.dispatch.at_address import cases_at


def wire(event_bus: EventBus = bus) -> EventBus:
    dispatch_subscribers.register(event_bus)
    blockdata_subscribers.register(event_bus)  # a resolved address review places the record waiting for it
    blockdata_profile.register_cases_reader(cases_at)  # 一楼一档 shows the cases at the address
    classify_labels.register(event_bus)  # dispatchers' choices and corrections become the classifier's labels
    notify.register(event_bus)  # notifications are planned from the outbox (notify/rules.py: ROUTES)
    return event_bus
