"""The matcher's text rules (pure): its normalization on top of :func:`~gridgov.address.normalize.normalize`
(``A座``/``A塔`` → ``A栋``, ``號``), the patterns of house, building, unit, floor and room numbers it reads
after a name, and the trimming of vague locating words."""

from __future__ import annotations

import re
from typing import Final

from gridgov.address.features import ASSIST_WORDS
from gridgov.address.normalize import normalize

__all__ = [
    "DASH_TAIL",
    "DOOR_AFTER",
    "DOOR_AS_BUILDING",
    "DOOR_TOKEN",
    "LANE_TOKEN",
    "MAX_INPUT_CHARS",
    "TAIL",
    "before_assist",
    "building_tokens",
    "is_han",
    "normalize_address",
    "normalize_long",
    "numbered_building",
]

MAX_INPUT_CHARS = 1000  # longer input is cut (a complaint rarely names its address after this)
_CHUNK: Final = 256  # normalize() bounds its output; long texts are normalized in chunks

_LETTER_BUILDING = re.compile(r"(?<![A-Z])([A-Z]\d{0,2})(?:座|号楼|楼|幢|栋|塔)")
_BUILDING_TOKEN = re.compile(r"第?((?:[A-Z]?\d+[A-Z]?)|[A-Z])栋")
# Village houses numbered along lanes: 东一巷3号 (normalized 东1巷3号).
LANE_TOKEN = re.compile(r"([东西南北中]\d{1,2}巷)-?(\d{1,4}号)")
# building-unit-room shorthand: 16-3-707.
_DASH_BUILDING = re.compile(r"(?<![\d-])(\d{1,3})-(\d{1,2})-(\d{3,4})(?![\d-])")
# normalize() turns a building's 号楼 into 栋 but keeps 号楼下/号楼道 (the door's stairs, "downstairs").
DOOR_AFTER = re.compile(r"-?(\d{1,5}(?:-\d{1,4})?)(?:号(?!栋)|(?![\d栋单元层楼室座巷A-Z号-]))")
# After a road, "12栋" can only be a house number written as a building ("12号楼").
DOOR_AS_BUILDING = re.compile(r"-?(\d{1,5})栋")
DOOR_TOKEN = re.compile(r"(?<![\dA-Z巷-])(\d{1,5}(?:-\d{1,4})?)号(?!栋)")
TAIL = re.compile(r"-?((?:(\d{1,3})单元)?-?(?:(\d{1,3})(?:层|楼|F))?-?(?:(\d{1,5})(?:号房|室|房|户|号)?)?)")
DASH_TAIL = re.compile(r"-(\d{1,2})-(\d{3,4})(?![\d-])")


def normalize_address(text: str) -> str:
    """``normalize`` plus the matcher's own rules; used on both the library and the input side."""
    s = normalize(text.replace("號", "号") if "號" in text else text)
    if "座" in s or "楼" in s or "幢" in s or "塔" in s:
        s = _LETTER_BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    return s


def normalize_long(text: str) -> str:
    text = text[:MAX_INPUT_CHARS]
    if len(text) <= _CHUNK:
        return normalize_address(text)
    return "".join(normalize_address(text[i : i + _CHUNK]) for i in range(0, len(text), _CHUNK))


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def numbered_building(key: str) -> bool:
    return _BUILDING_TOKEN.fullmatch(key) is not None or LANE_TOKEN.fullmatch(key) is not None


def building_tokens(t: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every building number in the text: 3栋, A栋, 东1巷3号, 16(-3-707)."""
    out: list[tuple[int, int, str]] = []
    if "栋" in t:
        out.extend((m.start(), m.end(), f"{m.group(1)}栋") for m in _BUILDING_TOKEN.finditer(t))
    if "巷" in t:
        out.extend((m.start(), m.end(), m.group(1) + m.group(2)) for m in LANE_TOKEN.finditer(t))
    if "-" in t:
        out.extend((m.start(), m.end(1), f"{m.group(1)}栋") for m in _DASH_BUILDING.finditer(t))
    if len(out) > 1:
        out.sort()
    return out


_ASSIST_BY_LAST: dict[str, tuple[str, ...]] = {}
for _word in ASSIST_WORDS:  # in ASSIST_WORDS order: the first word that fits is the one trimmed
    _ASSIST_BY_LAST[_word[-1]] = (*_ASSIST_BY_LAST.get(_word[-1], ()), _word)


def before_assist(t: str, start: int, end: int) -> int:
    """End of t[start:end] without the vague locating words (附近, 门口, 旁边 …) it ends with."""
    while end > start:
        for word in _ASSIST_BY_LAST.get(t[end - 1], ()):
            if end - len(word) >= start and t.startswith(word, end - len(word)):
                end -= len(word)
                break
        else:
            return end
    return end
