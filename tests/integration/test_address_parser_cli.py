"""`gridgov address parse` and `gridgov address train` against the running API: the command prints what
/api/addresses/parse answers, and a retrained model that scores worse on the administrator's check set is refused
(the current model stays)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gridgov.address.shipped import model_path
from gridgov.cli import app as cli_app
from gridgov.config import Settings

Login = Callable[[str], dict[str, str]]

TEXTS = [
    "广西柳州市城中区潭中东路勿忘我网吧门口",
    "浙江省杭州市余杭区五常街道文一西路969号阿里巴巴西溪园区6号楼小邮局",
    "竹海水韵春风里12-3-1001",
    "",
    "😀'; DROP TABLE x; --",
]


def test_cli_parse_is_the_api_path(app_client: TestClient, login: Login) -> None:
    result = CliRunner().invoke(cli_app, ["address", "parse"], input="\n".join(TEXTS) + "\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(TEXTS)
    headers = login("admin")
    for text, line in zip(TEXTS, lines, strict=True):
        body = app_client.post("/api/addresses/parse", json={"text": text}, headers=headers).json()
        assert line["text"] == body["text"]
        assert line["spans"] == [
            {"label": c["label"], "start": c["start"], "end": c["end"], "text": c["text"]} for c in body["components"]
        ]
    assert {s["label"] for s in lines[0]["spans"]} >= {"prov", "city", "district", "road", "poi", "assist"}
    batch = app_client.post("/api/addresses/parse/batch", json={"texts": TEXTS}, headers=headers)
    assert batch.status_code == 200
    assert [b["text"] for b in batch.json()] == [line["text"] for line in lines]
    assert [[(c["label"], c["start"], c["end"]) for c in b["components"]] for b in batch.json()] == [
        [(s["label"], s["start"], s["end"]) for s in line["spans"]] for line in lines
    ]
    too_many = app_client.post("/api/addresses/parse/batch", json={"texts": ["x"] * 1001}, headers=headers)
    assert too_many.status_code == 422


def test_train_refuses_a_worse_model(tmp_path: Path, settings: Settings) -> None:
    check = tmp_path / "check.jsonl"
    rows = []
    for text in TEXTS[:3]:
        parsed = json.loads(CliRunner().invoke(cli_app, ["address", "parse", text]).stdout)
        rows.append(json.dumps({"text": parsed["text"], "spans": parsed["spans"]}, ensure_ascii=False))
    check.write_text("\n".join(rows) + "\n", encoding="utf-8")  # the current model's own answers: it scores 1.0
    result = CliRunner().invoke(cli_app, ["address", "train", "--sequences", "100", "--check", str(check)])
    assert result.exit_code == 1, result.output
    assert "未替换" in result.output and "roomno" in result.output  # the per-label report came first
    assert not model_path(settings.var_dir).exists()

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "福民路", "spans": [{"label": "road", "start": 0, "end": 9}]}\n', encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["address", "train", "--labelled", str(bad)])
    assert result.exit_code == 1 and "第 1 行" in result.output
