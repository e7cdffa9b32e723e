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

The weights of the engine's feature blocks (`engine.WORD_WEIGHT`, `engine.LEAD_WEIGHT`) were chosen on five folds
of the train rows instead (the held-out fifth is fold 0; a single fifth of ~1,300 titles or ~900 bodies moves by
±0.005 between near-equal candidates): `BLOCK_WEIGHTS` below, LinearSVC C=1 on the blocks scaled, the other file's
train rows added with each fold's leak guard, mean macro-F1 over the folds against the unweighted blocks.
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
from scipy import sparse  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from classify import each_file, other_rows  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier, _features  # noqa: E402
from gridgov.classify.features import HashedCharNgrams  # noqa: E402
from gridgov.classify.metrics import evaluate  # noqa: E402
from gridgov.classify.text import with_context  # noqa: E402
from gridgov.classify.versions import Example  # noqa: E402

Matrix = Any
Scorer = Callable[[Matrix, np.ndarray[Any, Any], Matrix], np.ndarray[Any, Any]]


def _fold(text: str) -> int:
    """Which fifth of the train rows a text is in, by a hash independent of the one that made the dev split."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[8:16], 16) % 5


def _held_out(text: str) -> bool:
    return _fold(text) == 0


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


# (words, lead) block weights beside the char n-grams at 1; (1, 0) are the blocks before the weights
BLOCK_WEIGHTS: dict[str, tuple[float, float]] = {
    "words1_lead0": (1.0, 0.0),
    "words0.5_lead0": (0.5, 0.0),
    "words0.7_lead0": (0.7, 0.0),
    "words1.4_lead0": (1.4, 0.0),
    "words1_lead0.5": (1.0, 0.5),
    "words0.5_lead0.5": (0.5, 0.5),
    "words0.7_lead0.5": (0.7, 0.5),
}


def block_weights(kind: str, path: Path) -> None:
    """Mean held-out macro-F1 over the five folds of the train rows for each of `BLOCK_WEIGHTS`."""
    every = read_labelled(path)
    rows, dev_rows = [r for r in every if r.split == "train"], [r for r in every if r.split == "dev"]
    scores: dict[str, list[float]] = {name: [] for name in BLOCK_WEIGHTS}
    for fold in range(5):
        fit, held = [r for r in rows if _fold(r.text) != fold], [r for r in rows if _fold(r.text) == fold]
        extra = other_rows(kind, path, [Example(r.text, r.label) for r in held + dev_rows])
        docs = [with_context(r.text) for r in fit] + [e.doc for e in extra]
        y = np.asarray([r.label for r in fit] + [e.label for e in extra])
        weights = np.asarray([1.0] * len(fit) + [e.weight for e in extra])
        held_docs, truth = [with_context(r.text) for r in held], [r.label for r in held]
        blocks = _features((1, 3), 1.0, 0.0).fit(docs)
        lead = HashedCharNgrams((1, 3), max_chars=60).fit(docs)
        parts = [[t.transform(d) for _, t in blocks.transformer_list] + [lead.transform(d)] for d in (docs, held_docs)]
        for name, (w_words, w_lead) in BLOCK_WEIGHTS.items():
            a, b = (sparse.hstack([p[0], w_words * p[1], w_lead * p[2]]).tocsr() for p in parts)
            svm = LinearSVC(C=1.0).fit(a, y, sample_weight=weights)
            scores[name].append(evaluate(truth, [str(p) for p in svm.predict(b)]).macro_f1)
        log(f"{kind}: fold {fold}: " + ", ".join(f"{n} {v[-1]:.4f}" for n, v in scores.items()))
    before = float(np.mean(scores["words1_lead0"]))
    for name, values in scores.items():
        mean = float(np.mean(values))
        wins = sum(v > b for v, b in zip(values, scores["words1_lead0"], strict=True))
        log(f"{kind}: {name} mean over the folds {mean:.4f} ({mean - before:+.4f}, better on {wins} of 5)")
        emit(f"classify_select_{kind}_{name}_5fold_macro_f1", mean, "macro-F1", "blocks unweighted, same folds", before)


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
    block_weights(kind, path)


def main() -> None:
    each_file(__doc__ or "", "classify_select", run)


if __name__ == "__main__":
    main()
