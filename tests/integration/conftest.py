"""Fixtures of the integration tests beyond the root conftest: the notification rig and its local SMTP sink, and
a clean login throttle per test (every TestClient request comes from the one source "testclient", so failed
logins of one test would otherwise delay or lock the logins of the tests after it)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from gridgov.org.auth_models import LoginThrottle
from notify_support import rig, smtp_sink

__all__ = ["rig", "smtp_sink"]


@pytest.fixture(autouse=True)
def _fresh_login_throttle(engine: Engine) -> Iterator[None]:
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle))
    yield
