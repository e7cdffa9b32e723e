"""Shapes of the training-address generator and the national gazetteer's bare forms, as the NCAP data labels
them (issue 15): 组 is its own road span, industrial parks are poi, a compound's phase (二期) is a subpoi, the
divisions are written with separators or twice with one copy redundant, townships and communities are known
without their suffixes. Nothing here reads the third-party datasets."""

from __future__ import annotations

import itertools
import re

import pytest

from gridgov.address.cn_gazetteer import national_gazetteer
from gridgov.address.synth import AddressGenerator, NameLists
from gridgov.address.synth_vocab import name_words
from gridgov.address.tags import bio_spans

Spans = list[tuple[str, str]]


@pytest.fixture(scope="module")
def generated() -> list[Spans]:
    out: list[Spans] = []
    for seq in AddressGenerator(NameLists(), seed=3).sequences(3000):
        toks = [t for t, _ in seq]
        out.append([(label, "".join(toks[s:e])) for label, s, e in bio_spans([tag for _, tag in seq])])
    return out


def test_group_is_its_own_road_span(generated: list[Spans]) -> None:
    roads = [text for spans in generated for label, text in spans if label == "road" and text.endswith("组")]
    assert roads, "no 组 written"
    assert not any(label == "roadno" and "组" in text for spans in generated for label, text in spans)


def test_industrial_parks_are_poi_not_devzone(generated: list[Spans]) -> None:
    zones = [text for spans in generated for label, text in spans if label == "devZone"]
    assert zones
    assert not [z for z in zones if re.search(r"(工业园区|工业区|工业园)$", z)]


def test_a_compound_phase_is_a_subpoi(generated: list[Spans]) -> None:
    subpois = {text for spans in generated for label, text in spans if label == "subpoi"}
    assert any(text.endswith("期") for text in subpois)


def test_divisions_written_twice_have_one_redundant_copy(generated: list[Spans]) -> None:
    doubled = 0
    for spans in generated:
        texts = [text for label, text in spans if label in ("prov", "city", "district")]
        copies = [text for label, text in spans if label == "redundant" and text in texts]
        doubled += bool(copies)
    assert doubled > 30


def test_separators_between_divisions_are_redundant(generated: list[Spans]) -> None:
    found = 0
    for spans in generated:
        for (a, _), (b, sep), (c, _) in zip(spans, spans[1:], spans[2:], strict=False):
            if a in ("prov", "city") and b == "redundant" and sep in "-_/," and c in ("city", "district"):
                found += 1
    assert found > 20


def test_bare_township_and_community_names_are_in_the_gazetteer() -> None:
    gaz = national_gazetteer()
    assert "town" in gaz.labels_for("观海卫镇")
    assert "town" in gaz.labels_for("观海卫")  # 观海卫镇 written bare
    assert "community" in gaz.labels_for("一中社区")
    assert "community" in gaz.labels_for("一中街")  # 一中街社区 written bare


def test_name_words_come_from_the_packaged_dictionary() -> None:
    words = name_words()
    assert len(words) > 1000
    assert all(len(w) == 2 for w in words)


def test_some_companies_carry_their_place_in_front(generated: list[Spans]) -> None:
    # 浙江圣林机械有限公司 after 浙江省…: the company name starts with a division of its own address
    companies = prefixed = 0
    for spans in generated:
        places = {text[:2] for label, text in spans if label in ("prov", "city", "district")}
        for label, text in spans:
            if label == "poi" and text.endswith("公司"):
                companies += 1
                prefixed += text[:2] in places
    assert companies > 50
    assert companies * 0.1 < prefixed < companies * 0.6


def test_a_shop_or_office_may_follow_the_floor(generated: list[Spans]) -> None:
    pairs = [(a, b) for spans in generated for (a, _), (b, _) in itertools.pairwise(spans)]
    assert pairs.count(("floorno", "person")) > 30
    assert ("poi", "floorno") in pairs  # the building number is often left out


def test_a_short_township_after_the_full_name_is_redundant(generated: list[Spans]) -> None:
    found = 0
    for spans in generated:
        for (a, full), (b, short) in itertools.pairwise(spans):
            if a == "town" and b == "redundant" and len(short) >= 2 and full != short and full.startswith(short):
                found += 1
    assert found > 0


def test_a_poi_may_be_named_after_a_township(generated: list[Spans]) -> None:
    pois = [text for spans in generated for label, text in spans if label == "poi"]
    assert any(re.match(r"^..{0,3}(镇|乡|街道)(工业区|人民政府|中学|幼儿园|卫生院)", p) for p in pois)
