"""`text.normalize` and `text.with_context` for a whole batch at once (pure), with the same answers.

Per text, NFKC was the slowest step of the intake's classification call (a third of it). Here NFKC is done per
distinct character, where that is provably the same as per text (see `_learn`), then applied to the batch's
array of code points; digit runs, white-space runs and the trimming are array operations over the batch joined by
a separator; lower-casing is one `str.lower` of the joined batch. What is learnt about a character (its NFKC, and
whether it is a digit or white space) is kept for the process, so a batch pays only for the characters it is the
first to hold."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from gridgov.classify.text import DIGITS, SPACE, attach_context, normalize

_SEPARATOR = "\x00"  # joins a batch: not white space, not a digit, no case, never made by NFKC, composes with nothing
_UNKNOWN, _KEPT, _MAPPED, _CONTEXTUAL = 0, 1, 2, 3  # what NFKC does to a code point
_OTHER, _DIGIT, _BLANK = 1, 2, 3  # what the digit and white-space patterns see in a code point
_NFKC_KIND = np.zeros(0x110000, dtype=np.uint8)
_NFKC: dict[int, str] = {}  # the _MAPPED code points' NFKC
_CLASS = np.zeros(0x110000, dtype=np.uint8)
_ZERO, _SPACE_POINT = ord("0"), ord(" ")


def code_points(text: str) -> np.ndarray[Any, Any]:
    """The text's code points (lone surrogates too, as any str may hold them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _text(points: np.ndarray[Any, Any]) -> str:
    return points.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


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
    """What NFKC does to new code points. A character whose compatibility decomposition holds only starters
    (combining class 0) that nothing composes onto is _KEPT or _MAPPED: in a text of such characters NFKC
    reorders and composes nothing, so NFKC of the text is the concatenation of its characters' NFKC. Any other
    character is _CONTEXTUAL, and a text holding one is normalised whole, by `normalize`."""
    composable = _composable()
    for p in points.tolist():
        c = chr(p)
        nfkd, nfkc = unicodedata.normalize("NFKD", c), unicodedata.normalize("NFKC", c)
        if nfkd != nfkc or any(unicodedata.combining(x) or ord(x) in composable for x in nfkd):
            _NFKC_KIND[p] = _CONTEXTUAL
        elif nfkc == c:
            _NFKC_KIND[p] = _KEPT
        else:
            _NFKC[p] = nfkc
            _NFKC_KIND[p] = _MAPPED


def _classes(points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Each code point as the patterns `text.DIGITS` and `text.SPACE` see it."""
    found: np.ndarray[Any, Any] = _CLASS[points]
    if (found == 0).any():
        for p in np.unique(points[found == 0]).tolist():
            c = chr(p)
            _CLASS[p] = _DIGIT if DIGITS.fullmatch(c) else _BLANK if SPACE.fullmatch(c) else _OTHER
        found = _CLASS[points]
    return found


def _nfkc(points: np.ndarray[Any, Any], at: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The code points with those at the positions `at` (all _MAPPED) replaced by their NFKC."""
    distinct = np.unique(points[at])
    which = np.searchsorted(distinct, points[at])
    expansions = [_NFKC[p] for p in distinct.tolist()]
    sizes = np.array([len(e) for e in expansions], dtype=np.int64)
    flat = code_points("".join(expansions))
    if (sizes == 1).all():
        out = points.copy()
        out[at] = flat[which]
        return out
    lengths = np.ones(len(points), dtype=np.int64)
    lengths[at] = sizes[which]
    first = np.cumsum(lengths) - lengths  # where each input code point's output begins
    out = np.repeat(points, lengths)
    offset = np.cumsum(sizes) - sizes
    for j in range(int(sizes.max())):
        long_enough = sizes[which] > j
        out[first[at[long_enough]] + j] = flat[offset[which[long_enough]] + j]
    return out


def _collapsed(points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Digit runs as one "0", white-space runs as one " ", and each text (between separators) trimmed."""
    cls = _classes(points)
    digit, blank = cls == _DIGIT, cls == _BLANK
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = ~((digit[1:] & digit[:-1]) | (blank[1:] & blank[:-1]))
    points = np.where(digit, _ZERO, np.where(blank, _SPACE_POINT, points))[keep]
    blank = blank[keep]
    edge = np.zeros(len(points), dtype=bool)  # a text's first or last character
    if len(points):
        ends = points == ord(_SEPARATOR)
        edge[0] = edge[-1] = True
        edge[1:] |= ends[:-1]
        edge[:-1] |= ends[1:]
    kept: np.ndarray[Any, Any] = points[~(blank & edge)]
    return kept


def normalize_many(texts: Sequence[str]) -> list[str]:
    """`[normalize(t) for t in texts]`, computed for the batch at once."""
    joined = _SEPARATOR.join(texts)
    if not texts or joined.count(_SEPARATOR) != len(texts) - 1:  # a text holds the separator itself
        return [normalize(t) for t in texts]
    points = code_points(joined)
    kind = _NFKC_KIND[points]
    if (kind == _UNKNOWN).any():
        _learn(np.unique(points[kind == _UNKNOWN]))
        kind = _NFKC_KIND[points]
    if (kind == _CONTEXTUAL).any():
        bounds = np.cumsum([len(t) + 1 for t in texts])
        whole = set(np.searchsorted(bounds, np.flatnonzero(kind == _CONTEXTUAL), side="right").tolist())
        rest = iter(normalize_many([t for i, t in enumerate(texts) if i not in whole]))
        return [normalize(t) if i in whole else next(rest) for i, t in enumerate(texts)]
    mapped = np.flatnonzero(kind == _MAPPED)
    if len(mapped):
        points = _nfkc(points, mapped)
    lowered = _text(points).lower()
    return _text(_collapsed(code_points(lowered))).split(_SEPARATOR)


def with_context_many(texts: Sequence[str], channels: Sequence[str | None] | None = None) -> list[str]:
    """`text.with_context` of each text (and its channel) of a batch, normalised at once."""
    given = channels if channels is not None else [None] * len(texts)
    return [attach_context(n, ch) for n, ch in zip(normalize_many(texts), given, strict=True)]
