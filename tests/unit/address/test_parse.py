"""Address parser: CRF tagger on sequences generated from a small demo library, post-processing, robustness,
persistence and span-level scoring. Nothing here reads the third-party datasets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from gridgov.address.components import MAX_INPUT_CHARS, Component, ParsedAddress, clean_text
from gridgov.address.features import tokenize, tokenize_with_spans
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.records import NCAP_LABELS, AddressRecord
from gridgov.address.tagger import AddressTagger, evaluate
from gridgov.address.tags import bio_spans, bioes_to_bio, read_bio_file, span_scores, to_bioes
from gridgov.demo.address_library import DemoLibrary, build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import labelled_sequences


@pytest.fixture(scope="module")
def library(geography: DemoGeography) -> DemoLibrary:
    return build_demo_library(geography, buildings_per_community=40)


@pytest.fixture(scope="module")
def train(library: DemoLibrary) -> list[list[tuple[str, str]]]:
    return labelled_sequences(library, 500, seed=7)


@pytest.fixture(scope="module")
def tagger(library: DemoLibrary, train: list[list[tuple[str, str]]]) -> AddressTagger:
    gaz = Gazetteer.from_records(library.divisions, library.addresses)
    return AddressTagger(max_iterations=80).fit(train, gaz)


def _held_out(library: DemoLibrary, train: Sequence[Sequence[tuple[str, str]]], n: int) -> list[dict[str, str]]:
    """Road + door number + compound + building addresses whose text is not a training text."""
    by_code: dict[str, AddressRecord] = {a.code: a for a in library.addresses}
    seen = {"".join(tok for tok, _ in seq) for seq in train}
    out: list[dict[str, str]] = []
    for b in library.addresses:
        if b.level != "building" or not b.name[:1].isdigit():
            continue
        compound = by_code.get(b.parent_code or "")
        door = by_code.get(compound.parent_code or "") if compound else None
        road = by_code.get(door.parent_code or "") if door else None
        if compound is None or door is None or road is None:
            continue
        if (compound.level, door.level, road.level) != ("compound", "door", "road"):
            continue
        parts = {"road": road.name, "roadno": door.name, "poi": compound.name, "houseno": b.name}
        if "".join(parts.values()) in seen:
            continue
        out.append(parts)
        if len(out) == n:
            break
    return out


# ---------------------------------------------------------------------------------------------------------------
# tokens, cleanup, BIO


def test_tokens_carry_offsets() -> None:
    text = "福民路 123号A座 ,5-2"
    spans = tokenize_with_spans(text)
    assert [t for t, _, _ in spans] == tokenize(text) == ["福", "民", "路", "123", "号", "A", "座", ",", "5", "-", "2"]
    for tok, start, end in spans:
        assert text[start:end] == tok


def test_clean_text_keeps_one_char_per_char() -> None:
    assert clean_text("  福民路１２３号\u3000Ａ座\n\t3楼 ") == "福民路123号 A座 3楼"
    assert clean_text("a\x00b\u200bc") == "a b c"
    assert clean_text(None) == ""
    assert len(clean_text("路" * 2000)) == MAX_INPUT_CHARS


def test_bio_spans_are_lenient_like_seqeval() -> None:
    tags = ["B-road", "I-road", "I-roadno", "I-roadno", "O", "I-poi", "B-poi", "E-poi", "S-houseno"]
    assert bio_spans(tags) == [("road", 0, 2), ("roadno", 2, 4), ("poi", 5, 6), ("poi", 6, 8), ("houseno", 8, 9)]


def test_read_bio_file_maps_label_spelling(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(
        "福 B-road\n民 I-road\n路\tI-road\n\n\n中 B-subRoad\n心 I-subRoad\n区 B-devZone\n", encoding="utf-8"
    )
    assert read_bio_file(path) == [
        [("福", "B-road"), ("民", "I-road"), ("路", "I-road")],
        [("中", "B-subRoad"), ("心", "I-subRoad"), ("区", "B-devZone")],
    ]


def test_gazetteer_marks_longest_names_per_label() -> None:
    gaz = Gazetteer({"town": ["上塘", "上塘镇"], "road": ["福民路"], "poi": ["1"]})
    marks = gaz.annotate(tokenize("上塘镇福民路123号"))
    assert marks[:6] == [("town|B",), ("town|I",), ("town|E",), ("road|B",), ("road|I",), ("road|E",)]
    assert marks[6:] == [(), ()]  # "1" is too short for a name and never matches inside "123"
    assert Gazetteer.from_dict(gaz.to_dict()).to_dict() == gaz.to_dict()


# ---------------------------------------------------------------------------------------------------------------
# the trained tagger


def test_tags_held_out_addresses(
    library: DemoLibrary, train: list[list[tuple[str, str]]], tagger: AddressTagger
) -> None:
    held = _held_out(library, train, 12)
    assert len(held) == 12
    for parts in held:
        parsed = tagger.parse("".join(parts.values()))
        assert parsed.as_dict() == parts, parsed.components


def test_tags_are_labels_of_the_scheme(tagger: AddressTagger) -> None:
    assert {tag.split("-", 1)[1] for tag in tagger.labels} <= set(NCAP_LABELS)
    tokens = tokenize("深圳市福田区华强北街道福民路123号3栋2单元501")
    spans = bio_spans(tagger.tag(tokens))
    assert [label for label, _, _ in spans] == [
        "city", "district", "town", "road", "roadno", "houseno", "cellno", "roomno"
    ]  # fmt: skip
    assert ["".join(tokens[s:e]) for _, s, e in spans][-3:] == ["3栋", "2单元", "501"]


def test_parse_embedded_address(library: DemoLibrary, tagger: AddressTagger) -> None:
    held = _held_out(library, [], 1)[0]
    text = f"{held['road']}{held['roadno']}门口垃圾堆了三天"
    parsed = tagger.parse(text)
    got = parsed.as_dict()
    assert got["road"] == held["road"]
    assert got["roadno"] == held["roadno"]
    assert got["assist"] == "门口"
    assert "垃圾堆了三天" in "".join(c.text for c in parsed.components if c.label in ("redundant", "otherinfo"))
    assert parsed.address_text() == held["road"] + held["roadno"]


def test_parse_offsets_and_batch(tagger: AddressTagger) -> None:
    texts = ["  深圳市福田区 福民路１２３号 3栋 ", "福民路123号", ""]
    results = tagger.parse_batch(texts)
    assert [r.text for r in results] == [clean_text(t) for t in texts]
    for r in results:
        for c in r.components:
            assert r.text[c.start : c.end] == c.text
            assert c.label in NCAP_LABELS
        starts = [c.start for c in r.components]
        assert starts == sorted(starts)
    assert results[0].get("roadno") == "123号"
    assert results[2].components == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "路" * 2000,
        "福民路123号" * 400,
        "😀😀😀🏠",
        "hello world, where is the station?",
        "'; DROP TABLE x; --",
        "<script>alert(1)</script>",
        "\x00\x01\x02\ufffd\u202e",
        "１２３４５６７８９０",
        "ﾌｸﾐﾝ路",
        "\ud800",  # lone surrogate
    ],
)
def test_bad_input_never_raises(tagger: AddressTagger, text: str) -> None:
    parsed = tagger.parse(text)
    assert isinstance(parsed, ParsedAddress)
    assert len(parsed.text) <= MAX_INPUT_CHARS
    for c in parsed.components:
        assert parsed.text[c.start : c.end] == c.text


def test_bad_input_types_never_raise(tagger: AddressTagger) -> None:
    for value in (None, 123, b"\xe7\xa6\x8f", ["福民路"]):
        assert tagger.parse(value).components == []  # type: ignore[arg-type]


def test_save_load_round_trip(tmp_path: Path, tagger: AddressTagger, library: DemoLibrary) -> None:
    path = tmp_path / "models" / "address.crfsuite"
    sidecar = tagger.save(path)
    assert path.exists() and sidecar == tmp_path / "models" / "address.crfsuite.json"
    loaded = AddressTagger.load(path)
    assert loaded.gazetteer is not None and tagger.gazetteer is not None
    assert loaded.gazetteer.to_dict() == tagger.gazetteer.to_dict()
    assert loaded.labels == tagger.labels
    for seq in labelled_sequences(library, 60, seed=123):
        tokens = [tok for tok, _ in seq]
        assert loaded.tag(tokens) == tagger.tag(tokens)
    text = "深圳市福田区福民路123号门口"
    assert loaded.parse(text) == tagger.parse(text)
    sidecar.unlink()
    with pytest.raises(FileNotFoundError):
        AddressTagger.load(path)


def test_bioes_conversion() -> None:
    bio = ["B-road", "I-road", "I-road", "B-roadno", "O", "B-poi", "B-poi", "I-poi", "I-houseno", "O"]
    bioes = ["B-road", "I-road", "E-road", "S-roadno", "O", "S-poi", "B-poi", "E-poi", "S-houseno", "O"]
    assert to_bioes(bio) == bioes
    assert bio_spans(bioes) == bio_spans(bio)
    assert bioes_to_bio(bioes) == [*bio[:8], "B-houseno", "O"]  # the stray I- comes back as the B- it meant
    assert to_bioes([]) == [] and bioes_to_bio(["O"]) == ["O"]


def test_bioes_tagger_returns_bio_and_keeps_its_scheme(
    tmp_path: Path, library: DemoLibrary, train: list[list[tuple[str, str]]]
) -> None:
    gaz = Gazetteer.from_records(library.divisions, library.addresses)
    tagger = AddressTagger(max_iterations=60, scheme="bioes").fit(train[:250], gaz)
    assert any(label.startswith(("E-", "S-")) for label in tagger.labels)
    held_out = labelled_sequences(library, 100, seed=99)
    tags = tagger.tag_many([[tok for tok, _ in seq] for seq in held_out])
    assert all(tag == "O" or tag[:2] in ("B-", "I-") for seq in tags for tag in seq)
    assert evaluate(tagger, held_out)["f1"] > 0.85
    path = tmp_path / "bioes.crfsuite"
    tagger.save(path)
    loaded = AddressTagger.load(path)
    assert loaded.scheme == "bioes"
    assert loaded.tag_many([[tok for tok, _ in seq] for seq in held_out]) == tags
    with pytest.raises(ValueError, match="scheme"):
        AddressTagger(scheme="bilou")


def test_untrained_tagger_refuses() -> None:
    with pytest.raises(RuntimeError):
        AddressTagger().tag(["福"])
    with pytest.raises(RuntimeError):
        AddressTagger().save("/nonexistent/x")
    with pytest.raises(ValueError):
        AddressTagger().fit([])


def test_held_out_sequences_score_high(library: DemoLibrary, tagger: AddressTagger) -> None:
    result = evaluate(tagger, labelled_sequences(library, 200, seed=99))
    assert result["f1"] > 0.9
    for label in ("road", "roadno", "poi", "houseno"):
        assert result["per_label"][label]["f1"] > 0.9


# ---------------------------------------------------------------------------------------------------------------
# post-processing and scoring with a fixed tagger


class _FixedTagger(AddressTagger):
    """Returns predetermined tags: by token tuple, else a default rule."""

    def __init__(self, table: dict[tuple[str, ...], list[str]]) -> None:
        super().__init__()
        self.table = table
        self._tagger = object()  # "trained"

    def tag(self, tokens: Sequence[str]) -> list[str]:
        return list(self.table[tuple(tokens)])


def _parts(text: str, tags: Sequence[str] | str) -> list[tuple[str, str]]:
    """(label, text) of each component ``parse`` gives when the tagger tags the tokens of ``text`` with ``tags``
    (a list, or one string of tags split on white space)."""
    tag_list = tags.split() if isinstance(tags, str) else list(tags)
    return [(c.label, c.text) for c in _FixedTagger({tuple(tokenize(text)): tag_list}).parse(text).components]


@pytest.mark.parametrize("tail_label", ["roadno", "poi", "person"])
def test_assist_tail_is_split_off(tail_label: str) -> None:
    text = "福民路123号门口垃圾堆了三天"
    tokens = tokenize(text)
    tags = ["B-road", "I-road", "I-road", "B-roadno", "I-roadno"]
    rest = len(tokens) - len(tags)
    tags += [f"I-{tail_label}" if tail_label == "roadno" else f"B-{tail_label}"] + [f"I-{tail_label}"] * (rest - 1)
    parsed = _FixedTagger({tuple(tokens): tags}).parse(text)
    assert parsed.components[:3] == [
        Component("road", "福民路", 0, 3),
        Component("roadno", "123号", 3, 7),
        Component("assist", "门口", 7, 9),
    ]
    # the rest keeps the tagger's label (the complaint rule cost F1 on ncap_train and was dropped)
    assert parsed.components[3:] == [Component(tail_label, "垃圾堆了三天", 9, 15)]


def test_adjacent_spans_stay_apart_and_names_keep_assist_heads() -> None:
    text = "路口村 福民路 12号"
    tokens = tokenize(text)
    tags = ["B-community", "I-community", "I-community", "B-road", "I-road", "I-road", "B-roadno", "I-roadno"]
    parsed = _FixedTagger({tuple(tokens): tags}).parse(text)
    assert parsed.as_dict() == {"community": "路口村", "road": "福民路", "roadno": "12号"}
    assert parsed.components[1] == Component("road", "福民路", 4, 7)
    # one span per tagged span: a doubled division stays one redundant component per level, as annotated
    tags = ["B-redundant", "I-redundant", "I-redundant"] * 2 + ["B-prov", "I-prov", "I-prov"]
    tags += ["B-city", "I-city", "I-city"]
    assert _parts("浙江省杭州市浙江省杭州市", tags) == [
        ("redundant", "浙江省"),
        ("redundant", "杭州市"),
        ("prov", "浙江省"),
        ("city", "杭州市"),
    ]


def test_first_copy_of_a_repeated_division_is_redundant() -> None:
    tags = ["B-prov", "I-prov", "I-prov"] + ["B-city", "I-city", "I-city", "B-district", "I-district", "I-district"] * 2
    tags += ["B-town", "I-town", "I-town"]
    assert _parts("浙江省宁波市宁海县宁波市宁海县桥头胡", tags) == [
        ("prov", "浙江省"),
        ("redundant", "宁波市"),
        ("redundant", "宁海县"),
        ("city", "宁波市"),
        ("district", "宁海县"),
        ("town", "桥头胡"),
    ]
    # the short form is the same name
    tags = ["B-prov", "I-prov", "B-city", "I-city", "I-city", "B-prov", "I-prov", "I-prov"]
    assert [label for label, _ in _parts("浙江杭州市浙江省", tags)] == ["redundant", "city", "prov"]
    # the code list's placeholder
    tags = ["B-city", "I-city", "I-city", "B-district", "I-district", "I-district", "B-district", "I-district"]
    tags += ["I-district"]
    assert [label for label, _ in _parts("上海市市辖区黄浦区", tags)] == ["city", "redundant", "district"]


def test_door_numbers_as_the_guide_writes_them_and_short_numbers() -> None:
    road = "B-road I-road I-road "
    # a door number with a dash, and a range, stay one roadno as tagged
    assert _parts("仙华路119-13号", road + "B-roadno I-roadno I-roadno I-roadno")[1:] == [("roadno", "119-13号")]
    assert _parts("仙华路41-43号", road + "B-roadno I-roadno I-roadno I-roadno")[1:] == [("roadno", "41-43号")]
    # a group with its number is one roadno (X组X号 … 统一标为roadno，不拆分road和roadno)
    assert _parts("沿山村5组6号", "B-community I-community I-community B-road I-road B-roadno I-roadno")[1:] == [
        ("roadno", "5组6号")
    ]
    # a bare number shorter than a phone number is a room, a phone number stays otherinfo
    assert _parts("四区39955", "B-subpoi I-subpoi B-otherinfo")[1:] == [("roomno", "39955")]
    assert _parts("四区13912345678", "B-subpoi I-subpoi B-otherinfo")[1:] == [("otherinfo", "13912345678")]
    # a direction part at the end of a compound is a subpoi, a numbered one stays as tagged
    assert _parts("西溪北苑东区", "B-poi I-poi I-poi I-poi I-poi I-poi") == [("poi", "西溪北苑"), ("subpoi", "东区")]
    assert _parts("西溪北苑二区", "B-poi I-poi I-poi I-poi I-poi I-poi") == [("poi", "西溪北苑二区")]
    # a building number after another one is the unit, and so is a room before another room
    tags = "B-poi I-poi B-houseno B-redundant B-houseno B-redundant B-roomno I-roomno"
    assert _parts("某苑829-10-1060室", tags)[1:] == [
        ("houseno", "829"),
        ("redundant", "-"),
        ("cellno", "10"),
        ("redundant", "-"),
        ("roomno", "1060室"),
    ]
    assert _parts("四区106街42153", "B-subpoi I-subpoi B-roomno I-roomno B-roomno")[1:] == [
        ("cellno", "106街"),
        ("roomno", "42153"),
    ]


def test_evaluate_exact_span_scores() -> None:
    examples = [
        (
            "福民路123号福民新村3栋",
            "B-road I-road I-road B-roadno I-roadno B-poi I-poi I-poi I-poi B-houseno I-houseno",
            "B-road I-road I-road B-roadno I-roadno B-poi I-poi I-poi B-houseno I-houseno I-houseno",
        ),
        (
            "深圳市福田区",
            "B-city I-city I-city B-district I-district I-district",
            "B-city I-city I-city I-city I-district I-district",
        ),
        ("5楼", "B-floorno I-floorno", "B-floorno B-floorno"),
    ]
    sequences = []
    table: dict[tuple[str, ...], list[str]] = {}
    for text, gold, pred in examples:
        tokens = tokenize(text)
        sequences.append(list(zip(tokens, gold.split(), strict=True)))
        table[tuple(tokens)] = pred.split()
    result = evaluate(_FixedTagger(table), sequences)
    # gold spans 7, predicted 8, correct 2 (road, roadno)
    assert result["precision"] == pytest.approx(2 / 8)
    assert result["recall"] == pytest.approx(2 / 7)
    assert result["f1"] == pytest.approx(4 / 15)
    assert result["support"] == 7
    assert result["token_accuracy"] == pytest.approx(15 / 19)
    assert result["macro_f1"] == pytest.approx(2 / 7)
    per = result["per_label"]
    assert per["road"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1.0}
    assert per["floorno"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1.0}
    assert per["district"]["precision"] == 0.0 and per["city"]["recall"] == 0.0
    assert span_scores([["B-road"]], [["B-road"]])["f1"] == 1.0


def test_assist_word_does_not_cut_a_road_name() -> None:
    text = "福民路口"
    tokens = tokenize(text)
    parsed = _FixedTagger({tuple(tokens): ["B-road", "I-road", "I-road", "I-road"]}).parse(text)
    assert parsed.as_dict() == {"road": "福民路口"}
    tags = ["B-road", "I-road", "I-road", "B-assist"]
    assert _FixedTagger({tuple(tokens): tags}).parse(text).as_dict() == {"road": "福民路", "assist": "口"}


def test_runs_split_by_label_and_by_span() -> None:
    from gridgov.address.components import _runs

    text = "宁波市宁波市 x"
    labels: list[str | None] = [*["redundant"] * 6, None, "poi"]
    pieces = [0, 0, 0, 1, 1, 1, -1, 2]
    assert [(c.label, c.text, c.start, c.end) for c in _runs(text, labels, pieces)] == [
        ("redundant", "宁波市", 0, 3),
        ("redundant", "宁波市", 3, 6),
        ("poi", "x", 7, 8),
    ]
    assert _runs("ab c", ["poi", "poi", "poi", "road"], [0, 0, 0, 1])[0].text == "ab"  # trailing space trimmed
    assert _runs("", [], []) == []


def test_clean_text_shortcut_equals_the_character_loop() -> None:
    import random
    import re
    import unicodedata

    def by_character(text: str) -> str:  # the definition: every character looked at
        out = []
        for ch in text[: 4 * MAX_INPUT_CHARS]:
            o = ord(ch)
            if 0xFF01 <= o <= 0xFF5E:
                ch = chr(o - 0xFEE0)
            elif ch == "\u3000" or unicodedata.category(ch)[0] in ("C", "Z"):
                ch = " "
            out.append(ch)
        return re.sub(r"\s+", " ", "".join(out)).strip()[:MAX_INPUT_CHARS].rstrip()

    rng = random.Random(3)
    alphabet = "福民路１２３号ＡＢ（） \u3000\t\n\x00\u200b\u00a0\u2028abc-#"
    alphabet += "".join(chr(c) for c in range(0xFF00, 0xFF70))
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    texts += ["路" * 5000, " 福民路 ", "ａｂｃ１２３号（全角）"]
    for text in texts:
        assert clean_text(text) == by_character(text), repr(text)
