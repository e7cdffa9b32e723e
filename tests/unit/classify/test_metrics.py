from __future__ import annotations

import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from gridgov.classify.metrics import evaluate


def test_scores_agree_with_sklearn() -> None:
    truth = ["a", "a", "b", "b", "c", "c", "c", "a"]
    pred = ["a", "b", "b", "b", "c", "a", "c", "d"]
    ev = evaluate(truth, pred)
    assert ev.accuracy == pytest.approx(accuracy_score(truth, pred))
    assert ev.macro_f1 == pytest.approx(f1_score(truth, pred, average="macro", labels=["a", "b", "c"]))
    by = {s.label: s for s in ev.per_class}
    assert by["a"].precision == pytest.approx(precision_score(truth, pred, labels=["a"], average="macro"))
    assert by["c"].recall == pytest.approx(recall_score(truth, pred, labels=["c"], average="macro"))
    assert ev.labels == ["a", "b", "c", "d"]
    assert ev.confusion[0] == [1, 1, 0, 1]  # true a: once a, once b, once d
    assert ev.n == len(truth)


def test_lengths_must_agree() -> None:
    with pytest.raises(ValueError):
        evaluate(["a"], [])
