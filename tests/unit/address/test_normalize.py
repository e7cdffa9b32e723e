"""Address text normalization: numerals, building words, width, noise, and robustness."""

from __future__ import annotations

import random

import pytest

from gridgov.address.normalize import MAX_LENGTH, cn_to_int, normalize, to_halfwidth


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一百二十三", 123),
        ("二十", 20),
        ("十五", 15),
        ("十", 10),
        ("一百零五", 105),
        ("两千零二十", 2020),
        ("三千", 3000),
        ("一万零五", 10005),
        ("一二三", 123),
        ("零", 0),
        ("〇七", 7),
        ("五零一", 501),
        ("", None),
        ("三a", None),
        ("福田", None),
        ("一" * 21, None),
        ("一" * 5000, None),
    ],
)
def test_cn_to_int(text: str, value: int | None) -> None:
    assert cn_to_int(text) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Chinese numerals before number words
        ("一百二十三号", "123号"),
        ("福民路一百二十三号", "福民路123号"),
        ("三栋", "3栋"),
        ("十二层", "12层"),
        ("二单元", "2单元"),
        ("五楼", "5楼"),
        ("五零一室", "501室"),
        ("东一巷三号", "东1巷3号"),
        ("二期", "2期"),
        ("新洲一路", "新洲一路"),  # 路 is not a number word: road names keep their numerals
        ("一路向西", "一路向西"),
        # building words
        ("3幢", "3栋"),
        ("3座", "3栋"),
        ("3号楼", "3栋"),
        ("3号栋", "3栋"),
        ("3#", "3栋"),
        ("3#楼", "3栋"),
        ("3 # 楼", "3栋"),
        ("三号楼", "3栋"),
        ("三幢", "3栋"),
        ("三#", "3栋"),
        ("第3栋", "3栋"),
        ("第三栋", "3栋"),
        ("第一网格", "第一网格"),
        ("A座", "A座"),  # 座 after a letter stays
        ("a座", "A座"),
        ("B栋", "B栋"),
        ("12号楼下", "12号楼下"),  # 12号 + 楼下 (downstairs) keeps its 号
        ("12号楼道", "12号楼道"),
        ("12号楼梯口", "12号楼梯口"),
        ("3栋楼下", "3栋楼下"),
        ("福民新村3栋2单元501", "福民新村3栋2单元501"),
        ("12-3-1001", "12-3-1001"),
        ("12——3—1001", "12-3-1001"),
        # full width, traditional forms
        ("３栋", "3栋"),
        ("福民路１２３号", "福民路123号"),
        ("Ａ座１２０３室", "A座1203室"),
        ("福民路123號", "福民路123号"),
        ("3棟", "3栋"),
        ("３＃", "3栋"),
        # spaces and punctuation
        ("  福 民 路，123号!!", "福民路123号"),
        ("深圳市　福田区\t福民路\n123号", "深圳市福田区福民路123号"),
        ("（福民新村）【3栋】", "福民新村3栋"),
        ("福民新村·东区", "福民新村东区"),
        ("--福民路--", "福民路"),
        ("#", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_keep_punct() -> None:
    assert normalize("福民路，123号（东门）", keep_punct=True) == "福民路,123号(东门)"
    assert normalize(" 3 # ", keep_punct=True) == "3栋"


def test_to_halfwidth() -> None:
    assert to_halfwidth("ＡＢＣ１２３＃　") == "ABC123# "


@pytest.mark.parametrize(
    "text",
    [
        "",
        "福" * 2000,
        "😀🏠🚧" * 50 + "福民路",
        "\x00\x01\x02\x07\x1b[31m福民路\x7f\u200b\u200d\ufeff",
        "\ud800\udfff孤立代理",
        "'; DROP TABLE addresses; --",
        "<script>alert('x')</script>福民路123号",
        '<a href="javascript:alert(1)">3栋</a>',
        "%s%n%x{0}${jndi:ldap://x}",
        "\u202e\u2066反向文本",
        "ﷺ﷽" * 100,
        "一" * 3000 + "号",
        "一" * 20 + "号" + "三" * 21 + "栋",
        "9" * 5000,
        "   ",
        "\r\n\t",
    ],
)
def test_never_raises_and_is_bounded(text: str) -> None:
    result = normalize(text)
    assert isinstance(result, str)
    assert len(result) <= MAX_LENGTH
    assert not any(ch.isspace() or ord(ch) < 32 or ch in "<>'\";%{}$" for ch in result)
    assert normalize(result) == result


def test_non_string_input() -> None:
    assert normalize(None) == ""  # type: ignore[arg-type]
    assert normalize(123) == "123"  # type: ignore[arg-type]


def test_markup_and_sql_are_flattened() -> None:
    assert normalize("<script>alert(1)</script>") == "SCRIPTALERT1SCRIPT"
    assert normalize("'; DROP TABLE x;--") == "DROPTABLEX"
    assert normalize("😀福田区\x00\x07") == "福田区"


def test_long_input_keeps_the_start() -> None:
    text = "福民路123号" + "噪" * 2000
    assert normalize(text).startswith("福民路123号")
    assert len(normalize(text)) == MAX_LENGTH


def test_idempotent_on_random_text() -> None:
    rng = random.Random(1)
    alphabet = "福民路号栋幢座楼单元层室巷一二三十百零两#-—，。 　３Ａa0123456789（）😀\x00" + "东西南北"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        once = normalize(text)
        assert normalize(once) == once, text
        assert len(once) <= MAX_LENGTH
