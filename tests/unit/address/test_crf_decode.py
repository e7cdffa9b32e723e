"""The numpy Viterbi of :mod:`gridgov.address.crf_decode` against CRFsuite's own on the packaged model: the same
tags for every token of generated, hand-written and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from gridgov.address.components import clean_text
from gridgov.address.crf_decode import CrfDecoder
from gridgov.address.features import token_features, tokenize
from gridgov.address.synth import AddressGenerator, NameLists
from gridgov.address.tagger import AddressTagger

HAND_WRITTEN = [
    "广东省深圳市福田区福田街道福山社区福民路123号皇岗花园3栋2单元1201室",
    "广西柳州市城中区文昌路147-2号",
    "湖南省长沙市岳麓区麓谷街道旁边",
    "福民路123号门口垃圾堆了三天没人处理",
    "浦东新区张江高科技园区碧波路690号",
    "内蒙呼和浩特新城区",
    "12-3-1001",
    "张三 13800138000 深圳市南山区科技园",
]
BAD_INPUT = [
    "",
    " ",
    "\x00\x01",
    "🏠🏠🏠",
    "<script>alert(1)</script>",
    "'; DROP TABLE address; --",
    "1" * 400,
    "路" * 500,
    "ａｂｃ１２３号",
    "号号号栋栋单元",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    generated = ["".join(tok for tok, _ in s) for s in AddressGenerator(NameLists(), seed=7).sequences(2000)]
    return generated + HAND_WRITTEN + BAD_INPUT


def test_weights_are_read_at_full_precision(shipped: AddressTagger) -> None:
    dec = CrfDecoder.from_model(shipped._model or b"", shipped._tagger)
    info = shipped._tagger.info()
    label_ids = {name: int(i) for name, i in info.labels.items()}
    for (attr, label), weight in list(info.state_features.items())[:500]:
        assert dec.state[dec.attr_ids[attr], label_ids[label]] == pytest.approx(weight, abs=1e-6)
    for (src, dst), weight in info.transitions.items():
        assert dec.trans[label_ids[src], label_ids[dst]] == pytest.approx(weight, abs=1e-6)
    assert not np.all(np.round(dec.state, 6) == dec.state)  # the binary's doubles, not the 6-decimal dump


def test_numpy_viterbi_equals_crfsuite(shipped: AddressTagger, texts: list[str]) -> None:
    dec = CrfDecoder.from_model(shipped._model or b"", shipped._tagger)
    feats = []
    for text in texts:
        tokens = tokenize(clean_text(text))
        feats.append(token_features(tokens, shipped._gaz_marks(tokens, shipped.gazetteer)))
    expected = [list(shipped._tagger.tag(f)) if f else [] for f in feats]
    emissions = dec.emissions_many(feats)
    batched = [[dec.labels[i] for i in path] for path in dec.decode_many(emissions)]
    single = [[dec.labels[i] for i in dec.decode(e)] for e in emissions]
    assert batched == expected
    assert single == expected
    for f, e in zip(feats[:50], emissions[:50], strict=True):
        np.testing.assert_allclose(dec.emissions(f), e, rtol=1e-12, atol=1e-12)


def test_unknown_attributes_are_ignored(shipped: AddressTagger) -> None:
    dec = CrfDecoder.from_model(shipped._model or b"", shipped._tagger)
    tokens = tokenize("福民路123号")
    feats = token_features(tokens, shipped._gaz_marks(tokens, shipped.gazetteer))
    noisy = [[*f, "never=seen", "w=\u2603\u2603"] for f in feats]
    np.testing.assert_allclose(dec.emissions(noisy), dec.emissions(feats), rtol=1e-12, atol=1e-12)
    assert dec.emissions([[], ["never=seen"]]).tolist() == [[0.0] * len(dec.labels)] * 2


def test_ties_keep_the_first_label() -> None:
    # all scores equal: CRFsuite keeps the first best predecessor and the first best last label
    dec = CrfDecoder(np.zeros((1, 3)), np.zeros((3, 3)), {}, ["O", "B-road", "I-road"])
    assert dec.decode(np.zeros((4, 3))) == [0, 0, 0, 0]
    trans = np.zeros((3, 3))
    trans[0, 2] = 1.0
    dec = CrfDecoder(np.zeros((1, 3)), trans, {}, ["O", "B-road", "I-road"])
    assert dec.decode(np.zeros((2, 3))) == [0, 2]


def _dense_viterbi(em: np.ndarray, trans: np.ndarray) -> list[int]:
    """The textbook Viterbi, every predecessor of every label, first best predecessor and last label."""
    if not len(em):
        return []
    alpha = em[0].copy()
    back = []
    for t in range(1, len(em)):
        score = alpha[:, None] + trans  # from × to
        arg = score.argmax(axis=0)
        back.append(arg)
        alpha = score[arg, np.arange(len(alpha))] + em[t]
    path = [int(alpha.argmax())]
    for arg in reversed(back):
        path.append(int(arg[path[-1]]))
    return path[::-1]


def _labels(scheme: str, n: int) -> list[str]:
    names = [f"x{k}" for k in range(n)]
    return ["O", *[f"{p}-{x}" for x in names for p in scheme if p != "O"]]


@pytest.mark.parametrize(
    ("scheme", "n_names", "integer"), [("BIO", 3, False), ("BIOES", 21, False), ("BIOES", 5, True)]
)
def test_pruned_viterbi_equals_the_full_one(scheme: str, n_names: int, integer: bool) -> None:
    # BIO-like transitions (strong inside a name, weak or negative elsewhere, many exactly 0); integer scores
    # make many exact ties, which the pruned forward pass must break as the full Viterbi does
    rng = np.random.default_rng(len(scheme) * 100 + n_names + integer)
    labels = _labels(scheme, n_names)
    n = len(labels)
    trans = np.where(rng.random((n, n)) < 0.3, rng.normal(0, 2, (n, n)), 0.0)
    for k, label in enumerate(labels):
        if label.startswith(("B-", "I-")) and k + 1 < n and labels[k + 1][2:] == label[2:]:
            trans[k, k + 1] = 6.0 + rng.random()
    if integer:
        trans = np.round(trans)
    dec = CrfDecoder(np.zeros((1, n)), trans, {}, labels)
    emissions = []
    for _ in range(300):
        length = int(rng.integers(0, 40))
        em = rng.normal(0, 4, (length, n)) * (rng.random((length, n)) < 0.5)
        emissions.append(np.round(em) if integer else em)
    expected = [_dense_viterbi(e, trans) for e in emissions]
    assert dec.decode_many(emissions) == expected
    assert [dec.decode(e) for e in emissions[:40]] == expected[:40]


def test_pruned_viterbi_equals_the_full_one_on_the_packaged_model(shipped: AddressTagger, texts: list[str]) -> None:
    dec = CrfDecoder.from_model(shipped._model or b"", shipped._tagger)
    feats = []
    for text in texts[:600] + HAND_WRITTEN + BAD_INPUT:
        tokens = tokenize(clean_text(text))
        feats.append(token_features(tokens, shipped._gaz_marks(tokens, shipped.gazetteer)))
    emissions = dec.emissions_many(feats)
    assert dec.decode_many(emissions) == [_dense_viterbi(e, dec.trans) for e in emissions]
