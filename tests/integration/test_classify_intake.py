"""Smart intake, classification first: a report without a 小类 is read by the live classifier; above its 小类's
threshold the system files and dispatches it (the system is the actor in its history), below it waits in the
queue with three suggestions; the dispatchers' choices and corrections become labels; a retrained model that is
worse than the live one on held-out history is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gridgov.classify.live import suggest
from gridgov.classify.models import ClassifierVersion, ClassifyLabel, ClassifyPrediction, ClassifyThreshold
from gridgov.classify.versions import Example, list_versions, make_live, train_version
from gridgov.common.errors import Conflict, Forbidden
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.common.uow import one_action
from gridgov.demo.classify_text import catalog_items, generate, train_demo_classifier
from gridgov.dispatch import lifecycle as lc
from gridgov.dispatch.commands import IntakeCommand
from gridgov.dispatch.models import Event, EventTransition
from gridgov.dispatch.schemas import CategoryIn, NoteIn
from gridgov.org.models import Division
from gridgov.wiring import wire
from support import People
from support import report as submit_report

AT = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Shanghai
GARBAGE = "居民反映小区门口暴露垃圾，乱扔垃圾好几天了，请尽快处理"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("classifier")


@pytest.fixture
def live_model(session: Session, model_dir: Path) -> Iterator[ClassifierVersion]:
    """The demo classifier (generated text, a few per 小类) live for one test; nothing live afterwards, so that
    the other tests' reports keep waiting for a dispatcher."""
    wire()  # the labels are learned through the bus, as in the app
    done = train_demo_classifier(session, model_dir, per_item=8)
    session.commit()
    yield done.version
    session.rollback()
    session.execute(update(ClassifierVersion).values(live=False))
    session.execute(delete(ClassifyThreshold))
    session.commit()


def _grid(session: Session, index: int) -> Division:
    grids = session.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)).all()
    return grids[index]


def _dispatcher(session: Session, people: People, grid: Division) -> str:
    community = session.get(Division, grid.parent_id)
    assert community is not None and community.parent_id is not None
    street = session.get(Division, community.parent_id)
    assert street is not None
    return f"dsp_{street.code}"


def _threshold(session: Session, code: str, value: float) -> None:
    session.merge(ClassifyThreshold(category_code=code, threshold=value))
    session.commit()


def _steps(session: Session, event_id: int) -> list[EventTransition]:
    return list(
        session.scalars(
            select(EventTransition).where(EventTransition.event_id == event_id).order_by(EventTransition.id)
        )
    )


def test_confident_report_is_filed_and_dispatched_by_the_system(
    session: Session, people: People, live_model: ClassifierVersion
) -> None:
    best = suggest(session, [(GARBAGE, "photo")])[0]
    assert best is not None and best.best.code == "01001"
    _threshold(session, "01001", best.best.confidence - 0.01)  # this 小类's threshold, just below the model's word
    grid = _grid(session, 40)
    cmd = IntakeCommand(title=GARBAGE, grid_code=grid.code, idempotency_key=uuid.uuid4().hex)
    event, created = submit_report(session, people.user("resident1"), cmd, now=AT)
    assert created and event.status == "dispatched"
    assert event.category_id is not None and event.tasks
    steps = _steps(session, event.id)
    assert [s.action for s in steps] == ["report", "file", "dispatch"]
    assert steps[0].actor_role == "resident"
    assert [(s.actor_role, s.actor_id) for s in steps[1:]] == [("system", None), ("system", None)]
    assert steps[1].data["category"] == "01001" and steps[1].data["classifier"] == live_model.id
    pred = session.scalar(select(ClassifyPrediction).where(ClassifyPrediction.event_id == event.id))
    assert pred is not None and pred.auto


def test_unsure_report_waits_with_three_suggestions_and_the_correction_becomes_a_label(
    session: Session, people: People, live_model: ClassifierVersion
) -> None:
    best = suggest(session, [(GARBAGE, "photo")])[0]
    assert best is not None
    _threshold(session, best.best.code, 1.01)  # never sure enough for this 小类
    grid = _grid(session, 41)
    cmd = IntakeCommand(title=GARBAGE, grid_code=grid.code)
    event, _ = submit_report(session, people.user("resident1"), cmd, now=AT)
    assert event.status == "reported" and event.category_id is None
    pred = session.scalar(select(ClassifyPrediction).where(ClassifyPrediction.event_id == event.id))
    assert pred is not None and not pred.auto
    assert len(pred.top) == 3 and pred.top[0]["code"] == best.best.code
    assert [o["confidence"] for o in pred.top] == sorted((o["confidence"] for o in pred.top), reverse=True)

    dsp = people.user(_dispatcher(session, people, grid))
    one_action(lc.file_event, session, dsp, event.id, CategoryIn(category_code="01002"), now=AT)
    one_action(lc.dispatch_event, session, dsp, event.id, CategoryIn(), now=AT)
    labels = session.scalars(select(ClassifyLabel).where(ClassifyLabel.event_id == event.id)).all()
    assert [(lb.kind, lb.category_code, lb.predicted_code, lb.actor_id) for lb in labels] == [
        ("recategorized", "01002", best.best.code, dsp.user_id)
    ]
    assert labels[0].at == AT and labels[0].text.startswith(GARBAGE)


