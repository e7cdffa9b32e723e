"""Everyday Chinese words for the names the address generator composes (:mod:`gridgov.address.synth`), read from
the dictionary that ships inside the pinned ``jieba`` package (``jieba/dict.txt``: word, frequency, part of
speech). Place names (ns), proper nouns (nz), person-name words (nr) and adjectives (a) of two characters are
what compound, shop and road names are made of (金都, 碧海, 宋都, 晨光); no address data is read. Empty when
the file is missing, so the generator falls back to its own stems."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

__all__ = ["name_words"]

_POS = frozenset(("ns", "nz", "nr", "a"))
_MIN_FREQ = 50


@lru_cache(maxsize=1)
def name_words() -> tuple[str, ...]:
    """Two-character words of the parts of speech above, frequency ≥ 50, in dictionary order."""
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a pinned dependency
        return ()
    path = Path(jieba.__file__).parent / "dict.txt"
    if not path.exists():  # pragma: no cover
        return ()
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[2] not in _POS or len(parts[0]) != 2 or not parts[1].isdigit():
            continue
        word = parts[0]
        if int(parts[1]) >= _MIN_FREQ and all("\u4e00" <= ch <= "\u9fff" for ch in word):
            out.append(word)
    return tuple(out)
