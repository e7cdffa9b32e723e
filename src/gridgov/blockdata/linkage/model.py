"""The Splink model of a person: Chinese-aware comparisons, the blocking rules that find candidate pairs, and the
rules EM trains on. Plain settings dictionaries (Splink's own JSON format), so a trained model saves as JSON."""

from __future__ import annotations

import json
from typing import Any, Final

MATCH_THRESHOLD: Final = 0.9  # match probability at or above which a pair is one person


def _null(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": f"{column} 缺失",
        "is_null_level": True,
    }


def _one_off(column: str) -> str:
    """One character different in values of the same length (hamming: fast; DuckDB's damerau_levenshtein is about
    fifty times slower and made model training take most of a run)."""
    return f"length({column}_l) = length({column}_r) AND hamming({column}_l, {column}_r) <= 1"


def _level(sql: str, label: str, *, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "其他"}

NAME = {
    "output_column_name": "name",
    "comparison_description": "姓名：全同 / 同音 / 字序颠倒 / 拼音相近 / 一字之差",
    "comparison_levels": [
        _null("name"),
        _level("name_l = name_r", "姓名相同", tf="name"),
        _level("name_py_l = name_py_r", "同音（拼音相同）"),
        _level("name_sorted_l = name_sorted_r", "字序颠倒"),
        _level("jaro_winkler_similarity(name_py_l, name_py_r) >= 0.92", "拼音相近"),
        _level("levenshtein(name_l, name_r) <= 1", "一字之差"),
        _ELSE,
    ],
}

ID_NUMBER = {
    "output_column_name": "id_number",
    "comparison_description": "身份证号：相同且校验通过 / 相同 / 一位之差",
    "comparison_levels": [
        _null("id_number"),
        _level("id_number_l = id_number_r AND id_valid_l", "身份证号相同且校验通过"),
        _level("id_number_l = id_number_r", "身份证号相同但校验不通过"),
        _level(_one_off("id_number"), "身份证号一位之差"),
        _ELSE,
    ],
}

DOB = {
    "output_column_name": "dob",
    "comparison_description": "出生日期（身份证号推出者优先）：相同 / 一位之差 / 同年",
    "comparison_levels": [
        _null("dob"),
        _level("dob_l = dob_r", "出生日期相同"),
        _level(_one_off("dob"), "出生日期一位之差"),
        _level("dob_year_l = dob_year_r", "出生年份相同"),
        _ELSE,
    ],
}

SEX = {
    "output_column_name": "sex",
    "comparison_description": "性别",
    "comparison_levels": [_null("sex"), _level("sex_l = sex_r", "性别相同"), _ELSE],
}

PHONE = {
    "output_column_name": "phone",
    "comparison_description": "电话：相同 / 一位之差",
    "comparison_levels": [
        _null("phone"),
        _level("phone_l = phone_r", "电话相同"),
        _level(_one_off("phone"), "电话一位之差"),
        _ELSE,
    ],
}

ADDRESS = {
    "output_column_name": "address_code",
    "comparison_description": "地址编码层级：同一地址 / 同社区 / 同街道 / 同区",
    "comparison_levels": [
        _null("address_code"),
        _level("address_code_l = address_code_r", "同一标准地址"),
        _level("addr_12_l = addr_12_r", "同一社区"),
        _level("addr_9_l = addr_9_r", "同一街道"),
        _level("addr_6_l = addr_6_r", "同一区"),
        _ELSE,
    ],
}

# Candidate pairs: each rule is cheap on its own (an equality join); together they reach the pairs that lost one
# field each (no ID, a homophone, swapped characters, a moved address, a new phone).
BLOCKING_RULES: Final = [
    "l.id_number = r.id_number",
    "l.name_py = r.name_py AND l.dob = r.dob",
    "l.name_sorted = r.name_sorted AND l.dob = r.dob",
    "l.phone = r.phone AND l.dob_year = r.dob_year",
    "l.dob = r.dob AND l.address_code = r.address_code",
]

# EM sessions: each fixes what its rule blocks on and trains the rest.
TRAINING_RULES: Final = [
    "l.id_number = r.id_number",
    "l.name_py = r.name_py AND l.dob = r.dob",
]
# Pairs that agree on these are (nearly) always the same person: they estimate how common matches are.
DETERMINISTIC_RULES: Final = ["l.id_number = r.id_number AND l.id_valid"]


# Spark has no hamming; on values of equal length a Levenshtein distance of 1 is the same test.
_FUNCTIONS: Final = {"spark": {"jaro_winkler_similarity(": "jaro_winkler(", "hamming(": "levenshtein("}}


def for_dialect(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The same model with its SQL functions named as the backend names them (DuckDB's names are the source)."""
    text = json.dumps(settings)
    for duckdb_name, name in _FUNCTIONS.get(dialect, {}).items():
        text = text.replace(duckdb_name, name)
    out: dict[str, Any] = json.loads(text)
    if "sql_dialect" in out:
        out["sql_dialect"] = dialect
    return out


def person_settings(*, link_type: str = "dedupe_only") -> dict[str, Any]:
    """The untrained person model."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-6,
        "comparisons": [NAME, ID_NUMBER, DOB, SEX, PHONE, ADDRESS],
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
        "additional_columns_to_retain": ["source"],
    }
