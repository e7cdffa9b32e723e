"""Login throttling per account name and per source address: after a few free failures each further one blocks
the next attempt for a growing delay (1, 2, 4 ... seconds), and enough of them lock the key for a while. Kept in
the database (login_throttle), so a restart does not forget it. Unknown account names are throttled exactly like
known ones, so the answers tell nothing about which names exist."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from gridgov.common.counters import increment
from gridgov.config import Settings
from gridgov.org.auth_models import LoginThrottle

ACCOUNT, SOURCE = "account", "source"


@dataclass(frozen=True)
class Policy:
    free_failures: int
    lock_failures: int
    lock: timedelta


def policies(settings: Settings) -> dict[str, Policy]:
    lock = timedelta(minutes=settings.login_lock_minutes)
    return {
        ACCOUNT: Policy(settings.login_free_failures, settings.login_lock_failures, lock),
        SOURCE: Policy(settings.login_source_free_failures, settings.login_source_lock_failures, lock),
    }


def block_after(failures: int, policy: Policy) -> tuple[timedelta | None, bool]:
    """How long the next attempt waits after `failures` failures in a row, and whether that is a lock (pure)."""
    if failures >= policy.lock_failures:
        return policy.lock, True
    if failures <= policy.free_failures:
        return None, False
    delay = timedelta(seconds=2 ** (failures - policy.free_failures - 1))
    return min(delay, policy.lock), False


def retry_after(row: LoginThrottle | None, policy: Policy, now: datetime) -> int | None:
    """Seconds until `row`'s key may try again, or None when it may now (pure)."""
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return None
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def load(session: Session, scope: str, key: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, (scope, key), populate_existing=True)


def record_failure(session: Session, scope: str, key: str, policy: Policy, now: datetime) -> tuple[int, bool]:
    """Count one failure of `key`; returns the failures in a row and whether this one locked it. Failures older
    than the lock period are forgotten first."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.scope == scope,
            LoginThrottle.key == key,
            LoginThrottle.last_failure_at < now - policy.lock,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < now),
        )
    )
    failures = increment(session, LoginThrottle, {"scope": scope, "key": key}, "failures", last_failure_at=now)
    wait, locked = block_after(failures, policy)
    if wait is not None:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.scope == scope, LoginThrottle.key == key)
            .values(blocked_until=now + wait)
        )
    return failures, locked


def clear(session: Session, scope: str, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key))


def forget_old(session: Session, now: datetime, older_than: timedelta) -> None:
    """Drop the rows of keys that stopped failing long ago (random names sprayed at the login stay bounded)."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < now - older_than,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < now),
        )
    )
