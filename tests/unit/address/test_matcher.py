"""AddressMatcher on a small hand-made library (two streets, three communities, two roads, compounds)."""

from __future__ import annotations

import time

import pytest

from gridgov.address.match_text import before_assist
from gridgov.address.matcher import AddressMatcher, MatchResult, normalize_address
from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import make_variants

CITY = "440300000000"
FT = "440304000000"  # 福田区
NS = "440305000000"  # 南山区
FT_ST = "440304001000"  # 福田街道
NY_ST = "440305001000"  # 南园 (demo) 街道 in 南山区
FS = "440304001001"  # 福山社区
FX = "440304001002"  # 福新社区
NY = "440305001001"  # 南园社区

DIVISIONS = [
    DivisionRecord(CITY, "深圳市", "city", None),
    DivisionRecord(FT, "福田区", "district", CITY),
    DivisionRecord(NS, "南山区", "district", CITY),
    DivisionRecord(FT_ST, "福田街道", "street", FT),
    DivisionRecord(NY_ST, "南头街道", "street", NS),
    DivisionRecord(FS, "福山社区", "community", FT_ST),
    DivisionRecord(FX, "福新社区", "community", FT_ST),
    DivisionRecord(NY, "南园社区", "community", NY_ST),
]

PREFIX = {FS: "深圳市福田区福田街道福山社区", FX: "深圳市福田区福田街道福新社区", NY: "深圳市南山区南头街道南园社区"}


def _addr(
    code: str, level: str, name: str, parent: str | None, community: str, full: str, aliases: tuple[str, ...] = ()
) -> AddressRecord:
    return AddressRecord(code, level, name, PREFIX[community] + full, parent, community, aliases=aliases)


def _library() -> list[AddressRecord]:
    out = [
        # 福山社区: 福民路 123号 → 福民新村 (alias 福民村) → 1..5栋; 福华路 8号; 福华路 → 华强大厦 A/B座
        _addr(FS + "R001", "road", "福民路", None, FS, "福民路"),
        _addr(FS + "R002", "road", "福华路", None, FS, "福华路"),
        _addr(FS + "D0001", "door", "123号", FS + "R001", FS, "福民路123号"),
        _addr(FS + "D0002", "door", "125号", FS + "R001", FS, "福民路125号"),
        _addr(FS + "D0003", "door", "8号", FS + "R002", FS, "福华路8号"),
        _addr(FS + "C001", "compound", "福民新村", FS + "D0001", FS, "福民路123号福民新村", ("福民村",)),
        _addr(FS + "C002", "compound", "华强大厦", FS + "D0003", FS, "福华路8号华强大厦"),
        _addr(FS + "B00006", "building", "A座", FS + "C002", FS, "福华路8号华强大厦A座"),
        _addr(FS + "B00007", "building", "B座", FS + "C002", FS, "福华路8号华强大厦B座"),
        # 福新社区 and 南园社区 both have a 翠竹苑 (same name, two communities)
        _addr(FX + "R001", "road", "福新路", None, FX, "福新路"),
        _addr(FX + "D0001", "door", "10号", FX + "R001", FX, "福新路10号"),
        _addr(FX + "C001", "compound", "翠竹苑", FX + "D0001", FX, "福新路10号翠竹苑"),
        _addr(FX + "B00001", "building", "1栋", FX + "C001", FX, "福新路10号翠竹苑1栋"),
        _addr(NY + "R001", "road", "南园路", None, NY, "南园路"),
        _addr(NY + "D0001", "door", "66号", NY + "R001", NY, "南园路66号"),
        _addr(NY + "C001", "compound", "翠竹苑", NY + "D0001", NY, "南园路66号翠竹苑"),
        _addr(NY + "B00001", "building", "1栋", NY + "C001", NY, "南园路66号翠竹苑1栋"),
        _addr(NY + "B00002", "building", "2栋", NY + "C001", NY, "南园路66号翠竹苑2栋"),
    ]
    out += [
        # A compound whose name is long enough for the rapidfuzz fallback; a village with lane houses.
        _addr(FS + "C004", "compound", "华强电子世界广场", FS + "D0003", FS, "福华路8号华强电子世界广场"),
        _addr(FS + "C005", "compound", "福山村", None, FS, "福山村"),
        _addr(FS + "B00010", "building", "东一巷3号", FS + "C005", FS, "福山村东一巷3号"),
    ]
    for n in range(1, 6):
        out.append(_addr(f"{FS}B0000{n}", "building", f"{n}栋", FS + "C001", FS, f"福民路123号福民新村{n}栋"))
    return out


