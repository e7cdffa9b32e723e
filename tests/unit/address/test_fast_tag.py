"""The batched numpy parse path (:mod:`gridgov.address.feature_ids`, :mod:`gridgov.address.fast_tag`) against
the string-feature path it replaces (``token_features`` + CRFsuite's tagger, still what ``parse`` of one text
uses as the reference here): the same attribute ids for every token, the same spans for every text of
generated, hand-written and bad input."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from gridgov.address.components import ParsedAddress, clean_text
from gridgov.address.feature_ids import FeatureIndex, _splits
from gridgov.address.features import token_features, tokenize
from gridgov.address.gazetteer import Gazetteer
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
    "AB C栋 abc座 #D1 <S> 杭州市余杭区杭州市余杭区",
]
BAD_INPUT = [
    "",
    " ",
    "\x00\x01",
    "\u200b\u200d\x7f",
    "🏠🏠🏠",
    "<script>alert(1)</script>",
    "'; DROP TABLE address; --",
    "1" * 400,
    "路" * 500,
    "ａｂｃ１２３号（全角）",
    "号号号栋栋单元",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    generated = ["".join(tok for tok, _ in s) for s in AddressGenerator(NameLists(), seed=11).sequences(2000)]
    return generated + HAND_WRITTEN + BAD_INPUT


def _spans(parsed: list[ParsedAddress]) -> list[list[tuple[str, int, int, str]]]:
    return [[(c.label, c.start, c.end, c.text) for c in p.components] for p in parsed]


def test_attribute_ids_equal_the_string_features(shipped: AddressTagger, texts: list[str]) -> None:
    index = shipped._fast().index
    token_lists = [tokenize(clean_text(t)) for t in texts]
    gaz = shipped.gazetteer
    marks = [None if gaz is None else gaz.annotate(toks) for toks in token_lists]
    fixed, slots = index.ids(token_lists, marks)
    assert fixed.shape[0] == len(slots) == sum(len(t) for t in token_lists)
    got: list[Counter[int]] = [Counter(int(a) for a in row if a != index.zero) for row in fixed]
    for tok, slot in enumerate(slots.tolist()):
        got[tok].update(a for a in index.slot_ids[slot] if a != index.zero)
    at = 0
    for toks, m in zip(token_lists, marks, strict=True):
        for i, feats in enumerate(token_features(toks, m)):
            want = Counter(index.attr_ids[f] for f in feats if f in index.attr_ids)
            assert got[at + i] == want, (toks, i)
        at += len(toks)


def test_batch_parse_equals_the_string_path(shipped: AddressTagger, texts: list[str]) -> None:
    # parse() of one text goes through token_features and CRFsuite's own Viterbi: the reference
    reference = _spans([shipped.parse(t) for t in texts])
    assert _spans(shipped.parse_batch(texts)) == reference
    assert _spans(shipped.parse_batch(texts[::-1])) == reference[::-1]  # batch grouping changes nothing
    assert any(reference)


def test_emissions_equal_the_string_emissions(shipped: AddressTagger, texts: list[str]) -> None:
    fast = shipped._fast()
    token_lists = [tokenize(clean_text(t)) for t in texts[:300] if tokenize(clean_text(t))]
    gaz = shipped.gazetteer
    marks = [None if gaz is None else gaz.annotate(toks) for toks in token_lists]
    fixed, slots = fast.index.ids(token_lists, marks)
    assert (fixed[:, 0] == fast.index.bias).all()
    scores = fast.emissions(fixed, slots)
    slot_sums = fast.decoder.row_sums(fast.index.slot_ids)[slots]
    assert np.array_equal(scores, fast.decoder.emissions_from_ids(fixed, slot_sums))  # the same sums, bit for bit
    want = np.concatenate(
        [fast.decoder.emissions(token_features(t, m)) for t, m in zip(token_lists, marks, strict=True)]
    )
    np.testing.assert_allclose(scores, want, rtol=0, atol=1e-9)


def test_ngram_splits_cover_every_joining() -> None:
    assert set(_splits("ABC", 2)) >= {("A", "BC"), ("AB", "C")}
    assert ("<S>", "<S>", "福") in _splits("<S><S>福", 3)
    assert _splits("福", 2) == []


def test_tables_come_from_the_model_only() -> None:
    index = FeatureIndex({"w=福": 0, "w0:1=福民": 1, "w-1:0=<S>福": 2, "b": 3, "l=1": 4}, zero=5)
    fixed, slots = index.ids([["福", "民"], ["路"]], [None, None])
    row = set(fixed[0].tolist())
    assert {0, 1, 2, 3, 4} <= row
    assert set(fixed[2].tolist()) == {3, 4, 5}  # 路: only the bias and the length are known
    assert {a for s in slots.tolist() for a in index.slot_ids[s]} == {5}


@pytest.mark.parametrize("batch", [[], [""], [" ", "\x00"], ["福"], ["路" * 500, ""]])
def test_small_and_empty_batches(shipped: AddressTagger, batch: list[str]) -> None:
    assert _spans(shipped.parse_batch(batch)) == _spans([shipped.parse(t) for t in batch])


def test_a_bioes_model_parses_the_same_batched(texts: list[str]) -> None:
    sequences = AddressGenerator(NameLists(), seed=5).sequences(300)
    gaz = Gazetteer.from_sequences(sequences, ["road", "poi"])
    tagger = AddressTagger(scheme="bioes", max_iterations=15).fit(sequences, gaz)
    sample = texts[:300] + texts[-20:]
    assert _spans(tagger.parse_batch(sample)) == _spans([tagger.parse(t) for t in sample])
