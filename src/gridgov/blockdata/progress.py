"""The progress of running imports, for the page that uploaded the file: the import's progress callback writes the
stage and counts under the caller's own job key, and the page polls them while its upload request runs.

It lives in the serving process's memory, not in the database: the import holds its transaction (and on SQLite
the write lock) until it commits whole, so a progress row could neither be written beside it nor seen by another
connection before the end. One process serves the default deployment; with several API workers a poll may reach a
worker that does not run the import and answers 404 (the result still comes with the upload's own answer)."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass

STAGE_LABELS = {
    "upload": "读取文件",
    "check": "逐行校验",
    "address": "地址翻译（按楼栋去重）",
    "write": "加密并写入",
    "done": "已完成",
    "failed": "未导入",
}
KEEP_SECONDS = 3600
MAX_JOBS = 1000


@dataclass
class JobProgress:
    stage: str
    done: int
    total: int
    finished: bool
    updated_at: float

    @property
    def label(self) -> str:
        return STAGE_LABELS.get(self.stage, self.stage)

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"label": self.label}


class ProgressBoard:
    """Thread-safe: the import runs in a worker thread, the polls in others."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[int | None, str], JobProgress] = {}
        self._lock = threading.Lock()

    def update(self, owner: int | None, job: str, stage: str, done: int, total: int, finished: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._jobs) >= MAX_JOBS:
                for key in [k for k, v in self._jobs.items() if now - v.updated_at > KEEP_SECONDS] or [
                    min(self._jobs, key=lambda k: self._jobs[k].updated_at)
                ]:
                    del self._jobs[key]
            self._jobs[(owner, job)] = JobProgress(stage, done, total, finished, now)

    def get(self, owner: int | None, job: str) -> JobProgress | None:
        """The caller's own job only: another user's key answers nothing."""
        with self._lock:
            return self._jobs.get((owner, job))


board = ProgressBoard()
