"""Every ORM model, imported once so the metadata (and Alembic) sees the whole schema."""

from gridgov.address.models import Address, AddressAlias, AddressChange, AddressReview
from gridgov.blockdata.linkage.tables import LinkCluster, LinkDecision, LinkMember, LinkModel
from gridgov.blockdata.models import ColumnMapping, EntityRecord, ImportBatch, PersonRecord, PhoneRecord, RoomRecord
from gridgov.blockdata.verify_models import Declaration, VerificationTask
from gridgov.catalog.models import CalendarDay, EventCategory, RoutingRule
from gridgov.classify.models import ClassifierVersion, ClassifyLabel, ClassifyPrediction, ClassifyThreshold
from gridgov.common.audit import AuditHead, AuditLog
from gridgov.common.events import DomainEvent, OutboxPosition
from gridgov.common.ratelimit import RateCounter
from gridgov.db import Base
from gridgov.dispatch.models import Attachment, Event, EventSummons, EventTask, EventTransition, RoutingCorrection
from gridgov.hazards.inspection_models import Finding, Inspection, RiskGradeRow
from gridgov.hazards.models import (
    Alarm,
    AlarmRuleRow,
    Device,
    HazardClass,
    HazardSource,
    RuleMemory,
    Telemetry,
    TelemetryReject,
)
from gridgov.mediation.models import (
    Dispute,
    DisputeParty,
    DisputeSession,
    DisputeStep,
    DisputeTask,
    MediationAgency,
    Mediator,
)
from gridgov.notify.models import Notification, NotificationDelivery, NotifyPreference, NotifyTemplate
from gridgov.org.auth_models import AuthSession, LoginThrottle
from gridgov.org.models import ApiKey, DemoSource, Department, Division, DutyShift, GridAssignment, User

__all__ = [
    "Address",
    "AddressAlias",
    "AddressChange",
    "AddressReview",
    "Alarm",
    "AlarmRuleRow",
    "ApiKey",
    "Attachment",
    "AuditHead",
    "AuditLog",
    "AuthSession",
    "Base",
    "CalendarDay",
    "ClassifierVersion",
    "ClassifyLabel",
    "ClassifyPrediction",
    "ClassifyThreshold",
    "ColumnMapping",
    "Declaration",
    "DemoSource",
    "Department",
    "Device",
    "Dispute",
    "DisputeParty",
    "DisputeSession",
    "DisputeStep",
    "DisputeTask",
    "Division",
    "DomainEvent",
    "DutyShift",
    "EntityRecord",
    "Event",
    "EventCategory",
    "EventSummons",
    "EventTask",
    "EventTransition",
    "Finding",
    "GridAssignment",
    "HazardClass",
    "HazardSource",
    "ImportBatch",
    "Inspection",
    "LinkCluster",
    "LinkDecision",
    "LinkMember",
    "LinkModel",
    "LoginThrottle",
    "MediationAgency",
    "Mediator",
    "Notification",
    "NotificationDelivery",
    "NotifyPreference",
    "NotifyTemplate",
    "OutboxPosition",
    "PersonRecord",
    "PhoneRecord",
    "RateCounter",
    "RiskGradeRow",
    "RoomRecord",
    "RoutingCorrection",
    "RoutingRule",
    "RuleMemory",
    "Telemetry",
    "TelemetryReject",
    "User",
    "VerificationTask",
]
