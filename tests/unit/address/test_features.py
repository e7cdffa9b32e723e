"""The shared NCAP tokenizer and the token forms the CRF and the BiLSTMs see."""

from __future__ import annotations

import re

import pytest

from gridgov.address.features import norm_token, token_type, tokenize, tokenize_with_spans


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("福民路123号", ["福", "民", "路", "123", "号"]),
        ("A座1203室", ["A", "座", "1203", "室"]),
        ("12-3-1001", ["12", "-", "3", "-", "1001"]),
        ("ABC12de", ["ABC", "12", "de"]),
        ("３栋", ["３", "栋"]),  # full-width digits are not ASCII: one token each
        ("１２", ["１", "２"]),
        ("投诉：3#  楼下！", ["投", "诉", "：", "3", "#", "楼", "下", "！"]),
        ("  \t\u3000 ", []),
        ("", []),
        ("711便利店", ["711", "便", "利", "店"]),
        ("😀x", ["😀", "x"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_tokenize_keeps_all_non_space_characters() -> None:
    text = "深圳市 福田区，福民路１２３号B座 5楼501室!!"
    assert "".join(tokenize(text)) == re.sub(r"\s", "", text)


def test_spans_are_the_tokens_offsets() -> None:
    text = "福民路 12号,A座"
    spans = tokenize_with_spans(text)
    assert [t for t, _, _ in spans] == tokenize(text)
    assert all(text[s:e] == t for t, s, e in spans)


@pytest.mark.parametrize(
    ("token", "norm", "kind"),
    [("123", "#D3", "digit"), ("123456", "#D+", "digit"), ("ab", "AB", "alpha"), ("abc", "#A", "alpha"),
     ("福", "福", "han"), ("三", "三", "cnnum"), ("，", "，", "punct"), ("３", "３", "digit"), ("-", "-", "punct")],
)  # fmt: skip
def test_token_forms(token: str, norm: str, kind: str) -> None:
    assert (norm_token(token), token_type(token)) == (norm, kind)
