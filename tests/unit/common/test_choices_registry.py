"""Enumerations are published from one registry; audit actions are declared, never free strings."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import gridgov.models  # noqa: F401 - every context's ChoiceSets are declared
from gridgov.common.audit import AuditAction, record_audit
from gridgov.common.choices import ChoiceSet, published, registry
from gridgov.common.choices_api import router
from gridgov.common.principal import SYSTEM_PRINCIPAL


def test_the_api_serves_every_published_set() -> None:
    app = FastAPI()
    app.include_router(router)
    body = TestClient(app).get("/api/choices").json()
    for name in ("status", "action", "channel", "sla_state", "level", "role", "task_status", "review_status"):
        assert body.get(name), name
    assert {"value": "dispatched", "label": "已派遣待签收"}.items() <= next(
        s for s in body["status"] if s["value"] == "dispatched"
    ).items()
    audit = {item["value"] for item in body["audit_action"]}
    assert {"pii.read", "address.rename", "catalog.import", "user.create", "attachment.upload"} <= audit
    assert all(item["label"] and item["label"] != item["value"] for item in body["audit_action"])


def test_a_value_declared_twice_under_one_name_is_refused() -> None:
    class First(ChoiceSet):
        A = ("dup.value", "一")

    class Second(ChoiceSet):
        B = ("dup.value", "二")

    published("test_duplicates")(First)
    with pytest.raises(ValueError, match=r"dup\.value"):
        published("test_duplicates")(Second)
    assert [i["value"] for i in registry()["test_duplicates"]] == ["dup.value"]


def test_free_string_audit_actions_are_refused() -> None:
    from sqlalchemy.orm import Session

    with pytest.raises(TypeError):
        record_audit(Session(), SYSTEM_PRINCIPAL, "made.up", "x", 1)  # type: ignore[arg-type]
    assert issubclass(AuditAction, ChoiceSet)
