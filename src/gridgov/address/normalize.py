"""Address text normalization (pure): full-width characters, Chinese numerals, building words, noise.

Used on both sides of matching (the library's names and the user's text) so that they meet in one form:

* full-width letters, digits and symbols become half-width (NFKC); a few traditional forms (號, 棟, 樓,
  層...) become simplified; letters are upper-cased;
* control characters, symbols (emoji included), whitespace and punctuation are dropped; dashes are kept
  as a single ``-`` (``12-3-1001`` carries building, unit and room);
* Chinese numerals in front of 号/栋/幢/座/楼/单元/层/室/户/弄/巷/期/区 become digits (一百二十三号 → 123号,
  三栋 → 3栋, 十二层 → 12层, 东一巷 → 东1巷);
* building words meet in 栋: 3幢, 3座, 3号楼, 3号栋, 3#, 3#楼, 第3栋 → 3栋 (``A座`` is left alone, and
  ``12号楼下``/``12号楼道`` keep their 号);
* the result never exceeds 300 characters, and no input makes it raise.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_LENGTH", "cn_to_int", "normalize", "to_halfwidth"]

MAX_LENGTH = 300
_MAX_INPUT = 4096  # longer input is cut first, so the work stays bounded
_MAX_NUMERAL = 20  # longer runs of numeral characters are not read as numbers

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_TEN_THOUSAND = "万"
_MARKERS = "号|栋|幢|座|楼|单元|层|室|户|弄|巷|期|区|#"
_CN_NUM = re.compile(rf"(?<![零〇○一二两三四五六七八九十百千万])[零〇○一二两三四五六七八九十百千万]+(?={_MARKERS})")
_HASH_BUILDING = re.compile(r"(?<!\d)(\d+)#(?:号楼|楼|栋|幢)?")
_BUILDING = re.compile(r"(?<!\d)(\d+)(?:号楼(?![下上梯道顶])|号栋|幢|座|栋)")
_ORDINAL = re.compile(r"第(?=\d+(?:栋|单元|层|期))")
_DASHES = re.compile(r"-{2,}")
_TRADITIONAL = str.maketrans(
    {
        "號": "号",
        "棟": "栋",
        "樓": "楼",
        "層": "层",
        "單": "单",
        "區": "区",
        "廈": "厦",
        "門": "门",
        "廣": "广",
        "場": "场",
        "灣": "湾",
        "華": "华",
        "園": "园",
        "龍": "龙",
    }
)


def cn_to_int(text: str) -> int | None:
    """一百二十三 → 123, 二十 → 20, 十五 → 15, 一万零五 → 10005, 一二三 → 123 (digit by digit when there
    are no units); None when ``text`` is not a Chinese numeral or longer than 20 characters."""
    if not text or len(text) > _MAX_NUMERAL:
        return None
    if not any(ch in _CN_UNITS or ch == _CN_TEN_THOUSAND for ch in text):
        digits = [_CN_DIGITS.get(ch) for ch in text]
        if any(d is None for d in digits):
            return None
        return int("".join(str(d) for d in digits))
    total, section, current = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (current or 1) * _CN_UNITS[ch]
            current = 0
        elif ch == _CN_TEN_THOUSAND:
            total += (section + current or 1) * 10000
            section, current = 0, 0
        else:
            return None
    return total + section + current


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and symbols to their half-width forms (NFKC)."""
    return unicodedata.normalize("NFKC", text)


def _numeral(match: re.Match[str]) -> str:
    value = cn_to_int(match.group(0))
    return match.group(0) if value is None else str(value)


def _keep(ch: str, keep_punct: bool) -> str:
    """The character, '-' for a dash, or '' when it is dropped."""
    category = unicodedata.category(ch)
    head = category[0]
    if head in ("C", "S", "Z") or ch.isspace():
        return ""
    if head == "P":
        if category == "Pd" or ch == "-":
            return "-"
        if ch == "#" or keep_punct:
            return ch
        return ""
    return ch


class _KeepTable(dict[int, str]):
    """str.translate table built as characters are met: each character's fate (kept, '-' or dropped) is
    worked out once."""

    def __init__(self, keep_punct: bool) -> None:
        super().__init__()
        self.keep_punct = keep_punct

    def __missing__(self, code: int) -> str:
        kept = self[code] = _keep(chr(code), self.keep_punct)
        return kept


_KEEP = {False: _KeepTable(False), True: _KeepTable(True)}


def normalize(text: str, *, keep_punct: bool = False) -> str:
    """Canonical form for matching. Never raises: any string (empty, emoji, 2,000 characters, control
    characters, markup) comes back as a plain string of at most 300 characters."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    s = to_halfwidth(text[:_MAX_INPUT]).translate(_TRADITIONAL)
    s = s.translate(_KEEP[keep_punct])
    s = _CN_NUM.sub(_numeral, s)
    s = _HASH_BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    if not keep_punct and "#" in s:
        s = _CN_NUM.sub(_numeral, s.replace("#", ""))  # a dropped '#' may join a numeral to its word
    s = _BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    s = _ORDINAL.sub("", s)
    s = _DASHES.sub("-", s).strip("-")
    return s.upper()[:MAX_LENGTH]


_DIGIT_CHARS = "零一二三四五六七八九"


def int_to_cn(number: int) -> str:
    """0..9999 in Chinese numerals: 3→三, 12→十二, 105→一百零五, 2020→二千零二十 (10000 and up stay digits)."""
    if number == 0:
        return "零"
    if number >= 10000:
        return str(number)
    parts: list[str] = []
    units = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
    zero_pending = False
    for value, unit in units:
        digit, number = divmod(number, value)
        if digit == 0:
            if parts:
                zero_pending = True
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        if value == 10 and digit == 1 and not parts:
            parts.append("十")
        else:
            parts.append(_DIGIT_CHARS[digit] + unit)
    return "".join(parts)
