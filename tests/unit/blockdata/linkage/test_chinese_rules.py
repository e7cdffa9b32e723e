from __future__ import annotations

from datetime import date

from gridgov.blockdata.linkage import chinese


def test_id_checksum_valid_invalid_and_lower_case_x() -> None:
    assert chinese.id_is_valid("11010519491231002X")
    assert chinese.id_is_valid("11010519491231002x")  # lower-case x is the same check character
    assert not chinese.id_is_valid("110105194912310021")  # wrong check character
    assert not chinese.id_is_valid("11010519491331002X")  # month 13
    assert not chinese.id_is_valid("1101051949123100")  # too short
    assert not chinese.id_is_valid(None)


def test_id_encodes_birth_date_and_sex() -> None:
    assert chinese.id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert chinese.id_sex("11010519491231002X") == "F"
    assert chinese.id_sex("440304199001011239") == "M"


def test_homophones_share_the_pinyin_key_and_swaps_the_sorted_characters() -> None:
    assert chinese.pinyin_key("张伟") == chinese.pinyin_key("章玮") == "zhang wei"
    assert chinese.pinyin_key("张伟") != chinese.pinyin_key("张为民")
    assert chinese.sorted_characters("王小明") == chinese.sorted_characters("王明小")


def test_names_and_phones_are_normalised() -> None:
    assert chinese.normalize_name(" 阿依 · 古丽 ") == "阿依古丽"
    assert chinese.normalize_name("  ") is None
    assert chinese.normalize_phone("+86 139-1234-5678") == "13912345678"
    assert chinese.normalize_phone("123") is None
