"""The audit log for the administrator: filtered, paginated, refused to every other role; its CSV export is
itself written to the log."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog, CommonAudit, record_audit
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import UnitOfWork
from gridgov.config import Settings
from gridgov.db import session_factory
from gridgov.demo.loader import DemoResult

Login = Callable[[str], dict[str, str]]


def test_admin_reads_filters_pages_and_exports(
    app_client: TestClient, login: Login, engine: Engine, settings: Settings
) -> None:
    with session_factory(engine, settings)() as s, UnitOfWork(s):
        for i in range(5):
            record_audit(s, SYSTEM_PRINCIPAL, CommonAudit.PII_READ, "audit-api-test", f"o{i % 2}", {"i": i})
    admin = login("admin")
    first = app_client.get("/api/admin/audit", params={"entity": "audit-api-test", "limit": 2}, headers=admin)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [r["detail"]["i"] for r in page["items"]] == [4, 3] and page["next_cursor"] is not None
    rest = app_client.get(
        "/api/admin/audit", params={"entity": "audit-api-test", "cursor": page["next_cursor"]}, headers=admin
    ).json()
    assert [r["detail"]["i"] for r in rest["items"]] == [2, 1, 0] and rest["next_cursor"] is None
    assert all(r["seq"] and len(r["hash"]) == 64 for r in rest["items"])
    one = app_client.get(
        "/api/admin/audit", params={"entity": "audit-api-test", "entity_id": "o1", "action": "pii.read"}, headers=admin
    ).json()
    assert [r["detail"]["i"] for r in one["items"]] == [3, 1]
    future = app_client.get("/api/admin/audit", params={"at_from": "2999-01-01T00:00:00Z"}, headers=admin).json()
    assert future["items"] == []
    backwards = app_client.get(
        "/api/admin/audit", params={"at_from": "2026-12-02T00:00:00Z", "at_to": "2026-12-01T00:00:00Z"}, headers=admin
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "at_from"

    exported = app_client.get("/api/admin/audit.csv", params={"entity": "audit-api-test"}, headers=admin)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["entity_id"] for r in rows] == ["o0", "o1", "o0", "o1", "o0"]
    with Session(engine) as s:
        export = s.scalars(
            select(AuditLog).where(AuditLog.action == "audit.export").order_by(AuditLog.id.desc()).limit(1)
        ).one()
    assert export.actor_role == "admin" and export.detail == {"filter": {"entity": "audit-api-test"}, "rows": 5}
    shown = app_client.get("/api/admin/audit", params={"action": "audit.export", "limit": 1}, headers=admin).json()
    assert shown["items"][0]["actor_name"] == "admin"  # the export is listed, under the admin's name

    verified = app_client.get("/api/admin/audit/verify", headers=admin)
    assert verified.status_code == 200, verified.text
    verdict = verified.json()
    assert verdict["ok"] and verdict["first_bad"] is None and verdict["rows"] >= 6 and len(verdict["head_hash"]) == 64
    assert verdict["head_seq"] >= export.seq


def test_other_roles_may_not_read_the_audit_log(app_client: TestClient, login: Login, demo: DemoResult) -> None:
    # the demo's printed accounts (other tests add users of their own, with passwords of their own)
    names: dict[str, str] = {role: name for name, _password, role, _scope in demo.logins if role != "admin"}
    assert {"dispatcher", "resident", "grid_worker", "handler", "leader"} <= set(names)
    for who in names.values():  # none of them, whatever it may see or unmask
        headers = login(who)
        assert app_client.get("/api/admin/audit", headers=headers).status_code == 403
        assert app_client.get("/api/admin/audit.csv", headers=headers).status_code == 403
        assert app_client.get("/api/admin/audit/verify", headers=headers).status_code == 403
    assert app_client.get("/api/admin/audit").status_code == 401
