"""Every ORM model, imported once so the metadata (and Alembic) sees the whole schema."""

from gridgov.address.models import Address, AddressAlias, AddressChange, AddressReview
from gridgov.catalog.models import CalendarDay, EventCategory, RoutingRule
from gridgov.common.audit import AuditLog
from gridgov.common.events import DomainEvent, OutboxPosition
from gridgov.db import Base
from gridgov.dispatch.models import Attachment, Event, EventTask, EventTransition
from gridgov.notify.models import Notification, NotificationDelivery, NotifyPreference, NotifyTemplate
from gridgov.org.models import ApiKey, DemoSource, Department, Division, GridAssignment, User

__all__ = [
    "Address",
    "AddressAlias",
    "AddressChange",
    "AddressReview",
    "ApiKey",
    "Attachment",
    "AuditLog",
    "Base",
    "CalendarDay",
    "DemoSource",
    "Department",
    "Division",
    "DomainEvent",
    "Event",
    "EventCategory",
    "EventTask",
    "EventTransition",
    "GridAssignment",
    "Notification",
    "NotificationDelivery",
    "NotifyPreference",
    "NotifyTemplate",
    "OutboxPosition",
    "RoutingRule",
    "User",
]
