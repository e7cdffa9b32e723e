"""Helpers for tests that play the entrypoint: each call is one unit of work, as a route or a CLI command runs it."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime

from PIL import Image as PILImage
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.common.security import hash_password
from gridgov.common.uow import atomic_retrying_a_race, one_action
from gridgov.demo.loader import NO_PASSWORD
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.intake import IntakeResult, submit, submit_batch
from gridgov.dispatch.models import Event
from gridgov.dispatch.schemas import ReportIn
from gridgov.org.models import Department, Division, User
from gridgov.org.services import principal_for

# The demo gives a password only to the accounts it prints; the tests give every other demo account this one
# (one hash for all of them, written by the test fixture, never by the product).
TEST_PASSWORD = "test-only-password-7c1e"


def give_test_passwords(session: Session) -> None:
    session.execute(
        update(User).where(User.password_hash == NO_PASSWORD).values(password_hash=hash_password(TEST_PASSWORD))
    )
    session.commit()


def report(
    session: Session, actor: Principal, command: IntakeCommand, now: datetime | None = None
) -> tuple[Event, bool]:
    """Submit one report through the intake port and commit; the case and whether this call created it."""
    result = one_action(submit, session, actor, command, now=now)
    event = session.get(Event, result.event_id)
    assert event is not None
    return event, result.created


def intake_batch(
    session: Session,
    actor: Principal,
    items: list[ReportIn],
    *,
    auto_dispatch: bool = False,
    now: datetime | None = None,
) -> list[IntakeResult]:
    """A batch as POST /api/events/batch runs it: all or nothing, once more after losing a key race."""
    commands = [item.to_command(auto_dispatch=auto_dispatch) for item in items]
    return atomic_retrying_a_race(session, lambda: submit_batch(session, actor, commands, now=now))


@dataclass
class People:
    """Principals of the demo, picked so that tests can cross scopes on purpose."""

    session: Session

    def user(self, username: str) -> Principal:
        u = self.session.scalar(select(User).where(User.username == username))
        assert u is not None, username
        return principal_for(self.session, u)

    def grid_worker(self, index: int = 0) -> Principal:
        names = self.session.scalars(
            select(User.username).where(User.role == "grid_worker").order_by(User.username)
        ).all()
        return self.user(names[index])

    def handler(self, division_code: str, dept_type: str) -> Principal:
        return self.user(f"h_{division_code}_{dept_type}")

    def division(self, code: str) -> Division:
        d = self.session.scalar(select(Division).where(Division.code == code))
        assert d is not None
        return d

    def department(self, division_id: int, dept_type: str) -> Department:
        d = self.session.scalar(
            select(Department).where(Department.division_id == division_id, Department.dept_type == dept_type)
        )
        assert d is not None
        return d


def photo(fmt: str = "PNG", size: int | None = None, width: int = 8, height: int = 6) -> bytes:
    """A small real image, different on every call (its pixels are random); with `size`, padded after the
    image's end to exactly that many bytes (decoders ignore what follows, the clean copy drops it)."""
    img = PILImage.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    img.save(out, format=fmt)
    data = out.getvalue()
    return data + b"\x00" * (size - len(data)) if size is not None else data
