"""The person records the pipeline reads, and their preparation into Splink's input.

Input columns of a person-record DataFrame (one row per record as a department delivered it):

| column         | required | meaning                                                                          |
|----------------|----------|----------------------------------------------------------------------------------|
| record_id      | yes      | unique across every batch ever linked (e.g. "公安:2026-12:000123")               |
| source         | yes      | the delivering department ("公安", "住建", "市场监管", ...)                      |
| name           | yes      | 姓名 as delivered                                                                 |
| id_number      | no       | 身份证号 (18 characters; a lower-case x is fine; invalid ones are kept and flagged) |
| birth_date     | no       | YYYY-MM-DD as delivered (a valid 身份证号's date wins)                            |
| sex            | no       | "M"/"F" (or 男/女) as delivered (a valid 身份证号's sex wins)                     |
| phone          | no       | any formatting; digits are kept                                                  |
| address_code   | no       | hierarchical standard-address code: 6 digits 区, 9 街道, 12 社区, then building/room |
| address        | no       | the address text (carried to the golden record, not compared)                    |
| updated_at     | no       | YYYY-MM-DD the source last confirmed the record (decides "most recent" fields)     |

`prepare` adds what the comparisons read: name_py (pinyin key), name_sorted (characters sorted), id_valid,
dob (from a valid ID, else birth_date), dob_year, addr_6/addr_9/addr_12 (the code's prefixes).
"""

from __future__ import annotations

from typing import Any, Final, cast

import pandas as pd

from gridgov.blockdata.linkage import columns
from gridgov.common.errors import InvalidInput

REQUIRED: Final = ("record_id", "source", "name")
OPTIONAL: Final = ("id_number", "birth_date", "sex", "phone", "address_code", "address", "updated_at")
FIELD_LABELS: Final = {
    "record_id": "记录编号",
    "source": "来源部门",
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "sex": "性别",
    "phone": "电话",
    "address_code": "地址编码",
    "address": "地址",
    "updated_at": "更新日期",
}
_SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F"}


NONE = cast(Any, None)  # pandas-stubs do not list None among `where`'s replacements


def with_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with None for every missing cell (what Splink and the record dicts expect)."""
    return frame.astype(object).where(frame.notna(), NONE)


def check_columns(df: pd.DataFrame) -> None:
    """Refuses a frame without the required columns or with empty or repeated record ids, naming the field."""
    for column in REQUIRED:
        if column not in df.columns:
            raise InvalidInput(f"缺少必填列：{FIELD_LABELS[column]}（{column}）", field=column)
    ids = columns.text(df["record_id"])
    if ids.isna().any():
        line = int(ids.isna().to_numpy().argmax()) + 1
        raise InvalidInput(f"第 {line} 行缺少记录编号（record_id）", field="record_id")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise InvalidInput(f"记录编号重复：{repeated.iloc[0]}", field="record_id")
    names = columns.text(df["name"])
    if names.isna().any():
        line = int(names.isna().to_numpy().argmax()) + 1
        raise InvalidInput(f"第 {line} 行缺少姓名（name）", field="name")


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """The Splink input for a batch of person records: normalised fields plus the derived comparison columns
    (column-wise, see columns.py)."""
    check_columns(df)
    out = pd.DataFrame({"unique_id": columns.text(df["record_id"]), "source": columns.text(df["source"])})
    for column in OPTIONAL:
        out[column] = columns.text(
            df[column] if column in df.columns else pd.Series(None, index=df.index, dtype=object)
        )
    out["name"] = columns.names(df["name"])
    out["name_py"] = columns.pinyin_keys(out["name"])
    out["name_sorted"] = columns.sorted_characters(out["name"])
    out["id_number"] = columns.id_numbers(out["id_number"])
    valid, id_dob, id_sex = columns.id_facts(out["id_number"])
    out["id_valid"] = valid
    out["dob"] = id_dob.where(id_dob.notna(), columns.dates(out["birth_date"]))
    out["dob_year"] = out["dob"].str.slice(0, 4)
    stated_sex = out["sex"].str.upper().map(_SEX).astype(id_sex.dtype)
    out["sex"] = id_sex.where(id_sex.notna(), stated_sex)
    out["phone"] = columns.phones(out["phone"])
    code = out["address_code"]
    for width in (6, 9, 12):
        part = code.str.slice(0, width)
        out[f"addr_{width}"] = part.where(code.str.len() >= width)
    return out
