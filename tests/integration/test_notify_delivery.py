"""Notifications through the worker: each recipient gets each notification exactly once on each of his channels
across a crash in the middle of a planning batch and one in the middle of a sending batch followed by a restart;
e-mail through a local SMTP sink; SMS through the file adapter; who gets what."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gridgov.common.events import AsyncSubscriber, DomainEvent
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import one_action
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event
from gridgov.dispatch.schemas import CategoryIn, NoteIn, ResultIn, VerifyIn
from gridgov.notify import services
from gridgov.notify.channels import Channel, Message
from gridgov.notify.planner import plan_batch
from gridgov.notify.rules import ChannelName, DeliveryStatus
from gridgov.notify.schemas import PreferencesIn
from gridgov.org.models import Division
from notify_support import Rig, SmtpSink
from support import People
from support import report as submit


class Crash(BaseException):
    """The process dies (not an error the sender handles)."""


class DiesAfter:
    """A channel that dies after `n` messages have left (sent, not yet marked sent)."""

    def __init__(self, inner: Channel, n: int) -> None:
        self.inner, self.n, self.name = inner, n, inner.name

    def send(self, session: Session, message: Message) -> None:
        self.inner.send(session, message)
        self.n -= 1
        if self.n == 0:
            raise Crash

    def close(self) -> None:
        self.inner.close()


def _grid(session: Session, index: int) -> Division:
    from sqlalchemy import select

    grids = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
    return grids[index]


def _report(session: Session, who: Principal, grid: Division, phone: str | None = "13800138000") -> Event:
    cmd = IntakeCommand(title=f"路灯不亮 {uuid.uuid4().hex[:6]}", grid_code=grid.code, reporter_phone=phone)
    event, _ = submit(session, who, cmd)
    return event


def _sms(rig: Rig) -> list[dict[str, Any]]:
    if not rig.sms_file.exists():
        return []
    return [json.loads(line) for line in rig.sms_file.read_text(encoding="utf-8").splitlines() if line]


def _dispatch(session: Session, people: People, grid: Division, event: Event) -> None:
    from gridgov.org.models import Division as D

    community = session.get(D, grid.parent_id)
    assert community is not None
    street = session.get(D, community.parent_id)
    assert street is not None
    dsp = people.user(f"dsp_{street.code}")
    one_action(lc.file_event, session, dsp, event.id, CategoryIn(category_code="01001"))
    one_action(lc.dispatch_event, session, dsp, event.id, CategoryIn())


def test_each_recipient_gets_each_notification_once_across_crashes_and_a_restart(
    session: Session, people: People, rig: Rig, smtp_sink: SmtpSink
) -> None:
    resident = people.user("resident3")
    one_action(
        services.set_preferences,
        session,
        resident,
        PreferencesIn(
            channels={"receipt": ["in_app", "sms", "email"], "dispatched": ["in_app", "sms"]}, email="r3@example.cn"
        ),
    )
    grid = _grid(session, 7)
    cases = [_report(session, resident, grid) for _ in range(6)]
    for case in cases[:3]:
        _dispatch(session, people, grid, case)
    ids = {c.id for c in cases}

    # 1. the planner dies in the middle of its first batch: nothing of it stays, the position does not move
    calls = {"n": 0}

    def dies_once(s: Session, events: list[DomainEvent]) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            plan_batch(s, events[: len(events) // 2])
            raise RuntimeError("planner crash")
        plan_batch(s, events)

    crashing = AsyncSubscriber(rig.subscriber.name, dies_once, events=rig.subscriber.events, start="now")  # type: ignore[arg-type]
    worker = rig.worker()
    worker.subscriber = crashing
    with pytest.raises(RuntimeError):
        worker.run_once()
    assert rig.notifications(session, ids) == []

    # 2. planned again; the sender dies after two text messages left and before they were marked sent
    channels = rig.channels()
    channels[ChannelName.SMS] = DiesAfter(channels[ChannelName.SMS], 2)
    worker = rig.worker(channels)
    worker.subscriber = crashing
    with pytest.raises(Crash):
        worker.run_once()
    assert len(_sms(rig)) == 2
    leased = [d for d in rig.deliveries(session, ids) if d.status == DeliveryStatus.SENDING.value]
    assert leased, "the crash left claimed deliveries behind"

    # 3. a new worker (a restart: new channels, the same SMS file) once the lease has run out
    rig.worker().run_once(now=utcnow() + timedelta(minutes=2))

    notes = rig.notifications(session, ids)
    deliveries = rig.deliveries(session, ids)
    assert {d.status for d in deliveries} == {DeliveryStatus.SENT.value}
    per_recipient = Counter((n.case_id, n.kind, n.recipient) for n in notes)
    assert set(per_recipient.values()) == {1}
    mine = [n for n in notes if n.user_id == resident.user_id]
    assert Counter(n.kind for n in mine) == {"receipt": 6, "dispatched": 3}
    handlers = [n for n in notes if n.kind == "new_task"]
    assert {n.case_id for n in handlers} == {c.id for c in cases[:3]} and all(n.user_id for n in handlers)
    assert all(n.inbox_at is not None for n in notes)

    sms_keys = {d.key for d in deliveries if d.channel == "sms"}
    sent_sms = Counter(line["key"] for line in _sms(rig) if line["key"] in sms_keys)
    assert set(sent_sms) == sms_keys and set(sent_sms.values()) == {1} and len(sms_keys) == 9
    assert all(line["phone"] == "13800138000" and line["text"].startswith("【") for line in _sms(rig))

    mail_keys = {d.key for d in deliveries if d.channel == "email"}
    got = Counter(m["X-Gridgov-Key"] for m in smtp_sink.messages if m["X-Gridgov-Key"] in mail_keys)
    assert set(got) == mail_keys and set(got.values()) == {1} and len(mail_keys) == 6
    receipt = next(m for m in smtp_sink.messages if m["X-Gridgov-Key"] in mail_keys)
    assert receipt["To"] == "r3@example.cn" and receipt["Subject"] == "您反映的问题已受理"
    assert "案件编号" in receipt.get_content()


def test_result_with_rating_link_and_returns_to_handlers(session: Session, people: People, rig: Rig) -> None:
    resident = people.user("resident2")
    grid = _grid(session, 11)
    case = _report(session, resident, grid, phone=None)
    _dispatch(session, people, grid, case)
    session.refresh(case)
    task = next(t for t in case.tasks if t.role == "lead")
    assert task.department_id is not None or task.grid_id is not None
    gw = people.user(f"gw_{grid.code}")
    community = session.get(Division, grid.parent_id)
    assert community is not None
    cs = people.user(f"cs_{community.code}")
    session.rollback()
    handler = gw if task.grid_id else None
    if handler is None:
        pytest.skip("category 01001 is handled by a department here")
    one_action(lc.accept_event, session, gw, case.id, NoteIn())
    one_action(lc.handle_event, session, gw, case.id, ResultIn(note="已修复"))
    one_action(lc.verify_event, session, cs, case.id, VerifyIn(passed=False, note="灯仍不亮"))
    one_action(lc.handle_event, session, gw, case.id, ResultIn(note="已更换灯泡"))
    one_action(lc.verify_event, session, cs, case.id, VerifyIn(passed=True, note="已亮"))
    rig.worker().run_once()
    notes = rig.notifications(session, {case.id})
    kinds = Counter((n.kind, n.user_id) for n in notes)
    assert kinds[("returned", gw.user_id)] == 1
    returned = next(n for n in notes if n.kind == "returned")
    assert "灯仍不亮" in returned.body
    result = next(n for n in notes if n.kind == "result")
    assert result.user_id == resident.user_id and "/resident?number=" in result.body and "已更换灯泡" in result.body


def test_a_red_case_reaches_the_leaders_above_it(session: Session, people: People, rig: Rig) -> None:
    from sqlalchemy import select

    from gridgov.common.events import bus
    from gridgov.org.models import User

    grid = _grid(session, 13)
    case = _report(session, people.user("resident1"), grid, phone=None)
    _dispatch(session, people, grid, case)
    # the sweeper's overdue mark, published alone (sweeping the shared test database would move other tests' cases)
    bus.publish(session, "event.warn_red", "event", case.id, {"from": "dispatched", "to": "dispatched", "actor": None})
    session.commit()
    rig.worker().run_once()
    notes = [n for n in rig.notifications(session, {case.id}) if n.kind == "red"]
    leaders = set(session.scalars(select(User.id).where(User.id.in_([n.user_id for n in notes]))))
    assert notes and all(n.urgent and n.inbox_at is not None for n in notes)
    paths = {
        u.username: (u.division.path if u.division else "")
        for u in session.scalars(select(User).where(User.id.in_(leaders)))
    }
    assert all(case.division_path.startswith(p) for p in paths.values()), paths
    every = session.scalars(select(User).where(User.role == "leader")).all()
    above = {u.id for u in every if u.division is not None and case.division_path.startswith(u.division.path)}
    assert leaders == above and len(above) >= 2  # the district's leader and the city's


def test_a_major_alert_reaches_each_named_recipient_urgently(
    session: Session, people: People, rig: Rig, app_client: TestClient
) -> None:
    from sqlalchemy import select

    from gridgov.dispatch.models import EventAlert
    from gridgov.dispatch.schemas import UrgencyIn

    grid = _grid(session, 19)  # the app (app_client) wires the fast track's subscriber that raises the alerts
    case = _report(session, people.user("resident1"), grid, phone=None)
    _dispatch(session, people, grid, case)
    district = session.get(Division, int(case.division_path.strip("/").split("/")[1]))
    assert district is not None and district.level == "district"
    dsp = people.user(f"dsp_{district.code}")
    one_action(lc.set_urgency, session, dsp, case.id, UrgencyIn(urgency="major", note="有人员受伤"))
    alerted = set(session.scalars(select(EventAlert.user_id).where(EventAlert.event_id == case.id)))
    assert len(alerted) >= 3  # the on-duty dispatcher, the district's and the city's leaders
    rig.worker().run_once()
    major = [n for n in rig.notifications(session, {case.id}) if n.kind == "major"]
    assert {n.user_id for n in major} == alerted and len(major) == len(alerted)  # each once, nobody else
    assert all(n.urgent and n.inbox_at is not None and case.title in n.title for n in major)
    assert all(n.link.endswith(f"?case={case.id}") for n in major)


class Counting:
    """An SMS channel that counts what leaves, slowly enough for two workers to overlap."""

    name = ChannelName.SMS

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def send(self, session: Session, message: Message) -> None:
        import time

        time.sleep(0.01)
        self.sent[message.key] += 1

    def close(self) -> None:
        return None


def test_two_senders_at_once_send_each_delivery_once(session: Session, people: People, rig: Rig) -> None:
    import threading

    from gridgov.common.events import deliver
    from gridgov.notify.channels import InAppChannel
    from gridgov.notify.sender import send_due

    grid = _grid(session, 17)
    cases = [_report(session, people.user("resident1"), grid, phone="13700137000") for _ in range(8)]
    with rig.factory() as s, s.begin():
        deliver(s, rig.subscriber)  # planned, nothing sent yet
    counting = Counting()
    channels: dict[ChannelName, Channel] = {ChannelName.IN_APP: InAppChannel(), ChannelName.SMS: counting}
    for _ in range(4):  # rounds of two workers claiming batches of three at the same time
        threads = [threading.Thread(target=send_due, args=(rig.factory, channels, None, 3)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    rig.worker(channels).run_once()
    keys = {d.key for d in rig.deliveries(session, {c.id for c in cases}) if d.channel == "sms"}
    assert len(keys) == 8 and {k: counting.sent[k] for k in keys} == dict.fromkeys(keys, 1)
