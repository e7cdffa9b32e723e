"""Cases (events), their department tasks, their append-only history and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridgov.common.audit import make_append_only
from gridgov.common.choices import ChoiceSet, ClockBasis, Urgency, published
from gridgov.common.pii_store import protect_columns
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime
from gridgov.dispatch.rules import SummonsStatus


@published("channel")
class Channel(ChoiceSet):
    GRID_PATROL = ("grid_patrol", "网格巡查", "#5ad8a6")
    PHOTO = ("photo", "随手拍", "#5b8ff9")
    HOTLINE = ("hotline_12345", "12345热线", "#f6bd16")
    DISPUTE = ("dispute", "矛盾纠纷", "#e8684a")
    IOT = ("iot", "物联感知", "#6dc8ec")
    DEPARTMENT = ("department", "部门上报", "#9270ca")


@published("sla_state")
class SlaState(ChoiceSet):
    NORMAL = ("normal", "正常", "#52c41a")
    YELLOW = ("yellow", "黄灯预警", "#fadb14")
    RED = ("red", "红灯超时", "#f5222d")


def _partial(name: str, not_null: str, *columns: str) -> Index:
    """An index holding only the rows where `not_null` is set (SQLite and PostgreSQL)."""
    where = text(f"{not_null} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(32))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("event_category.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    # Binary ("C") collation on PostgreSQL so that the subtree range predicate orders like SQLite does.
    division_path: Mapped[str] = mapped_column(String(128).with_variant(String(128, collation="C"), "postgresql"))
    owner_division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    area_class: Mapped[str] = mapped_column(String(1), default="B")
    address_text: Mapped[str] = mapped_column(String(300), default="")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    address_confidence: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reporter_phone_enc: Mapped[str | None] = mapped_column(String(256))
    reporter_phone_index: Mapped[str | None] = mapped_column(String(64))
    idem_scope: Mapped[str | None] = mapped_column(String(80))
    public_token_digest: Mapped[str | None] = mapped_column(String(64))  # anonymous reporter's follow-up token
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    self_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))  # a duplicate's main case
    # reports attached to this case as repeats (重复诉求: at intake or merged by hand), shown in every queue
    repeat_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the channel's original payload (a 12345 work order, an alarm), kept as it arrived
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # who verifies the result (catalog.verifiers' rule, resolved when the case is handled; see dispatch/verification)
    verifier: Mapped[str | None] = mapped_column(String(16))

    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # How pressing (its 小类's default, or a dispatcher's choice with its reason) and what its clock counts on.
    urgency: Mapped[str] = mapped_column(String(8), default=Urgency.NORMAL.value, server_default="normal")
    urgency_reason: Mapped[str | None] = mapped_column(Text)
    clock_basis: Mapped[str] = mapped_column(String(8), default=ClockBasis.WORKING.value, server_default="working")
    leader_acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 重特大: first leader's acknowledgement
    # SLA: deadlines are precomputed (on the case's time basis) so the sweeper is an indexed range query.
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a deadline the reporting channel set (an inspection's 整改期限): the clock ends there, not at the 小类's limit
    fixed_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_state: Mapped[str] = mapped_column(String(8), default=SlaState.NORMAL.value)
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_requested: Mapped[float | None] = mapped_column(Float)  # working hours asked for
    extension_granted_hours: Mapped[float] = mapped_column(Float, default=0)

    supervised_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    result_note: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # the free-text fields above hold phone and ID numbers masked; their originals, encrypted (common/pii_store)
    pii_text_enc: Mapped[str | None] = mapped_column(Text)

    tasks: Mapped[list[EventTask]] = relationship(back_populates="event", order_by="EventTask.id")

    __table_args__ = (
        UniqueConstraint("idem_scope", "idempotency_key", name="uq_event_idem"),
        Index("ix_event_path_status", "division_path", "status"),
        Index("ix_event_status_path", "status", "division_path", "id"),
        Index("ix_event_grid_status", "grid_id", "status", "id"),
        Index("ix_event_reporter", "reporter_id", "id"),
        # Partial where the key is empty for a new report (most of the intake stream): the indexes that serve
        # the sweeper's "warn_at/deadline_at <= now" and the dashboard's period ranges hold only the cases that
        # have reached that step — every range predicate implies IS NOT NULL, so both SQLite and PostgreSQL use them.
        _partial("ix_event_sla", "warn_at", "status", "sla_state", "warn_at"),
        _partial("ix_event_deadline", "deadline_at", "status", "deadline_at"),
        # period-bounded dashboard queries (IOC): a timestamp, then the subtree, then the data scope's grid_id and
        # what they count, so that each query reads its index alone (migration 0009)
        Index("ix_event_reported_path", "reported_at", "division_path", "status", "grid_id", "category_id", "channel"),
        _partial("ix_event_filed_path", "filed_at", "filed_at", "division_path", "grid_id"),
        # + return_count: the IOC's first-time-right rate and mean transfers (migration 0026)
        _partial(
            "ix_event_dispatched_path", "dispatched_at", *("dispatched_at", "division_path", "grid_id", "return_count")
        ),
        _partial("ix_event_handled_path", "handled_at", "handled_at", "division_path", "grid_id"),
        _partial(
            "ix_event_closed_path",
            "closed_at",
            *("closed_at", "division_path", "status", "grid_id", "first_deadline_at", "handled_at"),
        ),
        Index("ix_event_status_path_sla", "status", "division_path", "sla_state", "grid_id"),
        # the satisfaction figure: rated cases looked up by id from their rate transitions
        _partial("ix_event_rated", "rating", "id", "division_path", "grid_id", "rating"),
        _partial("ix_event_reporter_phone_index", "reporter_phone_index", "reporter_phone_index"),
        # the cases at an address (一楼一档, blockdata profile): only the cases placed on a standard address
        _partial("ix_event_address", "address_id", "address_id", "reported_at"),
        # the open 重特大 cases (the IOC's emergency view): a handful of rows
        Index(
            "ix_event_major",
            "status",
            "division_path",
            sqlite_where=text("urgency = 'major'"),
            postgresql_where=text("urgency = 'major'"),
        ),
    )


@published("task_role")
class TaskRole(ChoiceSet):
    LEAD = ("lead", "主办", "#5b8ff9")
    CO = ("co", "协办", "#9270ca")


@published("task_status")
class TaskStatus(ChoiceSet):
    PENDING = ("pending", "待签收", "#bfbfbf")
    ACCEPTED = ("accepted", "办理中", "#f6bd16")
    REPORTED = ("reported", "已反馈", "#5ad8a6")
    DONE = ("done", "已完成", "#269a99")
    CANCELLED = ("cancelled", "已撤销", "#8c8c8c")


class EventTask(Base):
    """One assignee's share of a case: the lead department (or the grid itself) and any co-departments."""

    __tablename__ = "event_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    role: Mapped[str] = mapped_column(String(8))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    # a named person chosen at dispatch (a handler of the department, or a grid worker): only they act on it
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING.value)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pii_text_enc: Mapped[str | None] = mapped_column(Text)  # the note's original when it held PII

    event: Mapped[Event] = relationship(back_populates="tasks")

    __table_args__ = (
        Index("ix_task_dept_status", "department_id", "status", "event_id"),
        Index("ix_task_grid_status", "grid_id", "status", "event_id"),
        # a case's tasks (the foreign key's index too): its current lead is read from the index alone
        Index("ix_task_event_lead", "event_id", "role", "id", "status", "department_id"),
        Index("ix_task_assignee_status", "assignee_id", "status", "event_id"),
    )


