"""Phone and 身份证 numbers in free text (descriptions, notes, results): found and masked. Pure functions.

Found: mainland mobile numbers (1[3-9] + 9 digits, optionally +86 and spaces or dashes between the groups),
landlines with an area code (0xx(x)-xxxxxxx(x)) and 18-digit resident ID numbers whose check digit holds
(GB 11643), full-width digits included. Masked as the structured fields are: the first 3 and last 4 of a
phone, the first 6 and last 4 of an ID number."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)} | {
    ord("＋"): ord("+"),
    ord("－"): ord("-"),
    ord("Ｘ"): ord("X"),
    ord("ｘ"): ord("x"),
}
_SEP = r"[ -]?"
_MOBILE = re.compile(rf"(?<![\d+])(?:\+?86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
_ID = re.compile(r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_digit_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str  # "phone" | "id_number"


def find_pii(text: str) -> list[Found]:
    """The phone and ID numbers in `text`, by position (ID numbers first: a phone never overlaps one)."""
    plain = text.translate(_FULLWIDTH)  # one character for one: positions stay those of `text`
    found = [Found(m.start(), m.end(), "id_number") for m in _ID.finditer(plain) if id_check_digit_ok(m.group())]
    taken = [(f.start, f.end) for f in found]
    for pattern in (_MOBILE, _LANDLINE):
        for m in pattern.finditer(plain):
            if not any(m.start() < end and start < m.end() for start, end in taken):
                found.append(Found(m.start(), m.end(), "phone"))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def _mask_span(span: str, kind: str) -> str:
    digits = [i for i, ch in enumerate(span) if ch.isdigit() or ch in "Xx"]
    keep_head, keep_tail = (6, 4) if kind == "id_number" else (3, 4)
    if kind == "phone" and span.startswith("0"):
        keep_head = span.index("-")  # a landline keeps its area code
    elif kind == "phone" and len(digits) == 13:
        keep_head = 5  # +86 and the 3 first digits of the number
    hidden = set(digits[keep_head : len(digits) - keep_tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(span))


def mask_text(text: str) -> str:
    """`text` with every phone and ID number masked (the rest unchanged, same length)."""
    found = find_pii(text)
    if not found:
        return text
    out, last = [], 0
    for f in found:
        out += [text[last : f.start], _mask_span(text[f.start : f.end], f.kind)]
        last = f.end
    out.append(text[last:])
    return "".join(out)
