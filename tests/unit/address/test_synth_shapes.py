"""Shapes of the training-address generator and the national gazetteer's bare forms, as the NCAP data labels
them (issue 15): 组 is its own road span, industrial parks are poi, a compound's phase (二期) is a subpoi, the
divisions are written with separators or twice with one copy redundant, townships and communities are known
without their suffixes. Nothing here reads the third-party datasets."""

from __future__ import annotations

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