class EventTransition(Base):
    """The case history: one append-only row per transition (the audit row of the lifecycle)."""

    __tablename__ = "event_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_role: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pii_text_enc: Mapped[str | None] = mapped_column(Text)  # the note's original when it held PII


Index("ix_event_transition_action_at", EventTransition.action, EventTransition.at, EventTransition.event_id)
make_append_only(EventTransition)
FREE_TEXT = {
    Event: ("title", "description", "result_note", "reject_reason", "rating_comment"),
    EventTask: ("note",),
    EventTransition: ("note",),
}
for _model, _fields in FREE_TEXT.items():
    protect_columns(_model, _fields, "pii_text_enc")


class Attachment(Base):
    """A stored file, content-addressed by its SHA-256 under var/attachments."""

    __tablename__ = "attachment"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploader_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@published("alert_tier")
class AlertTier(ChoiceSet):
    """Who a 重特大 alert goes to, lowest first: an unacknowledged alert escalates to the next tier."""

    DUTY = ("duty", "值班分拨员", "#f6bd16")
    DISTRICT = ("district", "区领导", "#2e5aac")
    CITY = ("city", "市领导", "#1f3b73")


@published("alert_kind")
class AlertKind(ChoiceSet):
    MAJOR = ("major", "重特大事件", "#cf1322")
    ESCALATION = ("escalation", "未确认升级", "#fa541c")


class EventAlert(Base):
    """One recipient's alert about a 重特大 case: raised at once, sent again until acknowledged, escalated to the
    next tier when nobody acknowledges it in time (`dispatch.fasttrack`)."""

    __tablename__ = "event_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    tier: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default=AlertKind.MAJOR.value)
    about_alert_id: Mapped[int | None] = mapped_column(ForeignKey("event_alert.id"))  # the one not acknowledged
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_count: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", "user_id", "kind", "about_alert_id", name="uq_event_alert_recipient"),
        Index("ix_event_alert_user", "user_id", "acknowledged_at", "id"),
        Index("ix_event_alert_open", "acknowledged_at", "last_sent_at"),
    )


class RoutingCorrection(Base):
    """A dispatcher's override of the suggested lead (kept with its reason): the routing suggestions learn from
    these per 小类 × area (see routing.learned_lead). `area_id` is the division the suggestion placed the case
    at; `chosen_department_id` None means the grid itself (a grid worker named directly)."""

    __tablename__ = "routing_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("event_category.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("division.id"))
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    chosen_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when the chosen lead sent the case back as mis-dispatched (退回): the correction stops counting
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_routing_correction_key", "category_id", "area_id", "id"),)


class EventSummons(Base):
    """吹哨报到: one department summoned onto a live case by a community or street centre, with a note and a
    deadline to report in; the department reports in (报到, its time is the response time) and later its result,
    unless the centre withdraws the summons first (撤回吹哨)."""

    __tablename__ = "event_summons"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    status: Mapped[str] = mapped_column(String(16), default=SummonsStatus.SUMMONED.value)
    note: Mapped[str] = mapped_column(Text)
    summoned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime)
    summoned_by_id: Mapped[int | None] = mapped_column(Integer)
    centre_division_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))  # who blew the whistle
    reported_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_in_by_id: Mapped[int | None] = mapped_column(Integer)
    report_in_note: Mapped[str | None] = mapped_column(Text)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_by_id: Mapped[int | None] = mapped_column(Integer)
    result_note: Mapped[str | None] = mapped_column(Text)
    # 撤回吹哨: the summoning centre called the department off before it reported in (not counted in the figures)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(Integer)
    withdraw_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_summons_event", "event_id", "id"),
        Index("ix_summons_department_status", "department_id", "status", "event_id"),
        # the IOC's response-time figure: summons of a period, with what it measures
        Index(
            "ix_summons_period", "summoned_at", "event_id", "department_id", "respond_by", "reported_in_at", "status"
        ),
    )
