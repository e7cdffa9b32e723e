"""Model selection for the classifier, on the train rows of the 2020 泰迪杯 files only (never on dev).

    python bench/classify_select.py [--data DIR] [--only titles|details]

The train rows of titles_train.tsv / details_train.tsv (`bench/classify.py` explains the files and their dev split)
are split again by a second hash of the text: four fifths to fit, one fifth held out. Each candidate below is
fitted on the four fifths over the shipped engine's own features (`engine._features`: hashed char n-grams with the
context tokens, plus the training words found by Aho–Corasick) and scored by macro-F1 on the held-out fifth. The
anchor is the shipped engine itself (`TextClassifier`, calibrated LinearSVC C=1) on the same rows in the same run.
These figures choose what ships; `bench/classify.py` reports dev once for the chosen engine. Missing data skips
with a message. Candidates that add knowledge from outside the labelled texts (the category tree, distant
supervision from the official replies, co-training on the unlabeled messages, 同义词词林 classes) are scored on
the same rows by `bench/classify_knowledge.py`.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import hashlib  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from classify import each_file, other_rows  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier, _features  # noqa: E402
from gridgov.classify.metrics import evaluate  # noqa: E402
from gridgov.classify.text import with_context  # noqa: E402
from gridgov.classify.versions import Example  # noqa: E402

Matrix = Any
Scorer = Callable[[Matrix, np.ndarray[Any, Any], Matrix], np.ndarray[Any, Any]]


def _held_out(text: str) -> bool:
    """One train text in five, by a hash independent of the one that made the dev split."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[8:16], 16) % 5 == 0


def _svc(c: float, weight: str | None = None) -> Scorer:
    def probs(a: Matrix, y: np.ndarray[Any, Any], b: Matrix) -> np.ndarray[Any, Any]:
        svm = LinearSVC(C=c, class_weight=weight)
        model = CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False).fit(a, y)
        return np.asarray(model.predict_proba(b))

    return probs


def _cnb(alpha: float) -> Scorer:
    def probs(a: Matrix, y: np.ndarray[Any, Any], b: Matrix) -> np.ndarray[Any, Any]:
        return np.asarray(ComplementNB(alpha=alpha).fit(a, y).predict_proba(b))

    return probs


def _nbsvm(alpha: float, c: float) -> Scorer:
    """One-vs-rest LinearSVC over features scaled by their log-count ratio (Wang & Manning 2012); raw scores."""

    def scores(a: Matrix, y: np.ndarray[Any, Any], b: Matrix) -> np.ndarray[Any, Any]:
        out = np.zeros((b.shape[0], len(np.unique(y))))
        for j, label in enumerate(np.unique(y)):
            pos = y == label
            p = alpha + np.asarray(a[pos].sum(axis=0)).ravel()
            q = alpha + np.asarray(a[~pos].sum(axis=0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=c).fit(a.multiply(r).tocsr(), pos)
            out[:, j] = svm.decision_function(b.multiply(r).tocsr())
        return out

    return scores


def _mean(*parts: Scorer) -> Scorer:
    def probs(a: Matrix, y: np.ndarray[Any, Any], b: Matrix) -> np.ndarray[Any, Any]:
        return np.asarray(sum(part(a, y, b) for part in parts)) / len(parts)

    return probs


CANDIDATES: dict[str, tuple[tuple[int, int], Scorer]] = {
    "svc_c0.3_balanced": ((1, 3), _svc(0.3, "balanced")),
    "svc_c0.5": ((1, 3), _svc(0.5)),
    "complement_nb_a0.3": ((1, 3), _cnb(0.3)),
    "svc_c1_balanced+complement_nb": ((1, 3), _mean(_svc(1.0, "balanced"), _cnb(0.3))),
    "nbsvm_a1_c1": ((1, 3), _nbsvm(1.0, 1.0)),
    "svc_c1_char1-4": ((1, 4), _svc(1.0)),
}


def run(kind: str, path: Path) -> None:
    every = read_labelled(path)
    rows = [r for r in every if r.split == "train"]
    dev_rows = [r for r in every if r.split == "dev"]
    fit = [r for r in rows if not _held_out(r.text)]
    held = [r for r in rows if _held_out(r.text)]
    docs, y = [with_context(r.text) for r in fit], np.asarray([r.label for r in fit])
    held_docs, truth = [with_context(r.text) for r in held], [r.label for r in held]
    log(f"{kind}: {len(fit)} to fit, {len(held)} held out of the train rows ({load_note()})")
    engine = TextClassifier().fit(docs, list(y))
    anchor = evaluate(truth, engine.predict(held_docs)).macro_f1
    anchor_name = "shipped engine (calibrated LinearSVC C=1, char 1-3 + words), same rows"
    log(f"{kind}: shipped engine held-out macro-F1 {anchor:.4f}")
    held_out = [Example(r.text, r.label) for r in held] + [Example(r.text, r.label) for r in dev_rows]
    extra = other_rows(kind, path, held_out)
    if extra:  # the other file's train rows (bodies beside titles, titles beside bodies), as `classify train --extra`
        both = TextClassifier().fit(
            docs + [e.doc for e in extra],
            list(y) + [e.label for e in extra],
            [1.0] * len(docs) + [e.weight for e in extra],
        )
        f1 = evaluate(truth, both.predict(held_docs)).macro_f1
        log(f"{kind}: engine + {len(extra)} rows of the other file held-out macro-F1 {f1:.4f}")
        emit(f"classify_select_{kind}_engine_plus_other_file_heldout_macro_f1", f1, "macro-F1", anchor_name, anchor)
    matrices: dict[tuple[int, int], tuple[Matrix, Matrix]] = {}
    for name, (char_range, scorer) in CANDIDATES.items():
        if char_range not in matrices:
            features = _features(char_range)
            matrices[char_range] = (features.fit_transform(docs), features.transform(held_docs))
        a, b = matrices[char_range]
        classes = np.unique(y)
        predicted = [str(classes[i]) for i in scorer(a, y, b).argmax(axis=1)]
        f1 = evaluate(truth, predicted).macro_f1
        log(f"{kind}: {name} held-out macro-F1 {f1:.4f}")
        emit(f"classify_select_{kind}_{name}_heldout_macro_f1", f1, "macro-F1", anchor_name, anchor)


def main() -> None:
    each_file(__doc__ or "", "classify_select", run)


if __name__ == "__main__":
    main()
