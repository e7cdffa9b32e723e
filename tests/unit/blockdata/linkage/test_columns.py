"""The column-wise rules (columns.py, what records.prepare runs on a million rows) give the same answers as the
one-value rules of chinese.py, missing cells included."""

from __future__ import annotations

import pandas as pd

from gridgov.blockdata.linkage import chinese, columns, records

IDS = [
    "11010519491231002X",
    "11010519491231002x",
    " 1101０5 19491231002X ",
    "110105194912310021",  # wrong check character
    "110105194913310028",  # no 13th month
    "12345",
    None,
    "",
]
PHONES = ["+86 139-0000-1111", "8613900001111", "１３９００００１１１１", "123", None, "0755-8888 6666"]
NAMES = ["张 伟", "欧阳·娜娜", "章玮", "ＡＢ", None, " "]


def _values(series: pd.Series) -> list[object]:
    return records.with_none(series.to_frame("v"))["v"].tolist()


def test_id_numbers_validity_birth_date_and_sex_match_the_one_value_rules() -> None:
    ids = columns.id_numbers(pd.Series(IDS, name="id"))
    assert _values(ids) == [chinese.normalize_id_number(v) for v in IDS]
    valid, dob, sex = columns.id_facts(ids)
    expected = [chinese.id_is_valid(v) for v in IDS]
    assert valid.tolist() == expected == [True, True, True, False, False, False, False, False]
    births = [chinese.id_birth_date(v) for v in IDS]
    assert _values(dob) == [b.isoformat() if ok and b else None for b, ok in zip(births, expected, strict=True)]
    assert _values(sex) == [chinese.id_sex(v) if ok else None for v, ok in zip(IDS, expected, strict=True)]


def test_phones_names_and_pinyin_match_the_one_value_rules() -> None:
    assert _values(columns.phones(pd.Series(PHONES, name="p"))) == [chinese.normalize_phone(v) for v in PHONES]
    names = columns.names(pd.Series(NAMES, name="n"))
    assert _values(names) == [chinese.normalize_name(v) for v in NAMES]
    keys = _values(columns.pinyin_keys(names))
    assert keys == [chinese.pinyin_key(str(v)) if v else None for v in _values(names)]
    assert keys[0] == keys[2] == "zhang wei"
    swapped = _values(columns.sorted_characters(names))
    assert swapped == [chinese.sorted_characters(str(v)) if v else None for v in _values(names)]


def test_stated_dates_in_any_form_become_iso() -> None:
    out = columns.dates(pd.Series(["1985-06-12", "1985/6/12", "19850612", "不详", None], name="d"))
    assert _values(out) == ["1985-06-12", "1985-06-12", "1985-06-12", None, None]
