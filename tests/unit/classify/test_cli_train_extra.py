from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gridgov.classify.cli import app
from gridgov.classify.datafile import Labelled
from gridgov.classify.engine import TextClassifier
from gridgov.classify.versions import Example, extra_examples
from gridgov.demo.classify_text import CatalogItem, generate

ITEMS = [
    CatalogItem("01001", "暴露垃圾", ("垃圾", "乱扔垃圾", "垃圾堆")),
    CatalogItem("02001", "占道经营", ("摆摊", "流动摊贩", "占道")),
    CatalogItem("03001", "噪声扰民", ("噪音", "施工噪声", "吵")),
]


def _tsv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("split\ttext\tlabel\n" + "".join(f"{s}\t{t}\t{lb}\n" for s, t, lb in rows), encoding="utf-8")
    return path


def test_train_with_extra_file(tmp_path: Path) -> None:
    main = [("train", e.text, e.label) for e in generate(ITEMS, 10, seed=1)]
    main += [("dev", e.text, e.label) for e in generate(ITEMS, 3, seed=2)]
    # the extra file's train rows are fitted beside the main file's train rows
    extra = [("train", f"{w}问题第{i}次反映", item.code) for item in ITEMS for i in range(6) for w in [item.name]]
    out = tmp_path / "m.joblib"
    args = ["train", "--data", str(_tsv(tmp_path / "a.tsv", main)), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--extra", str(_tsv(tmp_path / "b.tsv", extra))])
    assert result.exit_code == 0, result.output
    assert "已训练：" in result.output
    # the extra rows go through the leak guard: each dev text's nearest extra row is left out
    dev = [Example(t, lb) for s, t, lb in main if s == "dev"]
    kept = extra_examples([Labelled(t, lb, s) for s, t, lb in extra], dev)
    assert 0 < len(kept) < len(extra)
    n = len([r for r in main if r[0] == "train"]) + len(kept)
    assert f"已训练：{n} 条" in result.output
    assert TextClassifier.load(out).predict(["占道经营问题"]) == ["02001"]
    missing = CliRunner().invoke(app, [*args, "--extra", str(tmp_path / "none.tsv")])
    assert missing.exit_code == 1 and "不存在" in missing.output.replace("\n", "")
