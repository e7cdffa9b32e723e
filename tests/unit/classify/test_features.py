from __future__ import annotations

import pickle

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from gridgov.classify.features import DictionaryWords, HashedCharNgrams
from gridgov.classify.text import with_context

DOCS = ["楼下垃圾很多", "小区门口井盖不见了", "夜里施工噪声很吵", "垃圾桶满了没人清运"]


def test_char_ngrams_match_sklearn_tfidf_up_to_column_order() -> None:
    """Without hash collisions the batch features are exactly TfidfVectorizer(char 1-3, sublinear)'s."""
    ours = HashedCharNgrams((1, 3)).fit(DOCS)
    ref = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False).fit(DOCS)
    a, b = ours.transform(DOCS).toarray(), ref.transform(DOCS).toarray()
    assert a.shape == b.shape
    for row_a, row_b in zip(a, b, strict=True):
        assert np.allclose(np.sort(row_a), np.sort(row_b), atol=1e-6)


def test_ngrams_never_cross_texts_and_unseen_ones_drop() -> None:
    feats = HashedCharNgrams((1, 3)).fit(["ab", "cd"])
    assert feats.transform(["ab", "cd"]).nnz == 6  # a, b, ab / c, d, cd: no "bc"
    assert feats.transform(["xyz"]).nnz == 0
    x = feats.transform(["abcd"])  # bc, abc, bcd unseen
    assert x.nnz == 6 and np.isclose(float(x.multiply(x).sum()), 1.0)


def test_context_tokens_are_features() -> None:
    feats = HashedCharNgrams((1, 2)).fit([with_context("垃圾", "photo"), with_context("垃圾", "hotline")])
    a, b = feats.transform([with_context("垃圾", "photo"), with_context("垃圾", "hotline")]).toarray()
    assert not np.allclose(a, b)


def test_dictionary_words_are_the_training_words() -> None:
    words = DictionaryWords().fit(DOCS)
    x = words.transform(["门口的垃圾", "", "完全无关"])
    assert x.shape[0] == 3 and x[0].nnz >= 2 and x[1].nnz == 0 and x[2].nnz == 0
    assert DictionaryWords().fit(["a", "b"]).transform(["a"]).nnz == 0  # no word learnt: no features


def test_pickled_without_the_dense_bucket_table() -> None:
    feats = HashedCharNgrams((1, 3)).fit(DOCS)
    blob = pickle.dumps(feats)
    assert len(blob) < 100_000  # the 4 M-entry table alone is 16 MB
    again = pickle.loads(blob)
    assert np.allclose(again.transform(DOCS).toarray(), feats.transform(DOCS).toarray())
