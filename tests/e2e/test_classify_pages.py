"""The classifier's suggestions in a real browser: a report that arrived without a 小类 and that the classifier was
not sure enough of waits in the dispatcher's queue with three suggestions and their confidences; key 1 takes the
first and files the case with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from gridgov.classify.models import ClassifierVersion, ClassifyThreshold
from gridgov.config import Settings
from gridgov.db import make_engine, session_factory
from gridgov.demo.classify_text import train_demo_classifier

TITLE = "小区门口暴露垃圾，乱扔垃圾好几天了（智能分类演示）"


def _sessions(e2e_env: dict[str, str], engine: Engine) -> sessionmaker[Session]:
    """Sessions on the e2e database under the e2e server's settings (its audit key above all: a row this process
    wrote under the test run's own key would break the server's audit chain)."""
    settings = Settings(var_dir=Path(e2e_env["GRIDGOV_VAR_DIR"]), database_url=e2e_env["GRIDGOV_DATABASE_URL"])
    return session_factory(engine, settings)


@pytest.fixture
def live_classifier(e2e_env: dict[str, str], seed: dict[str, Any]) -> Iterator[None]:
    """The demo classifier live in the e2e database (the server reads the live version per report), unsure of
    every 小类 so that nothing is dispatched by the system; nothing live afterwards."""
    engine = make_engine(e2e_env["GRIDGOV_DATABASE_URL"])
    with _sessions(e2e_env, engine)() as session:
        done = train_demo_classifier(session, Path(e2e_env["GRIDGOV_VAR_DIR"]), per_item=6)
        for code in done.version.labels:
            session.merge(ClassifyThreshold(category_code=code, threshold=1.01))
        session.commit()
    yield
    with _sessions(e2e_env, engine)() as session:
        session.execute(update(ClassifierVersion).values(live=False))
        session.commit()
    engine.dispose()


def test_the_dispatcher_accepts_the_first_suggestion_with_one_key(
    live_classifier: None,
    login: Callable[..., Page],
    seed: dict[str, Any],
    server: str,
    password_of: Callable[[str], str],
    artifacts: Path,
) -> None:
    username = f"dsp_{seed['street']}"
    r = httpx.post(server + "/api/auth/token", data={"username": username, "password": password_of(username)})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    report = {"title": TITLE, "grid_code": seed["grid"]["code"]}
    # the first report loads the model file and jieba's dictionary in the server: give it time on a busy machine
    r = httpx.post(server + "/api/events", json=report, headers=headers, timeout=120)
    assert r.status_code == 201, r.text
    case = int(r.json()["id"])
    suggestions = httpx.get(f"{server}/api/events/{case}/suggestions", headers=headers, timeout=60).json()
    assert len(suggestions["options"]) == 3 and not suggestions["auto"]
    first = suggestions["options"][0]

    page = login(username, "/dispatch")
    expect(page.locator("#queues button").first).to_be_visible()
    page.fill("#search", TITLE)
    page.press("#search", "Enter")
    page.locator("#case-list li", has_text=TITLE).click()
    expect(page.locator("#case-title")).to_have_text(TITLE)
    expect(page.locator("#model-suggest .chip")).to_have_count(3)
    expect(page.locator("#model-suggest .chip").first).to_contain_text(first["name"])
    page.screenshot(path=str(artifacts / "dispatch-model-suggestions.png"))
    page.locator("#case-title").click()  # the keys belong to the page, not to a field
    page.keyboard.press("1")
    expect(page.locator("#toasts")).to_contain_text("立案")
    detail = httpx.get(f"{server}/api/events/{case}", headers=headers, timeout=60).json()
    assert detail["status"] == "filed" and detail["category_code"] == first["code"]


def test_the_admin_sees_the_model_versions_and_puts_an_older_one_back_live(
    live_classifier: None, e2e_env: dict[str, str], login: Callable[..., Page], artifacts: Path
) -> None:
    engine = make_engine(e2e_env["GRIDGOV_DATABASE_URL"])
    with _sessions(e2e_env, engine)() as session:  # a second version, live: the first is the one to roll back to
        second = train_demo_classifier(session, Path(e2e_env["GRIDGOV_VAR_DIR"]) / "v2", per_item=6)
        session.commit()
        new_id = second.version.id
    engine.dispose()
    page = login("admin", "/admin#classifier")
    rows = page.locator("#clf-versions tbody tr")
    expect(page.locator(f'#clf-versions tr[data-id="{new_id}"].live')).to_have_count(1)
    assert rows.count() >= 2
    older = page.locator("#clf-versions tbody tr:not(.live) button[data-live]").first
    older_id = older.get_attribute("data-live")
    older.click()
    expect(page.locator(f'#clf-versions tr[data-id="{older_id}"].live')).to_have_count(1)
    expect(page.locator(f'#clf-versions tr[data-id="{new_id}"] button[data-live]')).to_have_count(1)
    page.screenshot(path=str(artifacts / "admin-classifier.png"), full_page=True)