@pytest.fixture(scope="module")
def matcher() -> AddressMatcher:
    return AddressMatcher.build(DIVISIONS, _library())


def _best(r: MatchResult) -> str | None:
    return r.best.code if r.best else None


B3 = FS + "B00003"


def test_exact_full_address(matcher: AddressMatcher) -> None:
    r = matcher.match("广东省深圳市福田区福田街道福山社区福民路123号福民新村3栋")
    assert _best(r) == B3
    assert r.level == "building"
    assert r.confidence >= 0.9 and not r.needs_review
    assert "road 福民路 exact" in r.explanation
    assert "door 123号" in r.explanation
    assert r.candidates[0] == r.best


@pytest.mark.parametrize(
    "text",
    [
        "福民路123号福民新村3栋",  # no divisions
        "福田区福民新村3栋",  # no street, community, road
        "福民新村3栋",  # compound and building only
        "福民路123号3栋",  # compound dropped: building found through the door's compound
        "福山社区福民新村3栋",
    ],
)
def test_dropped_levels(matcher: AddressMatcher, text: str) -> None:
    r = matcher.match(text)
    assert _best(r) == B3, (text, r)
    assert not r.needs_review


def test_road_and_door_levels(matcher: AddressMatcher) -> None:
    assert _best(matcher.match("福民路")) == FS + "R001"
    r = matcher.match("福民路125号")
    assert _best(r) == FS + "D0002" and r.level == "door"
    r = matcher.match("福民路一百二十五号")
    assert _best(r) == FS + "D0002"
    r = matcher.match("福民路125")
    assert _best(r) == FS + "D0002"


def test_alias(matcher: AddressMatcher) -> None:
    r = matcher.match("福民村3栋")
    assert _best(r) == B3
    assert any("alias 福民村 → 福民新村" in e for e in r.explanation)
    assert not r.needs_review


def test_typo_road(matcher: AddressMatcher) -> None:
    r = matcher.match("福田区福明路125号")
    assert _best(r) == FS + "D0002"
    assert any(e.startswith("fuzzy 福明路→福民路") for e in r.explanation), r.explanation


def test_typo_compound(matcher: AddressMatcher) -> None:
    r = matcher.match("福名新村3栋")
    assert _best(r) == B3, r
    assert any(e.startswith("fuzzy 福名新村→福民新村") for e in r.explanation)


@pytest.mark.parametrize(
    "text", ["福民新村三栋", "福民新村3幢", "福民新村３号楼", "福民新村3#", "福民新村第三栋", "福民新村 3 栋"]
)
def test_building_number_formats(matcher: AddressMatcher, text: str) -> None:
    assert _best(matcher.match(text)) == B3, text


@pytest.mark.parametrize("text", ["华强大厦A座", "华强大厦a座", "福华路8号华强大厦Ａ座", "华强大厦A栋"])
def test_letter_buildings(matcher: AddressMatcher, text: str) -> None:
    assert _best(matcher.match(text)) == FS + "B00006", text


def test_embedded_in_sentence(matcher: AddressMatcher) -> None:
    r = matcher.match("你好，我要投诉：福田区福民新村3栋2单元楼下每天晚上有人大声喧哗，影响休息，请尽快处理！")
    assert _best(r) == B3
    assert r.remainder == "2单元"


def test_ambiguous_name_resolved_by_context(matcher: AddressMatcher) -> None:
    r = matcher.match("南山区翠竹苑1栋")
    assert _best(r) == NY + "B00001" and not r.needs_review
    r = matcher.match("福新社区翠竹苑1栋")
    assert _best(r) == FX + "B00001" and not r.needs_review
    r = matcher.match("南园路翠竹苑")
    assert _best(r) == NY + "C001"
    # 2栋 only exists in 南园's 翠竹苑: the building disambiguates.
    assert _best(matcher.match("翠竹苑2栋")) == NY + "B00002"


