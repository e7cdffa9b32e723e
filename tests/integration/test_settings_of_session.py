"""Services follow the settings of the application that made their session (create_app(settings)), not
whatever the process environment says."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from gridgov.catalog import cache as catalog_cache
from gridgov.config import Settings
from gridgov.db import session_factory, settings_of
from gridgov.demo.loader import DemoResult
from gridgov.dispatch.assign import clock_for


def test_services_read_the_settings_their_session_was_made_with(
    engine: Engine, demo: DemoResult, settings: Settings
) -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
    half = settings.model_copy(update={"sla_warn_ratio": 0.5})
    with session_factory(engine)() as env_session, session_factory(engine, half)() as app_session:
        assert settings_of(env_session).sla_warn_ratio == settings.sla_warn_ratio
        assert settings_of(app_session) is half
        category = next(c for c in catalog_cache.snapshot(env_session).by_code.values() if c.limit_for("A"))
        default, _ = clock_for(env_session, "A", category, now)
        own, _ = clock_for(app_session, "A", category, now)
    assert own.deadline_at == default.deadline_at
    assert own.warn_at < default.warn_at  # yellow at half the time used, not at 80 %
