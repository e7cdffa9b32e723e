"""Scores of a classifier on labelled texts (pure): accuracy, macro-F1, per-class precision/recall/F1, and the
confusion table (rows: the true label, columns: the predicted one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    macro_f1: float
    per_class: list[ClassScore]
    labels: list[str]
    confusion: list[list[int]] = field(repr=False)

    @property
    def n(self) -> int:
        return sum(map(sum, self.confusion))


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    labels = sorted(set(truth) | set(predicted))
    index = {lb: i for i, lb in enumerate(labels)}
    table = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        table[index[t]][index[p]] += 1
    scores: list[ClassScore] = []
    for i, lb in enumerate(labels):
        hit = table[i][i]
        said = sum(row[i] for row in table)
        real = sum(table[i])
        precision = hit / said if said else 0.0
        recall = hit / real if real else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScore(lb, precision, recall, f1, real))
    present = [s for s in scores if s.support]  # macro-F1 over the true classes, as sklearn's labels=truth
    accuracy = sum(table[i][i] for i in range(len(labels))) / len(truth) if truth else 0.0
    macro = sum(s.f1 for s in present) / len(present) if present else 0.0
    return Evaluation(accuracy, macro, scores, labels, table)