def test_ambiguous_name_flagged_without_context(matcher: AddressMatcher) -> None:
    r = matcher.match("翠竹苑1栋")
    assert r.needs_review
    assert {c.code for c in r.candidates[:2]} == {FX + "B00001", NY + "B00001"}
    assert any(e.startswith("ambiguous") for e in r.explanation)


def test_remainder(matcher: AddressMatcher) -> None:
    r = matcher.match("福民新村3栋2单元501")
    assert _best(r) == B3
    assert r.remainder == "2单元501"
    assert matcher.match("福民新村3栋501室").remainder == "501室"
    assert matcher.match("福民新村3栋").remainder is None


def test_unknown_building_stays_at_compound(matcher: AddressMatcher) -> None:
    r = matcher.match("福民新村9栋")
    assert _best(r) == FS + "C001"
    assert r.confidence < 1.0
    assert any("9栋 not found" in e for e in r.explanation)


def test_context_conflict_lowers_confidence(matcher: AddressMatcher) -> None:
    r = matcher.match("南山区福民新村3栋")
    assert _best(r) == B3
    assert r.confidence < matcher.match("福田区福民新村3栋").confidence


def test_division_only(matcher: AddressMatcher) -> None:
    r = matcher.match("福山社区")
    assert _best(r) == FS and r.level == "community" and r.needs_review
    r = matcher.match("福田区福田街道")
    assert _best(r) == FT_ST


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀🔥🎉" * 50,
        "hello world, where is my parcel?",
        "'; DROP TABLE address; --",
        "<script>alert(1)</script>",
        "\x00\x01\x02\ufeff",
        "一二三四五六七八九十" * 200,
        "路" * 2000,
        "号栋单元层室" * 400,
    ],
)
def test_bad_inputs_never_raise(matcher: AddressMatcher, text: str) -> None:
    r = matcher.match(text)
    assert r.best is None and r.needs_review and r.explanation and r.confidence == 0.0


def test_non_string_input(matcher: AddressMatcher) -> None:
    r = matcher.match(None)  # type: ignore[arg-type, unused-ignore]
    assert r.best is None and r.needs_review


def test_long_text_with_address_far_in(matcher: AddressMatcher) -> None:
    text = "情况说明" * 150 + "地址是福民路123号福民新村3栋"  # 600 + chars
    assert _best(matcher.match(text)) == B3


def test_add_alias_takes_effect(matcher: AddressMatcher) -> None:
    m = AddressMatcher.build(DIVISIONS, _library())
    assert _best(m.match("东方红3栋")) != B3
    assert m.add_alias(FS + "C001", "东方红")
    r = m.match("东方红3栋")
    assert _best(r) == B3 and not r.needs_review
    assert any("alias 东方红 → 福民新村" in e for e in r.explanation)
    assert not m.add_alias(FS + "C001", "东方红")  # already known
    assert not m.add_alias("nope", "x")
    m.compact()
    assert _best(m.match("东方红3栋")) == B3


def test_upsert_and_remove() -> None:
    m = AddressMatcher.build(DIVISIONS, _library())
    m.upsert(_addr(FS + "B00008", "building", "6栋", FS + "C001", FS, "福民路123号福民新村6栋"))
    assert _best(m.match("福民新村6栋")) == FS + "B00008"
    m.upsert(_addr(FS + "C003", "compound", "福民花园", FS + "D0002", FS, "福民路125号福民花园"))
    assert _best(m.match("福民花园")) == FS + "C003"
    # Rename: the old name stops matching, the new one matches.
    m.upsert(_addr(FS + "C003", "compound", "福景花园", FS + "D0002", FS, "福民路125号福景花园"))
    assert _best(m.match("福景花园")) == FS + "C003"
    old = m.match("福民花园")  # now only a fuzzy neighbour of 福景花园
    assert not any(e.endswith("exact") for e in old.explanation)
    assert any(e.startswith("fuzzy 福民花园→福景花园") for e in old.explanation)
    assert m.remove(FS + "B00008")
    assert _best(m.match("福民新村6栋")) == FS + "C001"
    assert not m.remove(FS + "B00008")
    assert FS + "B00008" not in m and FS + "C003" in m
    m.compact()
    assert _best(m.match("福景花园")) == FS + "C003"
    assert _best(m.match("福民新村6栋")) == FS + "C001"
    # A building that arrives before its compound is linked when the compound arrives.
    m.upsert(_addr(FS + "B00020", "building", "1栋", FS + "C009", FS, "福民路125号碧海花园1栋"))
    m.upsert(_addr(FS + "C009", "compound", "碧海花园", FS + "D0002", FS, "福民路125号碧海花园"))
    r = m.match("福民路125号碧海花园1栋")
    assert _best(r) == FS + "B00020" and not r.needs_review