def test_a_mis_dispatch_return_and_the_re_route_are_labels(
    session: Session, people: People, live_model: ClassifierVersion
) -> None:
    _threshold(session, "01001", 0.0)  # filed by the system: 暴露垃圾 goes to the grid
    grid = _grid(session, 42)
    event, _ = submit_report(
        session, people.user("resident1"), IntakeCommand(title=GARBAGE, grid_code=grid.code), now=AT
    )
    assert event.status == "dispatched"
    gw = people.user(f"gw_{grid.code}")
    one_action(lc.return_event, session, gw, event.id, NoteIn(note="是建筑渣土，网格处理不了"), now=AT)
    dsp = people.user(_dispatcher(session, people, grid))
    one_action(lc.dispatch_event, session, dsp, event.id, CategoryIn(category_code="01002"), now=AT)
    labels = session.scalars(select(ClassifyLabel).where(ClassifyLabel.event_id == event.id).order_by(ClassifyLabel.id))
    assert [(lb.kind, lb.category_code, lb.actor_id) for lb in labels] == [
        ("returned", "01001", gw.user_id),
        ("rerouted", "01002", dsp.user_id),
    ]
    assert session.get(Event, event.id) is not None


def test_retraining_refuses_a_worse_model_and_rollback_puts_an_older_one_live(
    session: Session, people: People, live_model: ClassifierVersion, model_dir: Path
) -> None:
    items = catalog_items(session)
    holdout = generate(items, 2, seed=23)
    good = generate(items, 8, seed=29)
    codes = sorted({e.label for e in good})
    shuffled = [Example(e.text, codes[(codes.index(e.label) + 1) % len(codes)], e.channel) for e in good]
    worse = model_dir / "worse.joblib"
    with pytest.raises(Conflict, match="低于现网模型"):
        train_version(session, SYSTEM_PRINCIPAL, shuffled, holdout, source="history", out=worse)
    session.rollback()
    assert not worse.exists()
    live = session.scalars(select(ClassifierVersion).where(ClassifierVersion.live.is_(True))).all()
    assert [v.id for v in live] == [live_model.id]

    better = one_action(
        train_version, session, SYSTEM_PRINCIPAL, good, holdout, source="history", out=model_dir / "better.joblib"
    )
    assert better.version.live and better.live_score is not None and better.score is not None
    assert better.score.macro_f1 >= better.live_score.macro_f1
    one_action(make_live, session, SYSTEM_PRINCIPAL, live_model.id)
    listed = list_versions(session, SYSTEM_PRINCIPAL)
    assert [v.id for v in listed if v.live] == [live_model.id]
    with pytest.raises(Forbidden):
        list_versions(session, people.user("resident1"))


def test_the_queue_shows_the_suggestions_and_the_admin_the_versions(
    session: Session, people: People, live_model: ClassifierVersion, app_client: TestClient, login: Any
) -> None:
    _threshold(session, "01001", 1.01)
    grid = _grid(session, 43)
    event, _ = submit_report(
        session, people.user("resident1"), IntakeCommand(title=GARBAGE, grid_code=grid.code), now=AT
    )
    dsp = login(_dispatcher(session, people, grid))
    r = app_client.get(f"/api/events/{event.id}/suggestions", headers=dsp)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["options"]) == 3 and body["options"][0]["code"] == "01001" and not body["auto"]
    assert body["version_id"] == live_model.id

    admin = login("admin")
    r = app_client.get("/api/admin/classifier/versions", headers=admin)
    assert r.status_code == 200, r.text
    assert [v["id"] for v in r.json() if v["live"]] == [live_model.id]
    assert app_client.get("/api/admin/classifier/versions", headers=dsp).status_code == 403
    r = app_client.post("/api/admin/classifier/live", json={"version_id": 999999}, headers=admin)
    assert r.status_code == 404 and "不存在" in r.json()["error"]["message"]
