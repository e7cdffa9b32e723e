"""The shipped address parser against the NCAP annotation spec: the spec's label names, the national
gazetteer's suffix-less forms, spans the guide keeps whole, the generator's coverage of all 21 labels and the
refusal of a worse model. Nothing here reads the third-party datasets: the parser is the packaged model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gridgov.address.cn_gazetteer import division_tree, national_gazetteer, sources, suffixless
from gridgov.address.features import tokenize_with_spans, words
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.records import NCAP_LABELS
from gridgov.address.scoring import from_sequence, read_labelled, score_parse, to_sequence
from gridgov.address.synth import AddressGenerator, NameLists
from gridgov.address.tagger import AddressTagger
from gridgov.address.tags import bio_spans, read_bio_file
from gridgov.address.training import compare

# The 21 labels of the NCAP spec, spelled as the spec spells them (devZone, subRoad, subRoadNo), in its order.
SPEC_LABELS = words(
    "country prov city district devZone town community road subRoad roadno subRoadNo poi subpoi "
    "houseno cellno floorno roomno person assist redundant otherinfo"
)


def _parts(tagger: AddressTagger, text: str) -> list[tuple[str, str]]:
    return [(c.label, c.text) for c in tagger.parse(text).components]


def test_label_names_are_the_specs() -> None:
    assert NCAP_LABELS == SPEC_LABELS


def test_other_spellings_map_to_the_specs(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_text("高 B-devzone\n新 I-devZone\n支 B-subroad\n路 I-subRoad\n3 B-subroadno\n号 I-subRoadno\n\n", "utf-8")
    assert [tag for seq in read_bio_file(f) for _, tag in seq] == [
        "B-devZone",
        "I-devZone",
        "B-subRoad",
        "I-subRoad",
        "B-subRoadNo",
        "I-subRoadNo",
    ]
    assert "devZone" in Gazetteer({"devzone": ["高新区"]}).labels_for("高新区")


def test_shipped_labels_are_the_specs_and_all_of_them(shipped: AddressTagger, tmp_path: Path) -> None:
    assert {tag.split("-", 1)[1] for tag in shipped.labels} == set(NCAP_LABELS)
    assert {c.label for c in shipped.parse("浙江省台州市江南大道创业大道288号").components} >= {"subRoad", "subRoadNo"}
    assert shipped.parse("江宁区江宁滨江开发区中环大道10号").get("devZone") == "江宁滨江开发区"


def test_a_model_saved_with_other_spellings_answers_in_the_specs(tmp_path: Path) -> None:
    import pycrfsuite  # type: ignore[import-untyped, unused-ignore]

    trainer = pycrfsuite.Trainer(verbose=False)
    for _ in range(3):
        trainer.append(
            [["w=高"], ["w=新"], ["w=区"], ["w=支"], ["w=路"]],
            ["B-devzone", "I-devzone", "I-devzone", "B-subroad", "I-subroad"],
        )
    trainer.set_params({"max_iterations": 20})
    trainer.train(str(tmp_path / "old.crfsuite"))
    old = AddressTagger()
    old._open((tmp_path / "old.crfsuite").read_bytes())
    assert set(old.labels) == {"B-devZone", "I-devZone", "B-subRoad", "I-subRoad"}
    assert old._crf_tag(["高", "新", "区", "支", "路"], None) == [
        "B-devZone",
        "I-devZone",
        "I-devZone",
        "B-subRoad",
        "I-subRoad",
    ]


def test_generator_writes_every_label_nationwide() -> None:
    seqs = AddressGenerator(NameLists(roads=["福民路"], pois=["皇岗花园"]), seed=3).sequences(1500)
    labels = Counter(label for seq in seqs for label, _, _ in bio_spans([t for _, t in seq]))
    assert set(labels) == set(NCAP_LABELS)
    provinces = {"".join(tok for tok, t in seq if t.endswith("-prov")) for seq in seqs}
    assert len(provinces) > 40  # many provinces, with and without suffix
    for seq in seqs[:200]:
        for (_, tag), (_, prev) in zip(seq[1:], seq, strict=False):
            assert not tag.startswith("I-") or prev[2:] == tag[2:]


def test_gazetteer_is_national_with_short_forms() -> None:
    tree = division_tree()
    assert len(tree) >= 33 and sum(len(c.counties) for p in tree for c in p.cities) > 2800
    gaz = national_gazetteer()
    for name, label in (("广西", "prov"), ("内蒙", "prov"), ("新疆", "prov"), ("湖南省", "prov"), ("浦东", "district")):
        assert label in gaz.labels_for(name), name
    assert "city" in gaz.labels_for("柳州") and "city" in gaz.labels_for("北京市")
    assert suffixless("广西壮族自治区") == "广西" and suffixless("柳州市") == "柳州"
    assert sources()["tree"]["licence"] == "MIT" and sources()["short_forms_devzones_communities"]["licence"]


def test_suffixless_province_is_its_own_span(shipped: AddressTagger) -> None:
    parts = _parts(shipped, "广西柳州市城中区潭中东路勿忘我网吧门口")
    assert parts[:3] == [("prov", "广西"), ("city", "柳州市"), ("district", "城中区")], parts
    assert ("prov", "湖南省") in _parts(shipped, "湖南省长沙市岳麓区麓山南路932号")


def test_spans_the_spec_keeps_whole_stay_whole(shipped: AddressTagger) -> None:
    # as the annotation guide writes them: a door number with a dash and a group with its number are one roadno
    assert ("roadno", "147-2号") in _parts(shipped, "浙江省杭州市江干区秋涛路147-2号")
    assert ("roadno", "41-43号") in _parts(shipped, "浙江省杭州市江干区秋涛路41-43号")
    assert ("roadno", "5组6号") in _parts(shipped, "湖北省荆州市沙市区沿山村5组6号")
    parts = _parts(shipped, "竹海水韵春风里12-3-1001")
    assert [p for p in parts if p[0] in ("houseno", "cellno", "roomno")] == [
        ("houseno", "12"),
        ("cellno", "3"),
        ("roomno", "1001"),
    ], parts


def test_labelled_files_round_trip(tmp_path: Path) -> None:
    seq = [("福", "B-road"), ("民", "I-road"), ("路", "I-road"), ("147", "B-roadno"), ("-", "I-roadno")]
    seq += [("2", "I-roadno"), ("号", "I-roadno")]
    item = from_sequence(seq)
    assert item.text == "福民路147-2号" and item.spans == (("road", 0, 3), ("roadno", 3, 9))
    f = tmp_path / "l.jsonl"
    f.write_text('{"text": "福民路147-2号", "spans": [{"label": "road", "start": 0, "end": 3}]}\n', "utf-8")
    [back] = read_labelled(f, read_bio_file)
    expected = [("福", "B-road"), ("民", "I-road"), ("路", "I-road"), ("147", "O")]
    assert to_sequence(back, tokenize_with_spans)[:4] == expected
    f.write_text('{"text": "福民路", "spans": [{"label": "road", "start": 0, "end": 9}]}\n', "utf-8")
    with pytest.raises(ValueError, match="第 1 行"):
        read_labelled(f, read_bio_file)


def test_a_worse_model_is_refused(shipped: AddressTagger) -> None:
    check = [
        from_sequence(s)
        for s in AddressGenerator(NameLists(), seed=99).tagged_many(
            [
                [("浙江省", "prov"), ("杭州市", "city"), ("余杭区", "district"), ("文一西路", "road")],
                [
                    ("广东省", "prov"),
                    ("深圳市", "city"),
                    ("福田区", "district"),
                    ("福民路", "road"),
                    ("12号", "roadno"),
                ],
                [("湖南省", "prov"), ("长沙市", "city"), ("岳麓区", "district"), ("麓山南路", "road")],
            ]
        )
    ]
    weak = AddressTagger(max_iterations=5).fit(AddressGenerator(NameLists(), seed=1).sequences(30))
    verdict = compare(weak, shipped, check)
    assert verdict.current is not None and verdict.candidate["f1"] < verdict.current["f1"]
    assert not verdict.accepted
    assert compare(shipped, weak, check).accepted and compare(weak, None, check).accepted
    assert score_parse(lambda t: shipped.parse(t).components, check)["f1"] == verdict.current["f1"]