def test_normalize_address_both_sides() -> None:
    assert normalize_address("A座") == "A栋"
    assert normalize_address("３号楼") == "3栋"
    assert normalize_address("华强大厦b座") == "华强大厦B栋"


def test_match_batch_and_speed(matcher: AddressMatcher) -> None:
    texts = ["福民路123号福民新村3栋", "翠竹苑1栋", "福明路125号", ""] * 250
    t0 = time.perf_counter()
    results = matcher.match_batch(texts)
    elapsed = time.perf_counter() - t0
    assert len(results) == len(texts)
    assert [_best(r) for r in results[:4]] == [B3, _best(results[1]), FS + "D0002", None]
    assert elapsed < 2.0


def test_sound_alike_typo_prefers_the_homophone(matcher: AddressMatcher) -> None:
    # 福花路 is one substitution away from both 福华路 and 福民路; 花 sounds like 华.
    r = matcher.match("福花路")
    assert _best(r) == FS + "R002"
    assert any(e.startswith("fuzzy 福花路→福华路") for e in r.explanation)


def test_rapidfuzz_fallback_within_the_named_community(matcher: AddressMatcher) -> None:
    # Two wrong characters: no edit-distance-1 key; the community's own names are searched with rapidfuzz.
    r = matcher.match("福山社区华墙电子世届广场")
    assert _best(r) == FS + "C004"
    assert any(e.startswith("fuzzy 华墙电子世届广场→华强电子世界广场") for e in r.explanation)


def test_door_stairs_are_not_a_building(matcher: AddressMatcher) -> None:
    r = matcher.match("福民路125号楼下有人乱扔垃圾")
    assert _best(r) == FS + "D0002" and r.level == "door"


def test_building_unit_room_shorthand(matcher: AddressMatcher) -> None:
    r = matcher.match("福民新村3-2-501")
    assert _best(r) == B3 and r.remainder == "2单元501"


@pytest.mark.parametrize("text", ["福山村东一巷3号", "福山村东1巷3号", "福山村 东一巷-3号", "福山东一巷3号"])
def test_village_lane_houses(matcher: AddressMatcher, text: str) -> None:
    assert _best(matcher.match(text)) == FS + "B00010", text


def test_compound_after_door_with_typo(matcher: AddressMatcher) -> None:
    # The trailing, misspelled compound is preferred over stopping at the door.
    r = matcher.match("福民路123号福民新")
    assert _best(r) == FS + "C001"
    assert "door 123号" in r.explanation


def test_demo_library_accuracy(geography: DemoGeography) -> None:
    """The matcher on the generated library of one district and the generator's noisy variants."""
    lib = build_demo_library(geography)
    m = AddressMatcher.build(lib.divisions, lib.addresses)
    variants = make_variants(lib, 2000, seed=11)
    results = m.match_batch([v.text for v in variants])
    at1 = sum(r.best is not None and r.best.code == v.target_code for r, v in zip(results, variants, strict=True))
    at5 = sum(any(c.code == v.target_code for c in r.candidates) for r, v in zip(results, variants, strict=True))
    confident_wrong = sum(
        not r.needs_review and (r.best is None or r.best.code != v.target_code)
        for r, v in zip(results, variants, strict=True)
    )
    assert at1 / len(variants) >= 0.97
    assert at5 / len(variants) >= 0.98
    assert confident_wrong / len(variants) <= 0.01


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("第11网格附近", "第11网格"),
        ("网格门口旁边", "网格"),  # several locating words in a row
        ("附近", ""),
        ("路口村", "路口村"),  # a locating word inside a name, not at its end
        ("锦绣花园", "锦绣花园"),
    ],
)
def test_fuzzy_fallback_ignores_trailing_locating_words(text: str, kept: str) -> None:
    t = "前缀" + text
    assert t[2 : before_assist(t, 2, len(t))] == kept
