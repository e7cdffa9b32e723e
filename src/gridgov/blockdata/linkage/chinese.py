"""Pure rules for Chinese person records: 身份证号 (GB 11643) checksum and what it encodes, name normal forms and
the pinyin key that makes homophones (张伟 / 章伟) agree. No I/O."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_NAME_NOISE = re.compile(r"[\s·•・.．\-]")


def normalize_id_number(raw: str | None) -> str | None:
    """Upper-case, half-width, without spaces; None when empty."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "").upper()
    return text or None


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_is_valid(id_number: str | None) -> bool:
    """18 characters, a real birth date and the right check character (a lower-case x is accepted)."""
    value = normalize_id_number(id_number)
    if value is None or not _ID_SHAPE.match(value):
        return False
    return id_birth_date(value) is not None and id_check_char(value[:17]) == value[17]


def id_birth_date(id_number: str | None) -> date | None:
    """The birth date encoded in positions 7-14, or None when it is not a date."""
    value = normalize_id_number(id_number)
    if value is None or len(value) != 18 or not value[6:14].isdigit():
        return None
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def id_sex(id_number: str | None) -> str | None:
    """'M' or 'F' from the 17th digit (odd is male)."""
    value = normalize_id_number(id_number)
    if value is None or len(value) != 18 or not value[16].isdigit():
        return None
    return "M" if int(value[16]) % 2 else "F"


def normalize_name(raw: str | None) -> str | None:
    """NFKC, without spaces and the middle dots of transliterated names; None when empty."""
    if raw is None:
        return None
    text = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", str(raw)))
    return text or None


@lru_cache(maxsize=20_000)
def char_pinyin(char: str) -> str:
    """The toneless pinyin of one character (its commonest reading, the same whatever name it stands in)."""
    return (lazy_pinyin(char, style=Style.NORMAL, errors="default") or [char])[0]


def pinyin_key(name: str) -> str:
    """Toneless pinyin syllables, one per character, joined by spaces: homophones share it (张伟 and 章伟 are both
    'zhang wei'). Character by character, so a name reads the same whatever phrase its characters could form."""
    return " ".join(char_pinyin(c) for c in name)


def sorted_characters(name: str) -> str:
    """The name's characters in code-point order: a swap of two characters (王小明 / 王明小) keeps it."""
    return "".join(sorted(name))


def normalize_phone(raw: str | None) -> str | None:
    """Digits only, without a +86/86 prefix; None when fewer than 7 digits remain."""
    if raw is None:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(raw)))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else None
