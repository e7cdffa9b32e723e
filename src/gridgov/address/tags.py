"""BIO and BIOES tags over NCAP labels: spans, scheme conversion, the NCAP file format and span-level scores.

Tags are BIO over ``NCAP_LABELS`` ("B-road", "I-road", …); BIOES adds E- for the last token of a component and
S- for a one-token component. :func:`bio_spans` reads entity spans seqeval style (lenient), :func:`span_scores`
scores predicted against gold tags at the component (span) level, and :func:`read_bio_file` reads the NCAP text
format (one "token tag" per line, a blank line between addresses).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gridgov.address.records import NCAP_LABELS

__all__ = [
    "TAG_SCHEMES",
    "bio_spans",
    "bioes_to_bio",
    "canon_label",
    "canon_tag",
    "read_bio_file",
    "span_scores",
    "to_bioes",
]

TAG_SCHEMES = ("bio", "bioes")
# Labels as written in the NCAP files → NCAP_LABELS spelling.
_LABEL_ALIASES = {label.lower(): label for label in NCAP_LABELS}


def canon_label(label: str) -> str:
    """A label in the ``NCAP_LABELS`` spelling, whatever its case ("devzone" → "devZone", "subroadno" →
    "subRoadNo"); an unknown label is returned lower-cased."""
    return _LABEL_ALIASES.get(label.lower(), label.lower())


def canon_tag(tag: str) -> str:
    """A tag in the ``NCAP_LABELS`` spelling ("B-subroad" → "B-subRoad"); anything without a label is "O"."""
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, label = tag.split("-", 1)
    return f"{prefix.upper()}-{canon_label(label)}"


def bio_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Entity spans (label, start, end) of a BIO tag sequence, seqeval style (lenient): an I- tag that does
    not continue an entity of the same label starts a new one; E-/S- (BIOES) are accepted too."""
    spans: list[tuple[str, int, int]] = []
    label: str | None = None
    start = 0
    for i, tag in enumerate(tags):
        if tag == "O" or "-" not in tag:
            if label is not None:
                spans.append((label, start, i))
            label = None
            continue
        prefix, lab = tag.split("-", 1)
        if prefix in ("B", "S") or label != lab:
            if label is not None:
                spans.append((label, start, i))
            label, start = lab, i
        if prefix in ("E", "S"):
            spans.append((lab, start, i + 1))
            label = None
    if label is not None:
        spans.append((label, start, len(tags)))
    return spans


def to_bioes(tags: Sequence[str]) -> list[str]:
    """BIO tags → BIOES: the last token of a span becomes E-, a one-token span S-."""
    out: list[str] = []
    n = len(tags)
    for i, tag in enumerate(tags):
        if tag == "O" or "-" not in tag:
            out.append("O")
            continue
        prefix, label = tag.split("-", 1)
        continues = i + 1 < n and tags[i + 1] == f"I-{label}"
        if prefix == "B" or i == 0 or tags[i - 1][2:] != label:  # an I- that continues nothing starts a span
            out.append(f"{'B' if continues else 'S'}-{label}")
        else:
            out.append(f"{'I' if continues else 'E'}-{label}")
    return out


def bioes_to_bio(tags: Sequence[str]) -> list[str]:
    """BIOES tags → BIO (S- → B-, E- → I-)."""
    return [tag if tag == "O" else ("B" if tag[0] in "BS" else "I") + tag[1:] for tag in tags]


def read_bio_file(path: str | Path) -> list[list[tuple[str, str]]]:
    """Read the NCAP text format: "token<TAB or space>tag" per line, a blank line between addresses. Labels
    are mapped to the ``NCAP_LABELS`` spelling (subroad → subRoad, devzone → devZone, subroadno → subRoadNo)."""
    sequences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if not parts:
                if current:
                    sequences.append(current)
                    current = []
                continue
            if len(parts) == 1:
                continue  # a token without a tag (or a space token): skip
            current.append((parts[0], canon_tag(parts[-1])))
    if current:
        sequences.append(current)
    return sequences


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": float(n_gold)}


def span_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Span-level precision/recall/F1 per label and micro-averaged, from gold and predicted tag sequences."""
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    tok_ok = tok_all = 0
    for g_tags, p_tags in zip(gold, pred, strict=True):
        g = {(lab, s, e) for lab, s, e in bio_spans(list(g_tags))}
        p = {(lab, s, e) for lab, s, e in bio_spans(list(p_tags))}
        for lab, _, _ in g:
            n_gold[lab] += 1
        for lab, _, _ in p:
            n_pred[lab] += 1
        for lab, _, _ in g & p:
            tp[lab] += 1
        tok_all += len(g_tags)
        tok_ok += sum(1 for a, b in zip(g_tags, p_tags, strict=True) if a == b)
    labels = sorted(set(n_gold) | set(n_pred))
    per_label = {lab: _prf(tp[lab], n_pred[lab], n_gold[lab]) for lab in labels}
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    gold_labels = [lab for lab in labels if n_gold[lab]]
    macro_f1 = sum(per_label[lab]["f1"] for lab in gold_labels) / len(gold_labels) if gold_labels else 0.0
    return {
        **micro,
        "macro_f1": macro_f1,
        "token_accuracy": tok_ok / tok_all if tok_all else 0.0,
        "sequences": len(gold),
        "per_label": per_label,
    }
