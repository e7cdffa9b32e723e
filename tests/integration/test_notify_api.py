"""The notifications API: a person reads and marks only his own notifications; preferences (channels per kind,
quiet hours, e-mail) with errors naming the field; quiet hours hold texts but not the bell; the admin's
templates (checked in the sandbox, used by the next notification, reset to the default)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.timeutil import SHANGHAI, as_utc, utcnow
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event
from gridgov.notify.models import Notification, NotificationDelivery
from gridgov.org.models import Division
from notify_support import Rig
from support import People
from support import report as submit

Login = Callable[[str], dict[str, str]]


def _report(session: Session, people: People, username: str, index: int, phone: str | None = None) -> Event:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[index]
    cmd = IntakeCommand(title=f"垃圾满溢 {uuid.uuid4().hex[:6]}", grid_code=grid.code, reporter_phone=phone)
    event, _ = submit(session, people.user(username), cmd)
    return event


def test_a_person_reads_and_marks_only_his_own(
    app_client: TestClient, login: Login, session: Session, people: People, rig: Rig
) -> None:
    mine = _report(session, people, "resident1", 20)
    theirs = _report(session, people, "resident2", 21)
    rig.worker().run_once()
    a, b = login("resident1"), login("resident2")
    inbox_a = app_client.get("/api/notify/inbox", headers=a, params={"limit": 100}).json()
    inbox_b = app_client.get("/api/notify/inbox", headers=b, params={"limit": 100}).json()
    assert mine.id in {n["case_id"] for n in inbox_a["items"]}
    assert theirs.id not in {n["case_id"] for n in inbox_a["items"]}
    assert theirs.id in {n["case_id"] for n in inbox_b["items"]}
    foreign = next(n["id"] for n in inbox_b["items"] if n["case_id"] == theirs.id)
    r = app_client.post("/api/notify/read", headers=a, json={"ids": [foreign]})
    assert r.status_code == 200 and r.json()["changed"] == 0
    assert session.get(Notification, foreign).read_at is None  # type: ignore[union-attr]

    before = app_client.get("/api/notify/unread", headers=a).json()["unread"]
    own = next(n["id"] for n in inbox_a["items"] if n["case_id"] == mine.id and not n["read"])
    r = app_client.post("/api/notify/read", headers=a, json={"ids": [own]})
    assert r.json() == {"changed": 1, "unread": before - 1}
    app_client.post("/api/notify/read", headers=a, json={})
    assert app_client.get("/api/notify/unread", headers=a).json()["unread"] == 0
    assert app_client.get("/api/notify/unread", headers=b).json()["unread"] >= 1
    assert app_client.get("/api/notify/inbox").status_code == 401


def test_preferences_are_checked_and_named_in_chinese(app_client: TestClient, login: Login) -> None:
    h = login("resident1")
    r = app_client.put("/api/notify/preferences", headers=h, json={"quiet_start": "25:00", "quiet_end": "07:00"})
    assert (
        r.status_code == 422 and r.json()["error"]["field"] == "quiet_start" and "时:分" in r.json()["error"]["message"]
    )
    r = app_client.put("/api/notify/preferences", headers=h, json={"quiet_start": "22:00"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "quiet_end"
    r = app_client.put("/api/notify/preferences", headers=h, json={"email": "不是邮箱"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "email"
    r = app_client.put("/api/notify/preferences", headers=h, json={"channels": {"receipt": ["fax"]}})
    assert r.status_code == 422
    r = app_client.put(
        "/api/notify/preferences",
        headers=h,
        json={"channels": {"receipt": ["in_app"]}, "quiet_start": "22:00", "quiet_end": "07:00", "email": "ab@x.cn"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["channels"]["receipt"] == ["in_app"] and body["chosen"] == ["receipt"]
    assert body["channels"]["red"] == ["in_app", "sms", "email"]  # the default of a kind he has not chosen
    assert body["email"] == "a***@x.cn" and body["quiet_start"] == "22:00"
    assert app_client.get("/api/notify/preferences", headers=h).json() == body
    r = app_client.put("/api/notify/preferences", headers=h, json={})
    assert r.json()["chosen"] == [] and r.json()["quiet_start"] is None


def test_quiet_hours_hold_texts_and_email_but_not_the_bell(
    app_client: TestClient, login: Login, session: Session, people: People, rig: Rig
) -> None:
    local = utcnow().astimezone(SHANGHAI)
    start, end = (local - timedelta(hours=1)).strftime("%H:%M"), (local + timedelta(hours=1)).strftime("%H:%M")
    h = login("resident3")
    r = app_client.put(
        "/api/notify/preferences",
        headers=h,
        json={
            "channels": {"receipt": ["in_app", "sms", "email"]},
            "quiet_start": start,
            "quiet_end": end,
            "email": "q@x.cn",
        },
    )
    assert r.status_code == 200, r.text
    case = _report(session, people, "resident3", 22, phone="13900139000")
    rig.worker().run_once()
    rows = session.execute(
        select(NotificationDelivery.channel, NotificationDelivery.status, NotificationDelivery.not_before)
        .join(Notification)
        .where(Notification.case_id == case.id, Notification.kind == "receipt")
    ).all()
    by_channel = {c: (s, as_utc(nb)) for c, s, nb in rows}
    assert by_channel["in_app"][0] == "sent"
    for channel in ("sms", "email"):
        status, not_before = by_channel[channel]
        assert status == "pending"
        assert not_before.astimezone(SHANGHAI).strftime("%H:%M") == end and not_before > utcnow()
    # once the quiet hours are over they leave
    rig.worker().run_once(now=utcnow() + timedelta(hours=1, minutes=1))
    session.rollback()
    statuses = session.scalars(
        select(NotificationDelivery.status).join(Notification).where(Notification.case_id == case.id)
    ).all()
    assert set(statuses) == {"sent"}
    app_client.put("/api/notify/preferences", headers=h, json={})


def test_the_admin_edits_a_template_and_the_next_notification_uses_it(
    app_client: TestClient, login: Login, session: Session, people: People, rig: Rig
) -> None:
    admin = login("admin")
    assert app_client.get("/api/notify/templates", headers=login("resident1")).status_code == 403
    listed = {t["kind"]: t for t in app_client.get("/api/notify/templates", headers=admin).json()}
    assert listed["receipt"]["changed"] is False and "案件编号" in listed["receipt"]["body"]

    bad = app_client.put("/api/notify/templates/receipt", headers=admin, json={"title": "{{ title", "body": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "title"
    unknown = app_client.put(
        "/api/notify/templates/receipt", headers=admin, json={"title": "t", "body": "{{ secret }}"}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "body"
    escape = "{{ title.__class__.__mro__ }}"
    r = app_client.put("/api/notify/templates/receipt", headers=admin, json={"title": "t", "body": escape})
    assert r.status_code == 422  # the sandbox refuses what is not a plain variable
    assert (
        app_client.put("/api/notify/templates/nope", headers=admin, json={"title": "t", "body": "b"}).status_code == 422
    )
    r = app_client.put(
        "/api/notify/templates/receipt",
        headers=login("resident1"),
        json={"title": "t", "body": "b"},
    )
    assert r.status_code == 403

    r = app_client.put(
        "/api/notify/templates/receipt",
        headers=admin,
        json={"title": "已收到：{{ title }}", "body": "编号 {{ number }}，感谢您的反映。"},
    )
    assert r.status_code == 200 and r.json()["changed"] is True
    try:
        case = _report(session, people, "resident2", 23)
        rig.worker().run_once()
        note = session.scalar(
            select(Notification).where(Notification.case_id == case.id, Notification.kind == "receipt")
        )
        assert (
            note is not None
            and note.title == f"已收到：{case.title}"
            and note.body == f"编号 {case.number}，感谢您的反映。"
        )
    finally:
        reset = app_client.delete("/api/notify/templates/receipt", headers=admin)
    assert reset.status_code == 200 and reset.json()["changed"] is False
    assert app_client.delete("/api/notify/templates/receipt", headers=admin).status_code == 404
