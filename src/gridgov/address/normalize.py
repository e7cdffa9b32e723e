"""Address text normalization (pure): full-width characters, Chinese numerals, building words, noise.

Used on both sides of matching (the library's names and the user's text) so that they meet in one form.
"""

from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = re.compile(r"[零〇○一二两三四五六七八九十百千]+(?=[号栋幢座楼单元层室户弄巷期区#])")
_BUILDING = re.compile(r"(\d+)\s*(?:号楼|幢|座|栋|号栋)")
_HASH_BUILDING = re.compile(r"(\d+)#(?:楼|栋)?")
_SPACES = re.compile(r"[\s\u3000]+")
_PUNCT = re.compile(r"[,，。.;；:：!！?？、\"'“”‘’()（）\[\]【】<>《》{}|\\/~`^*+=_]+")
_MAX_LEN = 300


def cn_to_int(text: str) -> int | None:
    """一百二十三 → 123, 二十 → 20, 十五 → 15, 一二三 → 123 (digit by digit when there are no units)."""
    if not text:
        return None
    if not any(ch in _CN_UNITS for ch in text):
        digits = [_CN_DIGITS.get(ch) for ch in text]
        if any(d is None for d in digits):
            return None
        return int("".join(str(d) for d in digits))
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def to_halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalize(text: str, *, keep_punct: bool = False) -> str:
    """Canonical form for matching. Never raises: any string (emoji, 2,000 characters, control characters)
    comes back as a plain, bounded string."""
    s = to_halfwidth(text or "")
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] not in ("C", "S") or ch in "#-")
    s = _SPACES.sub("", s)
    if not keep_punct:
        s = _PUNCT.sub("", s)
    s = _CN_NUM.sub(lambda m: str(cn_to_int(m.group(0)) if cn_to_int(m.group(0)) is not None else m.group(0)), s)
    s = _BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    s = _HASH_BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    return s[:_MAX_LEN].upper()
