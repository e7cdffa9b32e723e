"""Noisy address variants with ground truth and NCAP-labelled sequences."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from gridgov.address.features import tokenize
from gridgov.address.normalize import normalize
from gridgov.address.records import NCAP_LABELS, AddressRecord
from gridgov.demo.address_library import DemoLibrary, build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import (
    VARIANT_KINDS,
    Variant,
    bio_tags,
    int_to_cn,
    labelled_sequences,
    make_variants,
)

N = 3000


@pytest.fixture(scope="module")
def library(geography: DemoGeography) -> DemoLibrary:
    return build_demo_library(geography, buildings_per_community=40)


@pytest.fixture(scope="module")
def variants(library: DemoLibrary) -> list[Variant]:
    return make_variants(library, N, seed=11)


@pytest.fixture(scope="module")
def by_code(library: DemoLibrary) -> dict[str, AddressRecord]:
    return {a.code: a for a in library.addresses}


def test_bio_tags() -> None:
    tagged = bio_tags([("福民路", "road"), ("123号", "roadno"), ("-", "redundant"), ("-", "redundant")])
    assert tagged == [
        ("福", "B-road"),
        ("民", "I-road"),
        ("路", "I-road"),
        ("123", "B-roadno"),
        ("号", "I-roadno"),
        ("-", "B-redundant"),
        ("-", "B-redundant"),
    ]


@pytest.mark.parametrize(
    ("number", "text"),
    [(0, "零"), (3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (105, "一百零五"), (123, "一百二十三"),
     (1000, "一千"), (2020, "二千零二十"), (6008, "六千零八")],
)  # fmt: skip
def test_int_to_cn(number: int, text: str) -> None:
    assert int_to_cn(number) == text
    assert normalize(text + "号") == f"{number}号"


# variants -----------------------------------------------------------------------------------------------


def test_variants_count_kinds_and_targets(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    assert len(variants) == N
    kinds = Counter(v.kind for v in variants)
    assert set(kinds) == set(VARIANT_KINDS)
    assert min(kinds.values()) >= N * 0.02
    assert all(v.target_code in by_code for v in variants)
    levels = Counter(by_code[v.target_code].level for v in variants)
    assert levels["building"] > 0.6 * N
    assert levels["door"] > 0.05 * N and levels["compound"] > 0.02 * N
    assert set(levels) == {"building", "door", "compound"}
    assert all(v.text.strip() for v in variants)


def test_every_kind_at_small_n(library: DemoLibrary) -> None:
    few = make_variants(library, len(VARIANT_KINDS), seed=3)
    assert {v.kind for v in few} == set(VARIANT_KINDS)
    assert make_variants(library, 0, seed=3) == []


def test_deterministic(library: DemoLibrary, variants: list[Variant]) -> None:
    assert make_variants(library, N, seed=11) == variants
    assert make_variants(library, 200, seed=12) != variants[:200]


def _of(variants: list[Variant], kind: str) -> list[Variant]:
    return [v for v in variants if v.kind == kind]


def test_standard_is_the_full_name(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    for v in _of(variants, "standard"):
        assert v.text.removeprefix("广东省") == by_code[v.target_code].full_name


def test_kinds_look_as_described(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    for v in _of(variants, "compound_building"):
        target = by_code[v.target_code]
        assert target.level == "building" and v.text.endswith(target.name)
        assert not v.text.startswith("深圳")
    for v in _of(variants, "road_number"):
        assert re.search(r"\d+号", v.text)
    assert any(re.search(r"[零一二三四五六七八九十]+(栋|号楼|幢)|\d+(幢|座|号楼|#)|[０-９]", v.text)
               for v in _of(variants, "number_format"))  # fmt: skip
    assert all(re.search(r"[０-９Ａ-Ｚ]", v.text) for v in _of(variants, "fullwidth"))
    assert all(
        re.search(r"附近|旁边|对面|门口|路口|楼下|后面|里面|东门|北门$", v.text) for v in _of(variants, "assist")
    )
    assert all(re.search(r"单元|楼|层|室|房|\d+-\d+-\d+|\d{3,4}$", v.text) for v in _of(variants, "tail"))
    complaints = _of(variants, "complaint")
    assert all(len(v.text) > len(normalize(by_code[v.target_code].name)) + 4 for v in complaints)
    assert any("投诉" in v.text or "反映" in v.text for v in complaints)


def test_typos_differ_from_every_clean_form(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    for v in _of(variants, "typo"):
        assert by_code[v.target_code].full_name not in v.text


def test_aliases_are_used(variants: list[Variant], by_code: dict[str, AddressRecord], library: DemoLibrary) -> None:
    divisions = {d.code: d for d in library.divisions}
    alias_variants = _of(variants, "alias")
    with_address_alias = 0
    for v in alias_variants:
        chain = [by_code[v.target_code]]
        while chain[-1].parent_code is not None:
            chain.append(by_code[chain[-1].parent_code or ""])
        address_aliases = [alias for a in chain for alias in a.aliases]
        if any(alias in v.text for alias in address_aliases):
            with_address_alias += 1
            continue
        community = divisions[v.target_code[:12]]
        street = divisions[community.parent_code or ""]
        short = {*community.aliases, *street.aliases, *divisions[street.parent_code or ""].aliases}
        assert any(alias in v.text for alias in short), v
        assert not any(d.name in v.text for d in (community, street))
    assert with_address_alias >= 0.5 * len(alias_variants)


def test_ground_truth_is_unambiguous(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    """A road + door number without district, street or compound occurs only once in the city."""
    road_door = Counter((by_code[d.parent_code or ""].name, d.name) for d in by_code.values() if d.level == "door")
    for v in _of(variants, "road_number"):
        target = by_code[v.target_code]
        door = target if target.level == "door" else by_code[target.parent_code or ""]
        while door.level != "door":
            door = by_code[door.parent_code or ""]
        road = by_code[door.parent_code or ""]
        if "区" not in v.text and "街道" not in v.text:
            assert road_door[(road.name, door.name)] == 1, v


def test_the_target_can_be_recovered_from_clean_kinds(
    variants: list[Variant], by_code: dict[str, AddressRecord]
) -> None:
    """For kinds that keep names intact, the normalized text holds the target's own normalized name."""
    for v in variants:
        if v.kind in ("standard", "drop_levels", "compound_building", "road_number", "noise", "assist", "complaint"):
            target = by_code[v.target_code]
            name = normalize(target.name)
            assert name in normalize(v.text), (v, target.full_name)


