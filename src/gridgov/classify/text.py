"""The classifier's view of a text (pure): normalised characters, jieba words and the context tokens (channel,
place) that are appended as features of their own. `normalize_many` answers what `normalize` does for each text
of a batch, three times faster: NFKC (the slow part) is done per distinct character where that is provably the
same as per text (see `_learn`), and the rest once over the batch joined by a separator."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

WORD_CHARS = 300  # words are cut from the opening of a long message only: the rest adds time, not accuracy
_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
CONTEXT_MARK = "\x01"  # separates the text from its context tokens (never in normalised text)
_SEPARATOR = "\x00"  # joins a batch: not white space, not a digit, no case, never made by NFKC, composes with nothing
_UNKNOWN, _KEPT, _MAPPED, _CONTEXTUAL = 0, 1, 2, 3  # what NFKC does to a code point, learnt on first sight
_KIND = np.zeros(0x110000, dtype=np.uint8)
_NFKC: dict[str, str] = {}  # the _MAPPED characters' NFKC


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, runs of digits as one "0", white space collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _DIGITS.sub("0", text)).strip()


def code_points(text: str) -> np.ndarray[Any, Any]:
    """The text's code points (lone surrogates too, as any str may hold them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@functools.cache
def _composable() -> frozenset[int]:
    """Every code point that a canonical composition may join onto the character before it: the second and
    later characters of every canonical decomposition, and Hangul's vowel and final jamo (composed by rule)."""
    found = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for p in range(0x110000):
        d = unicodedata.decomposition(chr(p))
        if d and not d.startswith("<"):
            found.update(int(x, 16) for x in d.split()[1:])
    return frozenset(found)


def _learn(points: np.ndarray[Any, Any]) -> None:
    """Classify new code points. A character whose compatibility decomposition holds only starters (combining
    class 0) that nothing composes onto is _KEPT or _MAPPED: in a text of such characters NFKC reorders and
    composes nothing, so NFKC of the text is the concatenation of its characters' NFKC. Any other character is
    _CONTEXTUAL, and a text holding one is normalised whole."""
    composable = _composable()
    for p in points.tolist():
        c = chr(p)
        nfkd, nfkc = unicodedata.normalize("NFKD", c), unicodedata.normalize("NFKC", c)
        if nfkd != nfkc or any(unicodedata.combining(x) or ord(x) in composable for x in nfkd):
            _KIND[p] = _CONTEXTUAL
        elif nfkc == c:
            _KIND[p] = _KEPT
        else:
            _NFKC[c] = nfkc
            _KIND[p] = _MAPPED


def normalize_many(texts: Sequence[str]) -> list[str]:
    """`[normalize(t) for t in texts]`, computed for the batch at once."""
    joined = _SEPARATOR.join(texts)
    if not texts or joined.count(_SEPARATOR) != len(texts) - 1:  # a text holds the separator itself
        return [normalize(t) for t in texts]
    points = code_points(joined)
    kind = _KIND[points]
    if (kind == _UNKNOWN).any():
        _learn(np.unique(points[kind == _UNKNOWN]))
        kind = _KIND[points]
    if (kind == _CONTEXTUAL).any():
        bounds = np.cumsum([len(t) + 1 for t in texts])
        whole = set(np.searchsorted(bounds, np.flatnonzero(kind == _CONTEXTUAL), side="right").tolist())
        rest = iter(normalize_many([t for i, t in enumerate(texts) if i not in whole]))
        return [normalize(t) if i in whole else next(rest) for i, t in enumerate(texts)]
    mapped = np.unique(points[kind == _MAPPED])
    if len(mapped):
        chars = re.compile("[" + "".join(re.escape(chr(p)) for p in mapped.tolist()) + "]")
        joined = chars.sub(lambda m: _NFKC[m.group()], joined)
    out = _SPACE.sub(" ", _DIGITS.sub("0", joined.lower())).split(_SEPARATOR)
    return [t.strip() for t in out]


def _joined(normal: str, channel: str | None, place: str | None) -> str:
    tokens = [f"ch={channel}" if channel else "", f"at={place}" if place else ""]
    extra = " ".join(t for t in tokens if t)
    return f"{normal}{CONTEXT_MARK}{extra}" if extra else normal


def with_context(text: str, channel: str | None = None, place: str | None = None) -> str:
    """The text and its context tokens in one string, so that a document stays one string for the vectorisers."""
    return _joined(normalize(text), channel, place)


def with_context_many(texts: Sequence[str], channels: Sequence[str | None] | None = None) -> list[str]:
    """`with_context` of each text (and its channel) of a batch, normalised at once (`normalize_many`)."""
    given = channels if channels is not None else [None] * len(texts)
    return [_joined(n, ch, None) for n, ch in zip(normalize_many(texts), given, strict=True)]


def body(doc: str) -> str:
    return doc.split(CONTEXT_MARK, 1)[0]


def context_tokens(doc: str) -> list[str]:
    parts = doc.split(CONTEXT_MARK, 1)
    return parts[1].split() if len(parts) == 2 else []


def words(doc: str) -> list[str]:
    """jieba words of the text's opening (single characters and spaces dropped: the character n-grams have
    them), then the context tokens."""
    text = body(doc)[:WORD_CHARS]
    return [w for w in jieba.lcut(text, HMM=False) if len(w) > 1 and not w.isspace()] + context_tokens(doc)
