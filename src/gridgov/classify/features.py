"""Character n-gram TF-IDF features computed for a whole batch at once (an engine: no I/O).

The texts of a batch are laid end to end as one array of code points; every n-gram (n in `ngram_range`) is hashed
with integer arithmetic over that array, n-grams that would cross from one text into the next are masked, and the
counts become one sparse matrix in a single construction. No Python runs per n-gram or per word, which is what made
the per-text analysers (sklearn's char analyser, jieba) cost ~1–3 ms a text. The hash space is compacted after
`fit` to the buckets seen in training (like a vocabulary), so the linear model stays as small as with
`TfidfVectorizer`. Context tokens (`text.with_context`: channel, place) are hashed into the same space as tokens
of their own. Weights as `TfidfVectorizer(sublinear_tf=True)`: 1 + ln(tf), smoothed idf, rows l2-normalised."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import ahocorasick
import jieba
import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from gridgov.classify.batch_text import code_points
from gridgov.classify.text import CONTEXT_MARK, WORD_CHARS, body
from gridgov.classify.word_trie import WordTrie

_MULT = np.uint64(0x100000001B3)  # FNV-1 64-bit prime: mixes the next code point into the key
_GOLD = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the key's top bits are the bucket
_CONTEXT_SALT = 0x5BD1E995
_SEPARATOR = "\x00"  # between texts joined for one automaton pass (normalised text never has it)


class HashedCharNgrams(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """`fit` learns which hashed n-grams occur in training and their idf; `transform` maps a batch of documents to
    an l2-normalised sparse TF-IDF matrix over them (unseen n-grams are dropped, as a vocabulary would)."""

    def __init__(
        self, ngram_range: tuple[int, int] = (1, 4), n_bits: int = 22, min_df: int = 1, max_chars: int | None = None
    ) -> None:
        self.ngram_range = ngram_range
        self.n_bits = n_bits
        self.min_df = min_df
        self.max_chars = max_chars  # the opening of a long text only

    # -- pickling: the kept buckets only (the dense bucket → column table is 4 M entries, 16 MB) ---------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        column = state.pop("column_", None)
        if column is not None:
            state["kept_"] = np.flatnonzero(column >= 0).astype(np.int32)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        kept = state.pop("kept_", None)
        super().__setstate__(state)
        if kept is not None:
            column = np.full(1 << self.n_bits, -1, dtype=np.int32)
            column[kept] = np.arange(len(kept), dtype=np.int32)
            self.column_ = column

    # -- hashing ------------------------------------------------------------------------------------------------
    def _entries(self, docs: Sequence[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int]:
        """(row, bucket) of every n-gram and context token of the batch, and the number of rows."""
        texts: list[str] = []
        ctx_rows: list[int] = []
        ctx_buckets: list[int] = []
        mask = (1 << self.n_bits) - 1
        for i, doc in enumerate(docs):
            text, sep, extra = doc.partition(CONTEXT_MARK)
            texts.append(text[: self.max_chars] if self.max_chars else text)
            if sep:
                for token in extra.split():
                    ctx_rows.append(i)
                    ctx_buckets.append(zlib.crc32(token.encode(), _CONTEXT_SALT) & mask)
        n = len(texts)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
        points = code_points("".join(texts)).astype(np.uint64)
        row_of = np.repeat(np.arange(n, dtype=np.int32), lengths)
        rows: list[np.ndarray[Any, Any]] = [np.asarray(ctx_rows, dtype=np.int32)]
        buckets: list[np.ndarray[Any, Any]] = [np.asarray(ctx_buckets, dtype=np.int64)]
        shift = np.uint64(64 - self.n_bits)
        lo, hi = self.ngram_range
        key = points.copy()
        for size in range(1, hi + 1):
            span = len(points) - size + 1
            if span <= 0:
                break
            if size > 1:
                key = (key[:span] * _MULT) ^ points[size - 1 : size - 1 + span]
            if size < lo:
                continue
            same = row_of[:span] == row_of[size - 1 : size - 1 + span]
            mixed = ((key ^ np.uint64(size)) * _GOLD) >> shift
            rows.append(row_of[:span][same])
            buckets.append(mixed[same].astype(np.int64))
        return np.concatenate(rows), np.concatenate(buckets), n

    def _counts(self, docs: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray[Any, Any]]:
        """Term counts over the full hash space (bucket columns) and the buckets of the batch."""
        rows, buckets, n = self._entries(docs)
        return _summed(rows, buckets, (n, 1 << self.n_bits)), buckets

    # -- sklearn ------------------------------------------------------------------------------------------------
    def fit(self, docs: Sequence[str], y: Any = None) -> HashedCharNgrams:
        counts, _ = self._counts(list(docs))
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=1 << self.n_bits)
        kept = np.flatnonzero(df >= self.min_df)
        column = np.full(1 << self.n_bits, -1, dtype=np.int32)
        column[kept] = np.arange(len(kept), dtype=np.int32)
        self.column_ = column
        self.idf_ = (np.log((1.0 + n) / (1.0 + df[kept])) + 1.0).astype(np.float32)
        return self

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        rows, buckets, n = self._entries(list(docs))
        cols = self.column_[buckets]
        seen = cols >= 0
        return _tfidf(rows[seen], cols[seen], n, self.idf_)


class DictionaryWords(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """The words of the training texts (jieba, single characters dropped) found in the opening of a text: every
    occurrence of a known word counts, overlapping ones too. jieba runs at `fit` only; the words are kept in an
    Aho–Corasick automaton (the model file's format) and found by a trie walk over the whole batch at once."""

    def __init__(self, max_chars: int = WORD_CHARS) -> None:
        self.max_chars = max_chars

    def fit(self, docs: Sequence[str], y: Any = None) -> DictionaryWords:
        vocab: dict[str, int] = {}
        texts = [body(d)[: self.max_chars] for d in docs]
        for text in texts:
            for w in jieba.lcut(text, HMM=False):
                if len(w) > 1 and not w.isspace():
                    vocab.setdefault(w, len(vocab))
        automaton = ahocorasick.Automaton()
        for w, j in vocab.items():
            automaton.add_word(w, j)
        automaton.make_automaton()
        self.automaton_ = automaton
        r, c = self._matches(texts)
        df = np.bincount(np.unique(r * len(vocab) + c) % len(vocab), minlength=len(vocab)) if vocab else c
        self.idf_ = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("trie_", None)  # rebuilt from the automaton's words on first use: the file format stays
        return state

    def _trie(self) -> WordTrie:
        trie: WordTrie | None = getattr(self, "trie_", None)
        if trie is None:
            trie = self.trie_ = WordTrie(self.automaton_.items())
        return trie

    def _matches(self, texts: Sequence[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(row, word) of every occurrence, as the automaton finds them over the texts joined by a separator no
        word contains, but by one vectorised trie walk over the batch's code points (`word_trie`)."""
        if self.automaton_.kind != ahocorasick.AHOCORASICK or not texts:  # no words learnt
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends, cols = self._trie().find(code_points(_SEPARATOR.join(texts)))
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        return np.searchsorted(starts, ends, side="right") - 1, cols

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        texts = [body(d)[: self.max_chars] for d in docs]
        rows, cols = self._matches(texts)
        return _tfidf(rows, cols, len(texts), self.idf_)


def _tfidf(rows: np.ndarray[Any, Any], cols: np.ndarray[Any, Any], n: int, idf: np.ndarray[Any, Any]) -> Any:
    """Counts at (row, col) as a CSR matrix weighted like TfidfVectorizer(sublinear_tf=True), rows l2-normalised."""
    x = _summed(rows, cols, (n, len(idf)))
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, np.diff(x.indptr)).astype(np.float32)
    return x


def _summed(rows: np.ndarray[Any, Any], cols: np.ndarray[Any, Any], shape: tuple[int, int]) -> Any:
    """The counts of (row, col) pairs as a canonical CSR matrix. Sorting each row's columns (scipy's
    `sum_duplicates`) was half the cost of a batch; transposing twice orders them in linear time instead, and the
    now adjacent duplicates are counted by the lengths of their runs."""
    order = np.argsort(rows, kind="stable")  # timsort: the entries come as a few runs already sorted by row
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=shape[0]))))
    marks = np.ones(len(rows), dtype=np.int8)  # the values are not read: a byte each is the least to carry
    x = sparse.csr_matrix((marks, cols[order], indptr), shape=shape).tocsc().tocsr()
    ind, bounds = x.indices, x.indptr
    start = np.ones(len(ind), dtype=bool)  # where a run of one (row, col) begins
    start[1:] = ind[1:] != ind[:-1]
    start[bounds[:-1][bounds[:-1] < len(ind)]] = True  # and at each row's first entry
    pos = np.flatnonzero(start)
    data = np.diff(np.append(pos, len(ind))).astype(np.float32)  # every entry is a one: a run's length is its sum
    indptr = np.searchsorted(pos, bounds)  # the runs begun before each row's bound
    out = sparse.csr_matrix((data, ind[pos], indptr), shape=shape)
    out.has_sorted_indices = True
    return out
