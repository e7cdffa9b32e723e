"""块数据导入 in a real browser: the administrator uploads a department file of several thousand rows on /admin and
the page shows the running import's stages and counts (polled from the server while the upload runs), then the
batch's counts; a file with a bad row shows the line and the error report instead, and nothing is written."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="浏览器测试需要 playwright（pip install playwright）")
pytest.importorskip("pytest_playwright", reason="浏览器测试需要 pytest-playwright")

from playwright.sync_api import Page, expect

from gridgov.blockdata.idcodes import resident_id_check_char

Login = Callable[..., Page]
ROWS = 20000  # long enough that the page sees a server stage while it runs (about 10k rows/s)


def _file(tmp_path: Path, address: str, rows: int, bad_line: int | None = None) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "证件号码", "联系电话", "居住地址"])
    for i in range(rows):
        first17 = "440304" + "1980" + f"{1 + i % 12:02d}{1 + i % 28:02d}" + f"{uuid.uuid4().int % 1000:03d}"
        number = first17 + resident_id_check_char(first17)
        if bad_line is not None and i + 2 == bad_line:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        writer.writerow(
            ["进度测试", number, "138" + f"{uuid.uuid4().int % 10**8:08d}", f"{address}{1 + i % 30}单元{101 + i % 20}"]
        )
    path = tmp_path / f"progress-{rows}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_the_import_page_shows_the_progress_of_a_running_import(
    login: Login, seed: dict[str, Any], artifacts: Path, tmp_path: Path
) -> None:
    page = login("admin", "/admin#blockdata")
    page.fill("#bd-dept", "进度测试")
    page.set_input_files("#bd-file", str(_file(tmp_path, seed["declare_building"]["full_name"], ROWS)))
    page.click("#bd-form button[type=submit]")
    expect(page.locator("#bd-progress")).to_be_visible()
    expect(page.locator("#bd-result")).to_contain_text(f"已导入 {ROWS} 行", timeout=120_000)
    seen = (page.locator("#bd-progress").get_attribute("data-seen") or "").split(",")
    assert {"check", "address", "write"} & set(seen), seen  # a server stage was shown while the import ran
    expect(page.locator("#bd-stage")).to_have_text(re.compile(rf"已完成：{ROWS} / {ROWS}"))
    expect(page.locator("#bd-batches")).to_contain_text("进度测试")
    page.screenshot(path=str(artifacts / "import-progress.png"), full_page=True)


def test_a_bad_row_is_named_and_nothing_is_imported(login: Login, seed: dict[str, Any], tmp_path: Path) -> None:
    page = login("admin", "/admin#blockdata")
    page.fill("#bd-dept", "进度测试")
    page.set_input_files("#bd-file", str(_file(tmp_path, seed["declare_building"]["full_name"], 30, bad_line=7)))
    page.click("#bd-form button[type=submit]")
    expect(page.locator("#bd-result")).to_contain_text("第7行")
    expect(page.locator("#bd-result a", has_text="下载错误报告")).to_have_count(1)
    expect(page.locator("#bd-stage")).to_have_text("未导入")
