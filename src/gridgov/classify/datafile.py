"""Labelled text files a district exports from its old system: TSV or CSV (by the file's extension, or by the
header's first separator) with a `text` and a `label` column, optionally `split` (train/dev) and `channel`.
A file without `split` is split by a hash of its text (one in five to dev), the same way on every run."""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from gridgov.common.errors import InvalidInput

DEV_SHARE = 5  # one text in five goes to dev when the file has no split column


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    label: str
    split: str
    channel: str | None = None


def hashed_split(text: str) -> str:
    return "dev" if int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % DEV_SHARE == 0 else "train"


def read_labelled(path: Path) -> list[Labelled]:
    if not path.is_file():
        raise InvalidInput(f"数据文件“{path}”不存在", field="data")
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        head = fh.readline()
        fh.seek(0)
        delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} or "\t" in head else ","
        reader = csv.DictReader(fh, delimiter=delimiter)
        fields = set(reader.fieldnames or [])
        missing = [c for c in ("text", "label") if c not in fields]
        if missing:
            raise InvalidInput(f"数据文件缺少列：{'、'.join(missing)}（需要 text 与 label）", field="data")
        out: list[Labelled] = []
        for line, row in enumerate(reader, start=2):
            text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
            if not text or not label:
                raise InvalidInput(f"数据文件第 {line} 行缺少 text 或 label", field="data")
            split = (row.get("split") or "").strip() or hashed_split(text)
            if split not in {"train", "dev"}:
                raise InvalidInput(f"数据文件第 {line} 行的 split 应为 train 或 dev", field="data")
            out.append(Labelled(text, label, split, (row.get("channel") or "").strip() or None))
    if not out:
        raise InvalidInput("数据文件没有数据行", field="data")
    return out
