"""The progress of a running import: written by the import's own callback under the caller's job key, read back by
the caller only (another user's poll of the same key answers 404), finished with the import's outcome."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from blockdata_support import buildings, new_id, new_phone
from gridgov.blockdata.progress import ProgressBoard, board

Login = Callable[[str], dict[str, str]]


def test_the_board_keeps_each_owner_s_jobs_apart() -> None:
    b = ProgressBoard()
    b.update(1, "job-aaaa", "check", 10, 100)
    assert b.get(1, "job-aaaa") is not None and b.get(2, "job-aaaa") is None
    found = b.get(1, "job-aaaa")
    assert found is not None and found.as_dict()["label"] == "逐行校验" and not found.finished


def test_an_import_reports_its_stages_to_its_own_caller(app_client: TestClient, login: Login, session: Session) -> None:
    b = buildings(session)[21]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "证件号码", "联系电话", "居住地址"])
    for i in range(1500):  # 1,500 different people: one name, birth day and building for all would make the suite's
        # shared population a block of look-alikes that the linkage tests' model then trains on
        born = f"{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}"
        writer.writerow(["进度" + chr(0x4E00 + i), new_id(born), new_phone(), f"{b.full_name}1单元{101 + i % 30}"])
    job = uuid.uuid4().hex
    seen: list[tuple[str, int, int]] = []
    original = board.update

    def spy(owner: int | None, key: str, stage: str, done: int, total: int, finished: bool = False) -> None:
        seen.append((stage, done, total))
        original(owner, key, stage, done, total, finished)

    board.update = spy  # type: ignore[method-assign,assignment]
    try:
        r = app_client.post(
            "/api/blockdata/import",
            files={"file": ("p.csv", out.getvalue().encode("utf-8"), "text/csv")},
            data={"department": "公安", "kind": "person", "job_id": job},
            headers=login("admin"),
        )
    finally:
        board.update = original  # type: ignore[method-assign]
    assert r.status_code == 201, r.text
    stages = [s for s, _d, _t in seen]
    assert stages[0] == "upload" and stages[-1] == "done"
    assert {"check", "address", "write"} <= set(stages)
    assert ("check", 1000, 1500) in seen and ("write", 1500, 1500) in seen
    mine = app_client.get("/api/blockdata/import/progress", params={"job_id": job}, headers=login("admin"))
    assert mine.status_code == 200 and mine.json()["stage"] == "done" and mine.json()["finished"] is True
    other = app_client.get("/api/blockdata/import/progress", params={"job_id": job}, headers=login("dsp_440304001000"))
    assert other.status_code == 404, other.text
