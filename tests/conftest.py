"""Test fixtures: one demo database per session (福田区, ~115 grids) on SQLite, or on PostgreSQL when
GRIDGOV_TEST_DATABASE_URL is set (see scripts/with-postgres.sh). Tests never read the third-party datasets."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="gridgov-test-"))
os.environ["GRIDGOV_VAR_DIR"] = str(_TMP / "var")
os.environ["GRIDGOV_SLA_SWEEP_SECONDS"] = "0"
# The `login` fixture keeps one bearer token per user for the whole run (as a machine client would keep it
# between refreshes); the tests of expiry and refresh set short lifetimes of their own.
os.environ.setdefault("GRIDGOV_ACCESS_TOKEN_MINUTES", "600")
# the suite's tests share one database and report the same things at the same places: repeats are attached
# only where a test turns it on (tests/integration/test_repeats.py)
os.environ.setdefault("GRIDGOV_REPEAT_ATTACH", "0")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The session's database, keys and uploads go with it (each run used to leave its directory behind in /tmp)."""
    shutil.rmtree(_TMP, ignore_errors=True)


from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from gridgov.app import create_app  # noqa: E402
from gridgov.config import Settings, get_settings  # noqa: E402
from gridgov.db import make_engine, session_factory  # noqa: E402
from gridgov.demo.geography import DemoGeography, build_demo_geography  # noqa: E402
from gridgov.demo.loader import DemoResult, load_demo  # noqa: E402
from gridgov.migrate import upgrade  # noqa: E402
from gridgov.org import cache  # noqa: E402
from support import TEST_PASSWORD, People, give_test_passwords  # noqa: E402


@pytest.fixture(scope="session")
def geography() -> DemoGeography:
    return build_demo_geography(["福田区"], grids_target=60)


def _database_url() -> Iterator[str]:
    base = os.environ.get("GRIDGOV_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{_TMP / 'test.db'}"
        return
    name = f"gridgov_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db_url() -> Iterator[str]:
    yield from _database_url()


@pytest.fixture(scope="session")
def settings(db_url: str) -> Settings:
    os.environ["GRIDGOV_DATABASE_URL"] = db_url
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo(engine: Engine, geography: DemoGeography, settings: Settings) -> DemoResult:
    cache.invalidate()
    with session_factory(engine)() as session:
        result = load_demo(
            session,
            settings.var_dir,
            geography=geography,
            buildings_per_community=30,
            parser_sequences=0,
            blockdata_people=600,
            classifier_texts=0,
            link_people=False,  # the suite's tests link what they need (tests/integration/test_demo_linkage.py)
        )
        give_test_passwords(session)
    cache.invalidate()
    return result


@pytest.fixture
def session(engine: Engine, demo: DemoResult) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture
def people(session: Session) -> People:
    return People(session)


@pytest.fixture(scope="session")
def app_client(engine: Engine, demo: DemoResult, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, engine, sweeper=False)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def passwords(demo: DemoResult) -> dict[str, str]:
    return {username: password for username, password, _role, _scope in demo.logins}


@pytest.fixture(scope="session")
def password_of(passwords: dict[str, str]) -> Callable[[str], str]:
    """The password of any demo user: a printed demo login's own, else the one the tests gave the others."""

    def _password(username: str) -> str:
        return passwords.get(username, TEST_PASSWORD)

    return _password


@pytest.fixture(scope="session")
def login(app_client: TestClient, password_of: Callable[[str], str]) -> object:
    """login(username) -> headers with a bearer token for that demo user."""
    tokens: dict[str, dict[str, str]] = {}

    def _login(username: str) -> dict[str, str]:
        if username not in tokens:
            r = app_client.post("/api/auth/token", data={"username": username, "password": password_of(username)})
            assert r.status_code == 200, r.text
            tokens[username] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return tokens[username]

    return _login
