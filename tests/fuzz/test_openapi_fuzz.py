"""Schemathesis over the app's own OpenAPI spec, in process (ASGI), as each role of the demo and anonymously:
no operation answers 5xx and none answers a status its spec does not list.

Marked `fuzz` and left out of the default run (it writes at random into its database: calendar days, users,
aliases…): `make fuzz` (and .ci/run) runs it alone, on a database of its own. Bounded and reproducible:
derandomized, a fixed number of examples per operation, no example database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from gridgov.db import session_factory
from gridgov.org.models import Division
from support import People

pytestmark = pytest.mark.fuzz

Login = Callable[[str], dict[str, str]]
EXAMPLES = 6  # per operation; each example is sent once per role
SKIPPED = "/api/dashboard/stream"  # an SSE stream stays open for ten minutes


def callers(session: Session) -> dict[str, str]:
    """One demo user per role (tests/support.py People picks the grid worker)."""
    first = {
        level: session.scalar(select(Division.code).where(Division.level == level).order_by(Division.code))
        for level in ("street", "community")
    }
    return {
        "resident": "resident1",
        "grid_worker": People(session).grid_worker(0).username,
        "community_staff": f"cs_{first['community']}",
        "dispatcher": f"dsp_{first['street']}",
        "handler": f"h_{first['street']}_chengguan",
        "leader": "city_leader",
        "admin": "admin",
    }


@pytest.fixture(scope="session")
def role_headers(login: Login, engine: Engine) -> dict[str, dict[str, str]]:
    """Each role's bearer headers (conftest's `login`, the one log-in helper), and the anonymous caller."""
    with session_factory(engine)() as session:
        users = callers(session)
    headers = {role: login(username) for role, username in users.items()}
    headers["anonymous"] = {}
    return headers


def _serving_spec(app: Any) -> Any:
    """The app, with /openapi.json served even where the setting keeps it off (the default: API_DOCS)."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/openapi.json":
            await JSONResponse(app.openapi())(scope, receive, send)
        else:
            await app(scope, receive, send)

    return asgi


def test_no_server_error_nor_undocumented_status(
    app_client: TestClient, role_headers: dict[str, dict[str, str]]
) -> None:
    """Each operation in turn (pytest 9 collects no schemathesis fixtures, so hypothesis runs each operation's
    strategy here); every generated request is sent as every role."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", _serving_spec(app_client.app)).exclude(path=SKIPPED)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case[Any]) -> None:
            for headers in role_headers.values():
                case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])

        try:
            run()
        except Exception as exc:  # each operation's failure, reported together
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert operations > 50
    assert not failures, "\n\n".join(failures)