def test_number_formats_normalize_back(variants: list[Variant], by_code: dict[str, AddressRecord]) -> None:
    for v in _of(variants, "number_format"):
        target = by_code[v.target_code]
        if re.fullmatch(r"\d+栋", target.name):
            assert normalize(v.text).endswith(target.name), v


# labelled sequences -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sequences(library: DemoLibrary) -> list[list[tuple[str, str]]]:
    return labelled_sequences(library, 2000, seed=5)


def test_sequences_tags_valid(sequences: list[list[tuple[str, str]]]) -> None:
    assert len(sequences) == 2000
    for seq in sequences:
        assert seq
        previous: str | None = None
        for token, tag in seq:
            assert token and not token.isspace()
            prefix, _, label = tag.partition("-")
            assert prefix in ("B", "I") and label in NCAP_LABELS, tag
            if prefix == "I":
                assert previous == label, seq
            previous = label
        assert seq[0][1].startswith("B-")


def test_sequences_tokenized_like_tokenize(sequences: list[list[tuple[str, str]]]) -> None:
    for seq in sequences:
        tokens = [t for t, _ in seq]
        assert tokenize("".join(tokens)) == tokens


def test_sequence_labels_cover_the_scheme(sequences: list[list[tuple[str, str]]]) -> None:
    labels = Counter(tag[2:] for seq in sequences for _, tag in seq if tag.startswith("B-"))
    expected = {"prov", "city", "district", "town", "community", "road", "roadno", "poi", "subpoi", "houseno",
                "cellno", "floorno", "roomno", "assist", "redundant", "person"}  # fmt: skip
    assert expected <= set(labels)
    assert "O" not in labels


def test_sequence_label_examples(sequences: list[list[tuple[str, str]]], library: DemoLibrary) -> None:
    entities: dict[str, set[str]] = {}
    for seq in sequences:
        current = ""
        label = ""
        for token, tag in [*seq, ("", "B-end")]:
            if tag.startswith("B-"):
                if current:
                    entities.setdefault(label, set()).add(current)
                current, label = token, tag[2:]
            else:
                current += token
    assert "深圳市" in entities["city"] and "广东省" in entities["prov"]
    assert {"福田区", "福田"} <= entities["district"]
    assert all(e.endswith(("街道", *(d.aliases[0] for d in library.divisions if d.level == "street")))
               for e in entities["town"])  # fmt: skip
    assert any(re.fullmatch(r"\d+号", e) for e in entities["roadno"])
    assert any(re.fullmatch(r"\d+栋", e) for e in entities["houseno"])
    assert any(re.fullmatch(r"\d+单元", e) for e in entities["cellno"])
    assert {"附近", "门口"} & entities["assist"]
    assert all(not re.search(r"\d", e) or "711" in e for e in entities["subpoi"])


def test_sequences_deterministic(library: DemoLibrary, sequences: list[list[tuple[str, str]]]) -> None:
    assert labelled_sequences(library, 50, seed=5) == sequences[:50]
    assert labelled_sequences(library, 0, seed=5) == []
