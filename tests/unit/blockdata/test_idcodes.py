"""The identifier rules: GB 11643 身份证号 (checksum, birth date, sex, lower-case x), GB 32100 统一社会信用代码,
other document types, phone normalisation and masking."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.blockdata.idcodes import (
    CodeError,
    id_type_of,
    mask_document,
    normalize_document,
    parse_phone,
    parse_resident_id,
    parse_uscc,
    resident_id_check_char,
    uscc_check_char,
)

# The standard's own example (GB 11643-1999, appendix): check character X.
EXAMPLE = "11010519491231002X"


def test_the_standard_example_is_valid_with_its_birth_date_and_sex() -> None:
    rid = parse_resident_id(EXAMPLE)
    assert rid.number == EXAMPLE
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "F"  # the 17th digit, 2, is even
    assert rid.region == "110105"


def test_lower_case_x_full_width_digits_and_spaces_are_normalised() -> None:
    assert parse_resident_id(EXAMPLE.lower()).number == EXAMPLE
    full_width = "".join(chr(ord(c) - ord("0") + ord("０")) if c.isdigit() else c for c in EXAMPLE)
    assert parse_resident_id(f" {full_width} ").number == EXAMPLE


def test_a_male_number_built_with_its_check_character() -> None:
    first17 = "44030419900101001"  # 17th digit 1: male
    number = first17 + resident_id_check_char(first17)
    rid = parse_resident_id(number)
    assert (rid.sex, rid.birth_date) == ("M", date(1990, 1, 1))


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110105194912310021", "校验位"),  # wrong check character
        ("110105194912301002X"[:18], "校验位"),  # two digits transposed
        ("11010519491331002X", "出生日期"),  # month 13
        ("11010521491231002X", "出生日期"),  # born in 2149
        ("1101051949123100", "18 位"),
        ("11010519491231002Y", "18 位"),
    ],
)
def test_invalid_resident_ids_say_what_is_wrong(number: str, message: str) -> None:
    with pytest.raises(CodeError, match=message):
        parse_resident_id(number, today=date(2026, 12, 7))


def test_uscc_checksum() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert parse_uscc("91350100m000100y43") == "91350100M000100Y43"  # lower case accepted
    with pytest.raises(CodeError, match="校验位"):
        parse_uscc("91350100M000100Y44")
    with pytest.raises(CodeError, match="18 位"):
        parse_uscc("91350100M000100Y4")
    with pytest.raises(CodeError, match="不允许的字符"):
        parse_uscc("91350100M0001OOY43")


def test_other_document_types() -> None:
    assert id_type_of("") == "resident"
    assert id_type_of("港澳通行证") == "hk_macao_permit"
    assert id_type_of("护照") == "passport"
    assert normalize_document("hk_macao_permit", "h1234567 8") == "H12345678"
    with pytest.raises(CodeError, match="港澳居民来往内地通行证号码格式"):
        normalize_document("hk_macao_permit", "X12345678")
    with pytest.raises(CodeError, match="证件类型"):
        id_type_of("驾驶证")


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("+86-139-1234-5678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("8613912345678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("0755-83211234", "075583211234"),
        ("(0755)83211234", "075583211234"),
    ],
)
def test_phones_are_normalised(raw: str, phone: str) -> None:
    assert parse_phone(raw) == phone


@pytest.mark.parametrize("raw", ["1391234567", "23912345678", "12345", "139123456789"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(CodeError, match="电话号码"):
        parse_phone(raw)


def test_masks() -> None:
    assert mask_document("440304199001011234") == "4403**********1234"
    assert mask_document("H12345678") == "*******78"
