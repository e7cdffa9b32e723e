"""The batch path (`normalize_many`, the trie word walk) answers exactly what the per-text path (`normalize`, the
Aho–Corasick automaton's iterator) did: same normalised texts, same word matches, same feature matrices, same
scores, on a few thousand texts with empty, emoji, full-width, combining, Hangul and very long ones."""

from __future__ import annotations

import itertools
import pickle
import random
from collections.abc import Sequence
from typing import Any

import ahocorasick
import numpy as np
import pytest

from gridgov.classify.batch_text import normalize_many, with_context_many
from gridgov.classify.engine import TextClassifier
from gridgov.classify.features import _SEPARATOR, DictionaryWords
from gridgov.classify.text import body, normalize, with_context
from gridgov.classify.word_trie import WordTrie
from gridgov.demo.classify_text import CatalogItem, generate

ITEMS = [
    CatalogItem("01001", "暴露垃圾", ("垃圾", "乱扔垃圾", "垃圾堆", "垃圾桶")),
    CatalogItem("02001", "占道经营", ("摆摊", "流动摊贩", "占道", "夜市")),
    CatalogItem("03001", "噪声扰民", ("噪音", "施工噪声", "吵", "广场舞")),
    CatalogItem("04001", "井盖缺失", ("井盖", "下水道盖", "窨井", "路面塌陷")),
]
ODD = [
    "",
    " ",
    "\t\n\u3000",
    "😀👍🏽 垃圾🗑️很多",
    "ＡＢＣ１２３，全角！（括号）　空格",
    "……㎡①②℃№",
    "e\u0301 café \u0301开头的组合符",
    "한국어 텍스트 垃圾",
    "ΑΣ ΒΣ Σ σς",
    "İstanbul ǅ ﬁ ﷺ",
    "a\x00b 分隔符",
    "\ud800 孤立代理",
    "١٢٣ 阿拉伯数字 ٤",
    "𠀀𪚥 扩展区汉字 ⾓ 丽",
    "  前后空格  ",
    "\x1c分隔\x1f 符\u2028行\u00a0",
    "数字１２３４５６和٣٤٥ 12 34",
    "0",
    "１",
]


def _texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    base = [e.text for e in generate(ITEMS, n // len(ITEMS), seed=seed)]
    noise = "".join(ODD) + "０１２３４５６７８９ＡＺａｚ，。！？：；（）【】——“”‘’ 　\t"
    out = list(ODD)
    for i, text in enumerate(base):
        if i % 7 == 0:
            text = "".join(rnd.choice(base) for _ in range(rnd.randint(20, 120)))  # very long
        if i % 3 == 0:
            cut = rnd.randint(0, len(text))
            text = text[:cut] + "".join(rnd.choice(noise) for _ in range(rnd.randint(1, 8))) + text[cut:]
        out.append(text)
    return out


TEXTS = _texts(3000, seed=11)


def _reference_matches(words: DictionaryWords, texts: Sequence[str]) -> tuple[Any, Any]:
    """What `_matches` was before the trie: the automaton's iterator over the joined texts."""
    if words.automaton_.kind != ahocorasick.AHOCORASICK or not texts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    joined = _SEPARATOR.join(texts)
    flat = np.fromiter(itertools.chain.from_iterable(words.automaton_.iter(joined)), dtype=np.int64)
    ends, cols = flat[0::2], flat[1::2]
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
    return np.searchsorted(starts, ends, side="right") - 1, cols


def _pairs(rows: Any, cols: Any) -> list[tuple[int, int]]:
    return sorted(zip(np.asarray(rows).tolist(), np.asarray(cols).tolist(), strict=True))


def test_normalize_many_is_normalize_of_each() -> None:
    assert normalize_many(TEXTS) == [normalize(t) for t in TEXTS]
    assert normalize_many([]) == []
    for odd in ODD:
        assert normalize_many([odd]) == [normalize(odd)]
        assert normalize_many(["垃圾", odd, "Σ"]) == [normalize("垃圾"), normalize(odd), normalize("Σ")]


def test_with_context_many_is_with_context_of_each() -> None:
    channels = [None, "photo", "hotline_12345"] * (len(TEXTS) // 3) + [None] * (len(TEXTS) % 3)
    assert with_context_many(TEXTS, channels) == [with_context(t, c) for t, c in zip(TEXTS, channels, strict=True)]
    with pytest.raises(ValueError):
        with_context_many(["a", "b"], ["photo"])


def test_trie_finds_what_the_automaton_finds() -> None:
    docs = [with_context(t) for t in TEXTS]
    words = DictionaryWords().fit(docs[::2])
    texts = [body(d)[: words.max_chars] for d in docs]
    ours = words._matches(texts)
    assert len(ours[0]) > 10_000
    assert _pairs(*ours) == _pairs(*_reference_matches(words, texts))
    raw = TEXTS[1::2]  # not normalised: full-width, upper case, separators inside texts
    assert _pairs(*words._matches(raw)) == _pairs(*_reference_matches(words, raw))


def test_trie_on_overlapping_and_nested_words() -> None:
    trie = WordTrie([("ab", 0), ("abc", 1), ("bc", 2), ("b", 3), ("abcd", 4), ("cd", 5)])
    ends, values = trie.find(np.array([ord(c) for c in "xabcdabc"], dtype=np.uint32))
    assert sorted(zip(ends.tolist(), values.tolist(), strict=True)) == sorted(
        [(2, 0), (3, 1), (3, 2), (2, 3), (4, 4), (4, 5), (6, 0), (7, 1), (7, 2), (6, 3)]
    )
    assert len(WordTrie([]).find(np.array([97], dtype=np.uint32))[0]) == 0


def test_same_feature_matrix_and_scores_as_the_per_text_path(monkeypatch: pytest.MonkeyPatch) -> None:
    labelled = generate(ITEMS, 60, seed=3)
    clf = TextClassifier().fit([e.doc for e in labelled], [e.label for e in labelled])
    union = clf._pipe.named_steps["features"]  # type: ignore[union-attr]
    new_docs = with_context_many(TEXTS)
    new_x = union.transform(new_docs)
    new_p = clf.probabilities(new_docs)
    monkeypatch.setattr(DictionaryWords, "_matches", _reference_matches)
    old_docs = [with_context(t) for t in TEXTS]
    old_x = union.transform(old_docs)
    old_p = clf.probabilities(old_docs)
    assert new_x.nnz > 100_000
    assert (new_x != old_x).nnz == 0
    assert np.abs(new_p - old_p).max() <= 1e-9


def test_the_trie_is_not_saved_in_the_model() -> None:
    words = DictionaryWords().fit([with_context(t) for t in TEXTS[:200]])
    before = words.transform(with_context_many(TEXTS[:50]))
    again = pickle.loads(pickle.dumps(words))
    assert not hasattr(again, "trie_") and "trie_" not in pickle.dumps(words).decode("latin-1")
    assert (again.transform(with_context_many(TEXTS[:50])) != before).nnz == 0
