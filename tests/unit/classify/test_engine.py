from __future__ import annotations

from pathlib import Path

import pytest

from gridgov.classify.datafile import read_labelled
from gridgov.classify.engine import TextClassifier
from gridgov.classify.text import context_tokens, normalize, with_context, words
from gridgov.common.errors import InvalidInput
from gridgov.demo.classify_text import CatalogItem, generate

ITEMS = [
    CatalogItem("01001", "暴露垃圾", ("垃圾", "乱扔垃圾", "垃圾堆")),
    CatalogItem("02001", "占道经营", ("摆摊", "流动摊贩", "占道")),
    CatalogItem("03001", "噪声扰民", ("噪音", "施工噪声", "吵")),
    CatalogItem("04001", "井盖缺失", ("井盖", "下水道盖", "窨井")),
]


def test_text_view() -> None:
    assert normalize("ＡＢＣ 12号  楼") == "abc 0号 楼"
    doc = with_context("楼下垃圾", "photo")
    assert context_tokens(doc) == ["ch=photo"]
    assert "垃圾" in words(doc) and "ch=photo" in words(doc)


def test_learns_generated_text_and_round_trips(tmp_path: Path) -> None:
    train = generate(ITEMS, 20, seed=1)
    test = generate(ITEMS, 5, seed=2)
    clf = TextClassifier().fit([e.doc for e in train], [e.label for e in train])
    predicted = clf.predict([e.doc for e in test])
    right = sum(p == e.label for p, e in zip(predicted, test, strict=True))
    assert right / len(test) > 0.9
    top = clf.top([with_context("小区门口井盖不见了，很危险")], k=3)[0]
    assert top[0].label == "04001" and len(top) == 3
    assert top[0].confidence >= top[1].confidence >= top[2].confidence
    assert 0 < sum(s.confidence for s in top) <= 1.0001
    path = tmp_path / "m.joblib"
    clf.save(path)
    again = TextClassifier.load(path)
    assert again.predict([e.doc for e in test]) == predicted


def test_refuses_too_little_data() -> None:
    with pytest.raises(InvalidInput):
        TextClassifier().fit(["a", "b", "c"], ["x", "x", "x"])


def test_labelled_files(tmp_path: Path) -> None:
    tsv = tmp_path / "d.tsv"
    tsv.write_text("split\ttext\tlabel\ntrain\t垃圾很多\t环境\ndev\t摆摊\t城管\n", encoding="utf-8")
    rows = read_labelled(tsv)
    assert [(r.split, r.label) for r in rows] == [("train", "环境"), ("dev", "城管")]
    csv_file = tmp_path / "d.csv"
    csv_file.write_text("text,label\n垃圾很多,环境\n", encoding="utf-8")
    assert read_labelled(csv_file)[0].split in {"train", "dev"}
    bad = tmp_path / "bad.csv"
    bad.write_text("title,label\nx,y\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="text"):
        read_labelled(bad)


def test_weights_and_extra_examples() -> None:
    from gridgov.classify.datafile import Labelled
    from gridgov.classify.engine import EXTRA_WEIGHT
    from gridgov.classify.versions import Example, extra_examples

    train = generate(ITEMS, 20, seed=1)
    docs, labels = [e.doc for e in train], [e.label for e in train]
    plain = TextClassifier().fit(docs, labels)
    # a weight per text reaches the SVM: the texts of one class barely counting changes the scores
    light = [0.01 if lb == "04001" else 1.0 for lb in labels]
    weighted = TextClassifier().fit(docs, labels, light)
    assert not (weighted.probabilities(docs) == plain.probabilities(docs)).all()
    with pytest.raises(InvalidInput, match="权重"):
        TextClassifier().fit(docs, labels, [1.0])
    rows = [
        Labelled("井盖不见了", "04001", "train"),
        Labelled("路边摆摊", "02001", "train"),
        Labelled("吵", "x", "dev"),
    ]
    extra = extra_examples(rows, [Example("  井盖不见了 ", "04001")])  # equal after normalising: a leak, left out
    assert [(e.text, e.weight) for e in extra] == [("路边摆摊", EXTRA_WEIGHT)]
    # a held-out title's own body in the other file (no key links them): its nearest row is left out too
    bodies = [
        Labelled("福民路的井盖不见了好几天，晚上很危险，请尽快处理", "04001", "train"),
        Labelled("小区门口有人路边摆摊占道经营", "02001", "train"),
    ]
    kept = extra_examples(bodies, [Example("福民路井盖不见了", "04001")])
    assert [e.text for e in kept] == ["小区门口有人路边摆摊占道经营"]
