"""Phone and ID numbers in free text: found, masked like the structured fields, the rest left alone."""

from __future__ import annotations

import pytest

from gridgov.common.pii_text import find_pii, id_check_digit_ok, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("联系人电话13812345678，请回电", "联系人电话138****5678，请回电"),
        ("电话 138-1234-5678", "电话 138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("座机0755-83456789", "座机0755-****6789"),
        ("全角１３８１２３４５６７８", "全角１３８****５６７８"),
        ("身份证11010519491231002X", "身份证110105********002X"),
        ("张三 440304199001011233 住", "张三 440304********1233 住"),
    ],
)
def test_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert len(mask_text(text)) == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "事件编号 2026120600001234 已受理",  # a case number: 16 digits
        "订单 440304199001011234",  # looks like an ID number, but its check digit is wrong
        "12345 热线转办，门牌 123 号",
        "坐标 114.0579, 22.5431",
        "流水号 213812345678901",  # a phone number inside a longer run of digits is not one
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert find_pii(text) == []
    assert mask_text(text) == text


def test_id_check_digit() -> None:
    assert id_check_digit_ok("11010519491231002X")
    assert not id_check_digit_ok("110105194912310020")
