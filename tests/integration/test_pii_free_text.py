"""Phone and ID numbers typed into a case's free text: stored masked with the original encrypted beside it,
shown masked to every reader, in full only to a caller with the unmask privilege who asks (audited)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from alembic.migration import MigrationContext
from alembic.operations import Operations
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from gridgov.common.audit import AuditLog
from gridgov.common.pii_store import originals
from gridgov.common.security import pii_cipher
from gridgov.config import Settings
from gridgov.dispatch.models import Event
from gridgov.org.models import Division

Login = Callable[[str], dict[str, str]]
PHONE, ID_NUMBER = "13912348765", "440304199001011233"
DESCRIPTION = f"楼道堆满杂物，联系人王女士 {PHONE}，身份证 {ID_NUMBER}"
MASKED = "楼道堆满杂物，联系人王女士 139****8765，身份证 440304********1233"


def _grid_and_street(session: Session) -> tuple[str, str]:
    grid = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()[33]
    community = session.get(Division, grid.parent_id)
    assert community is not None and community.parent_id is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return grid.code, street.code


def _pii_reads(engine: Engine, eid: int) -> list[AuditLog]:
    with Session(engine) as s:
        stmt = select(AuditLog).where(AuditLog.action == "pii.read", AuditLog.entity_id == str(eid))
        return list(s.scalars(stmt.where(AuditLog.entity == "event")))


def test_phone_in_a_description_is_masked_unless_revealed(
    app_client: TestClient, login: Login, session: Session, engine: Engine, settings: Settings
) -> None:
    grid, street = _grid_and_street(session)
    body = {"title": f"杂物堵塞 请打{PHONE}", "description": DESCRIPTION, "grid_code": grid}
    created = app_client.post("/api/events", json=body, headers=login("resident1"))
    assert created.status_code == 201, created.text
    eid = created.json()["id"]
    assert created.json()["description"] == MASKED and created.json()["title"] == "杂物堵塞 请打139****8765"

    # at rest: the masked text, and the originals only encrypted
    row = session.execute(text("SELECT * FROM event WHERE id = :id"), {"id": eid}).mappings().one()
    assert all(PHONE not in str(v) and ID_NUMBER not in str(v) for v in row.values())
    cipher = pii_cipher(settings.pii_secret)
    assert originals(cipher, row["pii_text_enc"]) == {"title": body["title"], "description": DESCRIPTION}

    dispatcher, admin = login(f"dsp_{street}"), login("admin")  # a street dispatcher may not unmask; the admin may
    for who in (dispatcher, admin):
        shown = app_client.get(f"/api/events/{eid}", headers=who).json()
        assert shown["description"] == MASKED and PHONE not in str(shown)
    # a step's note and the reason written onto the case, through the ORM
    rejected = app_client.post(
        f"/api/events/{eid}/actions/reject", json={"note": f"重复，已电话 {PHONE} 告知"}, headers=dispatcher
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["reject_reason"] == "重复，已电话 139****8765 告知"
    assert PHONE not in rejected.text

    denied = app_client.get(f"/api/events/{eid}", params={"reveal_pii": True}, headers=dispatcher)
    assert denied.status_code == 403 and denied.json()["error"]["field"] == "reveal_pii"
    assert _pii_reads(engine, eid) == []

    full = app_client.get(f"/api/events/{eid}", params={"reveal_pii": True}, headers=admin)
    assert full.status_code == 200, full.text
    assert full.json()["description"] == DESCRIPTION and full.json()["title"] == body["title"]
    assert full.json()["reject_reason"] == f"重复，已电话 {PHONE} 告知"
    assert f"重复，已电话 {PHONE} 告知" in [step["note"] for step in full.json()["history"]]
    reads = _pii_reads(engine, eid)
    assert len(reads) == 1 and reads[0].actor_role == "admin" and reads[0].detail["field"] == "free_text"
    assert PHONE not in str(reads[0].detail)


def test_the_migration_masks_rows_written_before_it(engine: Engine, session: Session, settings: Settings) -> None:
    migration = importlib.import_module("gridgov.migrations.versions.0011_audit_chain")
    some = session.scalars(select(Event).order_by(Event.id).limit(1)).one()
    columns = {c: getattr(some, c) for c in ("channel", "status", "level", "division_path", "area_class")}
    with engine.connect() as conn, conn.begin() as tx:
        row = {**columns, "title": "旧数据", "description": f"老住户电话 {PHONE}", "address_text": ""}
        row |= {"self_handled": False, "extension_granted_hours": 0, "sla_state": "normal", "ever_overdue": False}
        counters = ("supervised_count", "escalation_count", "return_count", "reopen_count")
        row |= dict.fromkeys(counters, 0) | {"reported_at": some.reported_at, "updated_at": some.updated_at}
        eid = conn.execute(insert(Event).returning(Event.id), row).scalar_one()
        with Operations.context(MigrationContext.configure(conn)):
            migration._mask_existing(conn)
        found = conn.execute(select(Event.description, Event.pii_text_enc).where(Event.id == eid)).one()
        tx.rollback()
    assert found.description == "老住户电话 139****8765"
    assert originals(pii_cipher(settings.pii_secret), found.pii_text_enc) == {"description": f"老住户电话 {PHONE}"}
