"""The text classifier (an engine: no database): TF-IDF over character 1–3-grams of the normalised text plus the
context tokens (channel, place), and over the words of the training texts (jieba at training, found again at
prediction by a vectorised trie walk, `word_trie`) and over the char n-grams of the text's opening again (`LEAD_CHARS`),
the blocks weighted, one linear SVM over them, its scores calibrated into probabilities (sigmoid, fitted on
cross-validated scores) so that a threshold on the confidence means something. The features of a batch are computed
at once (`features`): ~8,500 message bodies and ~43,000 titles a CPU-second. Saved and loaded
with joblib: nothing is downloaded, jieba's dictionary ships with its wheel. Files of format 1 (per-text sklearn
char analyser and jieba at prediction) still load and answer, slower."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from gridgov.classify.features import DictionaryWords, HashedCharNgrams
from gridgov.common.errors import InvalidInput

FORMAT = 2
# n-grams from the first 1,000 characters of a text (9.7 % of the 泰迪杯 bodies are longer): chosen on a held-out
# fifth of the train rows, macro-F1 0.9135 against 0.9108 for whole texts, 8.8k against 6.3k bodies a CPU-second
CHAR_LIMIT = 1000
READABLE_FORMATS = (1, 2)
CALIBRATION_FOLDS = 3
# the weight of labelled texts of the other kind (bodies for a titles model and titles for a bodies model,
# `gridgov classify train --extra`): chosen on the held-out fifth of the 泰迪杯 train rows (bench/classify_select.py)
EXTRA_WEIGHT = 0.5
# the weights of the feature blocks beside the char n-grams (weight 1): the words, and the char 1–3-grams of the
# text's first LEAD_CHARS characters again (a body's own title-like opening; a title's whole text). Chosen on five
# folds of the 泰迪杯 train rows (bench/classify_select.py): macro-F1 over the folds titles 0.8846 against 0.8815
# (better on 5 of 5), bodies 0.9112 against 0.9107; words at 1.4 lose 0.006 on both
WORD_WEIGHT = 0.7
LEAD_WEIGHT = 0.5
LEAD_CHARS = 60


@dataclass(frozen=True, slots=True)
class Scored:
    label: str
    confidence: float


def _features(
    char_range: tuple[int, int], word_weight: float = WORD_WEIGHT, lead_weight: float = LEAD_WEIGHT
) -> FeatureUnion:
    """The engine's features; `word_weight=1, lead_weight=0` are those of the models trained before the weights."""
    parts: list[tuple[str, Any]] = [
        ("chars", HashedCharNgrams(char_range, max_chars=CHAR_LIMIT)),
        ("words", DictionaryWords()),
    ]
    weights = {"chars": 1.0, "words": word_weight}
    if lead_weight:
        parts.append(("lead", HashedCharNgrams(char_range, max_chars=LEAD_CHARS)))
        weights["lead"] = lead_weight
    return FeatureUnion(parts, transformer_weights=weights)


class TextClassifier:
    """`fit` on documents (`text.with_context`) and labels; `top` answers the best `k` labels with calibrated
    confidences, best first."""

    def __init__(self, c: float = 1.0, char_range: tuple[int, int] = (1, 3)) -> None:
        self.c = c
        self.char_range = char_range
        self.dropped: list[str] = []  # labels with too few examples to learn and calibrate
        self._pipe: Pipeline | None = None

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self._model.classes_]

    @property
    def _model(self) -> Any:
        if self._pipe is None:
            raise RuntimeError("classifier not trained")
        return self._pipe.named_steps["model"]

    def fit(self, docs: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None) -> TextClassifier:
        """`weights` (one per document, default 1) let texts of another kind count less, e.g. message bodies
        beside the titles a model is for (`EXTRA_WEIGHT`)."""
        if weights is not None and len(weights) != len(docs):
            raise InvalidInput("权重条数与文本条数不符", field="weights")
        counts = Counter(labels)
        self.dropped = sorted(lb for lb, n in counts.items() if n < CALIBRATION_FOLDS)
        keep = [i for i, lb in enumerate(labels) if counts[lb] >= CALIBRATION_FOLDS]
        if len({labels[i] for i in keep}) < 2:
            raise InvalidInput(f"训练数据至少需要两个类别、每类至少 {CALIBRATION_FOLDS} 条", field="data")
        model = CalibratedClassifierCV(LinearSVC(C=self.c), method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False)
        self._pipe = Pipeline([("features", _features(self.char_range)), ("model", model)])
        extra = {} if weights is None else {"model__sample_weight": np.asarray([weights[i] for i in keep], float)}
        self._pipe.fit([docs[i] for i in keep], [labels[i] for i in keep], **extra)
        return self

    def probabilities(self, docs: Sequence[str]) -> np.ndarray[Any, Any]:
        if self._pipe is None:
            raise RuntimeError("classifier not trained")
        return np.asarray(self._pipe.predict_proba(list(docs)))

    def predict(self, docs: Sequence[str]) -> list[str]:
        classes = self._model.classes_
        return [str(classes[i]) for i in self.probabilities(docs).argmax(axis=1)]

    def top(self, docs: Sequence[str], k: int = 3) -> list[list[Scored]]:
        if not docs:
            return []
        classes = self._model.classes_
        probs = self.probabilities(docs)
        order = np.argsort(-probs, axis=1)[:, :k]
        return [[Scored(str(classes[j]), float(p[j])) for j in row] for p, row in zip(probs, order, strict=True)]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        joblib.dump({"format": FORMAT, "c": self.c, "char_range": self.char_range, "pipe": self._pipe}, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("format") not in READABLE_FORMATS:
            raise InvalidInput(f"模型文件“{path.name}”格式不符", field="model")
        clf = cls(float(data["c"]), tuple(data["char_range"]))
        clf._pipe = data["pipe"]
        return clf
