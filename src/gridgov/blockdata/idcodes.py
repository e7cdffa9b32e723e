"""Pure rules for the identifiers on department records: the 居民身份证号 (GB 11643: checksum, birth date,
sex), the 统一社会信用代码 (GB 32100), other ID documents and phone numbers. No I/O.

The checksums are python-stdnum's (`stdnum.cn.ric`, `stdnum.cn.uscc`); this module adds what the records need
from them (sex, birth date, normalised forms) and says what is wrong in Chinese."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from gridgov.common.security import normalize_phone

_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)} | {ord("Ｘ"): ord("X"), ord("ｘ"): ord("X")}
_FULLWIDTH_LETTERS = {ord("Ａ") + i: ord("A") + i for i in range(26)} | {ord("ａ") + i: ord("A") + i for i in range(26)}


class CodeError(ValueError):
    """A code that does not pass its rules; the message is Chinese and names what is wrong."""


@dataclass(frozen=True)
class ResidentId:
    number: str  # 18 characters, an upper-case X as check character
    birth_date: date
    sex: str  # "M" | "F"
    region: str  # the 6-digit 行政区划代码 of first registration


def normalize_resident_id(value: str) -> str:
    """Full-width digits, spaces and a lower-case x are accepted and normalised."""
    return "".join(value.translate(_FULLWIDTH).split()).upper()


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Check a 18-digit 居民身份证号 (GB 11643-1999): format, birth date, check character."""
    number = normalize_resident_id(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise CodeError("身份证号应为 18 位（前 17 位数字，末位数字或 X）")
    try:  # what stdnum's get_birth_date reads, without its strptime (the import checks every row)
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise CodeError("身份证号中的出生日期无效") from exc
    if born < date(1900, 1, 1) or born > (today or date.today()):
        raise CodeError("身份证号中的出生日期无效")
    if number[-1] != ric.calc_check_digit(number):
        raise CodeError("身份证号校验位错误")
    # stdnum's validate also wants the county to have existed in the birth year (a lookup of about 1.5 ms); a
    # number keeps the code of its first registration and records of renamed counties are common, so a code
    # known at any time is accepted — looked up once per code
    if not _known_region(number[:6]):
        raise CodeError("身份证号前 6 位不是有效的行政区划代码")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number, born, sex, number[:6])


@lru_cache(maxsize=16_384)
def _known_region(code: str) -> bool:
    from stdnum import numdb

    return any(props for _part, props in numdb.get("cn/loc").info(code))


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits (for generators and tests)."""
    return str(ric.calc_check_digit(first17 + "0"))  # stdnum's takes the number with a check place


def normalize_uscc(value: str) -> str:
    return "".join(value.translate(_FULLWIDTH).translate(_FULLWIDTH_LETTERS).split()).upper()


def parse_uscc(value: str) -> str:
    """Check a 统一社会信用代码 (GB 32100-2015): 18 characters of the code's alphabet and the check character."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise CodeError("统一社会信用代码应为 18 位")
    try:
        uscc.validate(code)
    except stdnum_errors.InvalidChecksum as exc:
        raise CodeError("统一社会信用代码校验位错误") from exc
    except stdnum_errors.ValidationError as exc:
        raise CodeError("统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）") from exc
    return code


def uscc_check_char(first17: str) -> str:
    return str(uscc.calc_check_digit(first17))


# ID document types other than the resident card, each with the shape of its number.
ID_TYPES: dict[str, tuple[str, str]] = {
    "resident": ("居民身份证", r"\d{17}[\dX]"),
    "passport": ("护照", r"[A-Z]{1,2}\d{7,8}|[A-Z]\d{7,8}|[A-Z0-9]{6,9}"),
    "hk_macao_permit": ("港澳居民来往内地通行证", r"[HM]\d{8}(\d{2})?"),
    "taiwan_permit": ("台湾居民来往大陆通行证", r"\d{8}(\d{2})?"),
    "foreign_permanent": ("外国人永久居留身份证", r"[A-Z]{3}\d{12}|9\d{17}"),
}
ID_TYPE_LABELS: dict[str, str] = {"居民身份证": "resident", "身份证": "resident", "护照": "passport"} | {
    label: key for key, (label, _pattern) in ID_TYPES.items()
}
ID_TYPE_LABELS |= {"港澳通行证": "hk_macao_permit", "回乡证": "hk_macao_permit", "台胞证": "taiwan_permit"}


def id_type_of(value: str) -> str:
    """The machine value of an ID type given as a value or a Chinese label; empty is the resident card."""
    text = value.strip()
    if not text:
        return "resident"
    if text in ID_TYPES:
        return text
    if text in ID_TYPE_LABELS:
        return ID_TYPE_LABELS[text]
    raise CodeError(f"证件类型应为 {'、'.join(label for label, _ in ID_TYPES.values())} 之一")


def normalize_document(id_type: str, value: str) -> str:
    """Check a document number against its type's shape (the resident card also by its checksum)."""
    if id_type == "resident":
        return parse_resident_id(value).number
    number = "".join(value.translate(_FULLWIDTH).translate(_FULLWIDTH_LETTERS).split()).upper().replace("-", "")
    label, pattern = ID_TYPES[id_type]
    if not re.fullmatch(pattern, number):
        raise CodeError(f"{label}号码格式不正确")
    return number


_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def parse_phone(value: str) -> str:
    """A mobile (11 digits) or a landline with its area code; full-width digits, spaces, dashes and +86 / 0086
    are accepted and normalised."""
    s = normalize_phone(value).replace("(", "").replace(")", "").replace("（", "").replace("）", "")
    if s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if _MOBILE.fullmatch(s) or _LANDLINE.fullmatch(s):
        return s
    raise CodeError("电话号码应为 11 位手机号或带区号的固定电话")


def mask_document(number: str) -> str:
    """4403**********1234: the first four and the last four characters of a long number, else the last two."""
    if len(number) >= 12:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    if len(number) > 4:
        return "*" * (len(number) - 2) + number[-2:]
    return "*" * len(number)
