"""Classifier figures on the 2020 泰迪杯 智慧政务 messages (../shared/data/complaints, never copied into the repo).

    python bench/classify.py [--data DIR] [--only titles|details]

For each file — titles_train.tsv (message titles) and details_train.tsv (message bodies) — the app's own engine
(`gridgov.classify.engine.TextClassifier`, the class the intake's live model is) is fitted on the train rows, plus
the other file's train rows at weight `engine.EXTRA_WEIGHT` (as `gridgov classify train --data F --extra OTHER`;
any equal to a dev text, and each dev text's nearest neighbour there, left out: `versions.nearest_left_out`), and scored
on the dev rows, against the anchor measured in the same run: TF-IDF character 1–3-grams + LinearSVC on the
file's own train rows.
titles_train.tsv carries a `split` column; details_train.tsv has none, so its rows are split the way
`gridgov classify train --data` splits any such file (`datafile.hashed_split`: a hash of the text, one in five to
dev). Throughput is texts classified per CPU-second of this one-threaded process (BLAS threads pinned to one;
CPU time, so that other work on a shared machine does not count), over the dev texts,
from raw text to the top three with confidences. The data directory defaults to ../shared/data/complaints beside
the repository, or $GRIDGOV_COMPLAINTS_DIR; missing data skips with a message.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from gridgov.classify.batch_text import with_context_many  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier  # noqa: E402
from gridgov.classify.metrics import evaluate  # noqa: E402
from gridgov.classify.versions import Example, extra_examples  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILES = {"titles": "titles_train.tsv", "details": "details_train.tsv"}


def _data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("GRIDGOV_COMPLAINTS_DIR") or ROOT.parent / "shared" / "data" / "complaints")


OTHER = {"titles": "details", "details": "titles"}


def other_rows(kind: str, path: Path, held: list[Example]) -> list[Example]:
    """The other file's train rows (bodies for titles, titles for bodies) as extra examples of lower weight, the
    way `gridgov classify train --extra` adds them; texts equal to a held-out text of this file and the nearest
    neighbour of each held-out text (`nearest_left_out`) are left out."""
    other = path.parent / FILES[OTHER[kind]]
    if not other.is_file():
        log(f"{kind}: {other.name} missing — engine trained on this file only")
        return []
    rows = read_labelled(other)
    extra = extra_examples(rows, held)
    n_train = sum(r.split == "train" for r in rows)
    log(
        f"{kind}: + {len(extra)} of {n_train} train rows of {other.name} "
        f"({n_train - len(extra)} equal to a held-out text or nearest to one, left out)"
    )
    return extra


def run(kind: str, path: Path) -> None:
    rows = read_labelled(path)
    train = [r for r in rows if r.split == "train"]
    dev = [r for r in rows if r.split == "dev"]
    truth = [r.label for r in dev]
    log(f"{kind}: {len(train)} train, {len(dev)} dev ({load_note()})")

    t0 = time.perf_counter()
    anchor = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True), LinearSVC())
    anchor.fit([r.text for r in train], [r.label for r in train])
    fit_anchor = time.perf_counter() - t0
    c0 = time.process_time()
    anchor_pred = [str(p) for p in anchor.predict([r.text for r in dev])]
    anchor_rate = len(dev) / (time.process_time() - c0)
    anchor_ev = evaluate(truth, anchor_pred)
    log(f"{kind}: anchor fitted in {fit_anchor:.1f} s: macro-F1 {anchor_ev.macro_f1:.4f}")

    t0 = time.perf_counter()
    fit = [Example(r.text, r.label) for r in train]
    fit += other_rows(kind, path, [Example(r.text, r.label) for r in dev])
    clf = TextClassifier().fit([e.doc for e in fit], [e.label for e in fit], [e.weight for e in fit])
    log(f"{kind}: engine fitted in {time.perf_counter() - t0:.1f} s")
    clf.top(with_context_many(["预热"]), k=1)  # as live.warm_up does at app start-up (builds the word trie)
    t0, c0 = time.perf_counter(), time.process_time()
    top = clf.top(with_context_many([r.text for r in dev]), k=3)  # the intake's call: raw text to three suggestions
    rate, wall = len(dev) / (time.process_time() - c0), len(dev) / (time.perf_counter() - t0)
    ev = evaluate(truth, [t[0].label for t in top])
    log(
        f"{kind}: engine macro-F1 {ev.macro_f1:.4f}, accuracy {ev.accuracy:.4f}, "
        f"{rate:.0f} texts per CPU-second ({wall:.0f}/s wall)"
    )
    for s in ev.per_class:
        log(f"  {s.label}: P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f} ({s.support})")
    anchor_name = "TF-IDF char 1-3 + LinearSVC (same run)"
    emit(f"classify_{kind}_dev_macro_f1", ev.macro_f1, "macro-F1", anchor_name, anchor_ev.macro_f1)
    emit(f"classify_{kind}_dev_accuracy", ev.accuracy, "accuracy", anchor_name, anchor_ev.accuracy)
    emit(f"classify_{kind}_texts_per_second", rate, "texts per CPU-second (one core)", anchor_name, anchor_rate)


def each_file(description: str, name_of_bench: str, run_one: Callable[[str, Path], None]) -> None:
    """Parse --data/--only and run `run_one(kind, path)` on each data file there, skipping missing ones."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--data")
    parser.add_argument("--only", choices=sorted(FILES))
    args = parser.parse_args()
    data = _data_dir(args.data)
    for kind, name in FILES.items():
        if args.only and kind != args.only:
            continue
        if not (data / name).is_file():
            log(f"{name_of_bench} {kind}: skipped — {name} not found in {data} (set GRIDGOV_COMPLAINTS_DIR)")
            continue
        run_one(kind, data / name)


def main() -> None:
    each_file(__doc__, "classify", run)


if __name__ == "__main__":
    main()
