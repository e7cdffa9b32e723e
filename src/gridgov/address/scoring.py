"""Scoring a parser through the path the API takes (pure): each labelled address is joined into its text, the
text is parsed as ``/api/addresses/parse`` parses it (clean, tokenize, tag, post-process), and the components'
character spans are compared with the gold ones, label and both ends exact (span micro-F1, seqeval style but on
characters, so the gold tokenization does not matter).

Labelled addresses are token/tag sequences (:func:`gridgov.address.tags.read_bio_file`, the NCAP format) or
JSON lines ``{"text": …, "spans": [{"label", "start", "end"}, …]}`` — what ``gridgov address parse`` prints,
so a district can correct its output and hand it back (:func:`read_labelled`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridgov.address.components import Component
from gridgov.address.tags import bio_spans, canon_tag

__all__ = [
    "LabelledText",
    "format_scores",
    "from_sequence",
    "read_labelled",
    "score_parse",
    "score_spans",
    "to_sequence",
]

Span = tuple[str, int, int]


@dataclass(frozen=True)
class LabelledText:
    text: str
    spans: tuple[Span, ...]


def from_sequence(seq: Sequence[tuple[str, str]]) -> LabelledText:
    """A token/tag sequence as text and character spans."""
    starts: list[int] = []
    pos = 0
    for tok, _ in seq:
        starts.append(pos)
        pos += len(tok)
    text = "".join(tok for tok, _ in seq)
    spans = tuple(
        (label, starts[s], starts[e - 1] + len(seq[e - 1][0]))
        for label, s, e in bio_spans([canon_tag(tag) for _, tag in seq])
    )
    return LabelledText(text, spans)


def to_sequence(item: LabelledText, tokenize: Callable[[str], list[tuple[str, int, int]]]) -> list[tuple[str, str]]:
    """Tokens of the text with BIO tags from its spans (training data from a JSON-lines file)."""
    out: list[tuple[str, str]] = []
    for tok, a, _b in tokenize(item.text):
        tag = "O"
        for label, s, e in item.spans:
            if s <= a < e:
                tag = ("B-" if a == s or not out or out[-1][1][2:] != label else "I-") + label
                break
        out.append((tok, tag))
    return out


def read_labelled(path: Path, read_bio: Callable[[Path], list[list[tuple[str, str]]]]) -> list[LabelledText]:
    """A labelled file: JSON lines (``.jsonl``/``.json``) or the NCAP token-per-line format (anything else)."""
    if path.suffix.lower() not in (".jsonl", ".json"):
        return [from_sequence(seq) for seq in read_bio(path)]
    out: list[LabelledText] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = str(row["text"])
            spans = tuple((canon_tag("B-" + str(s["label"]))[2:], int(s["start"]), int(s["end"])) for s in row["spans"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f'第 {n} 行：应为 {{"text": …, "spans": [{{label, start, end}}]}}（{exc}）') from exc
        if any(not 0 <= s < e <= len(text) for _, s, e in spans):
            raise ValueError(f"第 {n} 行：spans 的 start/end 超出文本范围")
        out.append(LabelledText(text, spans))
    return out


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": float(n_gold)}


def score_parse(
    parse: Callable[[str], Sequence[Component]],
    items: Sequence[LabelledText],
    labels: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Span micro-F1 (and per label) of ``parse`` over the labelled texts; with ``labels``, only spans of those
    labels count on either side. ``parse`` gets the text as it is (the API cleans it without moving offsets)."""
    predicted = [[(c.label, c.start, c.end) for c in parse(item.text)] for item in items]
    return score_spans(items, predicted, labels)


def score_spans(
    items: Sequence[LabelledText], predicted: Sequence[Iterable[Span]], labels: Iterable[str] | None = None
) -> dict[str, Any]:
    """Span micro-F1 and per-label P/R/F1 of predicted character spans against the gold ones."""
    only = set(labels) if labels is not None else None
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    for item, spans in zip(items, predicted, strict=True):
        gold = {s for s in item.spans if only is None or s[0] in only}
        pred = {s for s in spans if only is None or s[0] in only}
        n_gold.update(label for label, _, _ in gold)
        n_pred.update(label for label, _, _ in pred)
        tp.update(label for label, _, _ in gold & pred)
    per_label = {lab: _prf(tp[lab], n_pred[lab], n_gold[lab]) for lab in sorted(set(n_gold) | set(n_pred))}
    return {
        **_prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
        "addresses": len(items),
        "per_label": per_label,
        "labels_produced": sorted(lab for lab in n_pred if n_pred[lab]),
    }


def format_scores(result: dict[str, Any]) -> list[str]:
    """Report lines: micro P/R/F1, then one line per label (most frequent first)."""
    lines = [
        f"micro P {result['precision']:.4f}  R {result['recall']:.4f}  F1 {result['f1']:.4f}  "
        f"on {result['addresses']} addresses"
    ]
    for label, m in sorted(result["per_label"].items(), key=lambda kv: -kv[1]["support"]):
        lines.append(
            f"  {label:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  n={int(m['support'])}"
        )
    return lines
