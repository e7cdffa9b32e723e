"""Shared pieces of the notification tests: a local SMTP sink (aiosmtpd), settings with the file SMS adapter and
the sink configured, a planner of its own (placed at the outbox head) and a worker built on them."""

from __future__ import annotations

import email
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from gridgov.common.events import AsyncSubscriber
from gridgov.config import Settings
from gridgov.db import session_factory
from gridgov.notify.channels import Channel, build_channels
from gridgov.notify.models import Notification, NotificationDelivery
from gridgov.notify.planner import plan_batch
from gridgov.notify.rules import ChannelName, watched_events
from gridgov.notify.worker import NotifyWorker


@dataclass
class SmtpSink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@dataclass
class Rig:
    settings: Settings
    factory: sessionmaker[Session]
    subscriber: AsyncSubscriber
    sms_file: Path

    def worker(self, channels: dict[ChannelName, Channel] | None = None) -> NotifyWorker:
        return NotifyWorker(self.factory, self.settings, 0, channels=channels, subscriber=self.subscriber)

    def channels(self) -> dict[ChannelName, Channel]:
        return build_channels(self.settings)

    def notifications(self, session: Session, case_ids: set[int]) -> list[Notification]:
        session.rollback()
        return list(session.scalars(select(Notification).where(Notification.case_id.in_(case_ids))))

    def deliveries(self, session: Session, case_ids: set[int]) -> list[NotificationDelivery]:
        session.rollback()
        stmt = select(NotificationDelivery).join(Notification).where(Notification.case_id.in_(case_ids))
        return list(session.scalars(stmt))


@pytest.fixture
def rig(engine: Engine, settings: Settings, smtp_sink: SmtpSink, tmp_path: Path) -> Rig:
    own = settings.model_copy(
        update={
            "notify_sms": "file",
            "notify_sms_file": str(tmp_path / "sms.jsonl"),
            "notify_smtp_host": "127.0.0.1",
            "notify_smtp_port": smtp_sink.port,
            "notify_quiet_hours": "",
        }
    )
    sub = AsyncSubscriber(f"notify-test-{uuid.uuid4().hex[:8]}", plan_batch, events=watched_events(), start="now")
    r = Rig(own, session_factory(engine, own), sub, tmp_path / "sms.jsonl")
    r.worker().run_once()  # placed at the outbox head: only this test's events are planned
    return r
