"""The parsed address (labelled components of the text), the cleanup of its input and the post-processing
rules applied to the tagger's spans (pure).

:func:`clean_text` lightly cleans the input without moving offsets (full-width ASCII to half-width, control
characters and runs of white space to one space) and caps it at ``MAX_INPUT_CHARS``. :func:`components` turns
the tagger's spans into :class:`Component` pieces, one per span (a doubled division stays one ``redundant`` per
level, as the annotation writes it). The rules kept are those measured to help on ncap_train (span micro-F1
through this path, docs/notes/ncap-f1-experiments.md): assist words (门口, 旁边, 附近 …) after an address
component become ``assist``; a province, city or district followed by another one of its level (the first copy
of doubled divisions) and the placeholder 市辖区 are ``redundant``; a direction part at the end of a compound
(东区) is a subpoi; a bare number too short for a phone number is a room, not ``otherinfo``; a building number
right after another one is the unit, and so is a room right before another room. Two rules follow the annotation
guide where the data often does otherwise, because the spec is what the API promises: a group with its number
("5组" + "6号") is one ``roadno`` ("X组X号 … 统一标为roadno，不拆分road和roadno"), and a door number with a dash
("147-2号") stays one roadno as the tagger gives it (the data splits "66-3号" into roadno, redundant "-" and
houseno; splitting it would gain about 0.002 on ncap_train). (A complaint rule that relabelled sentence text as
``redundant`` cost F1 there and was dropped.)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from gridgov.address.features import ASSIST_WORDS, SUFFIXES, words
from gridgov.address.records import NCAP_LABELS

__all__ = ["MAX_INPUT_CHARS", "Component", "ParsedAddress", "clean_text", "components"]

MAX_INPUT_CHARS = 300
_MAX_RAW_CHARS = 4 * MAX_INPUT_CHARS  # bound the cleaning work on huge inputs
_SPACE_RE = re.compile(r"\s+")
# An assist word directly followed by one of these is the head of a name (路口村, 门前街 …).
_NAME_AFTER_ASSIST: tuple[str, ...] = words("村 路 街 道 巷 弄 里 桥 镇 乡 社区 小区 花园 新村 大厦 广场 苑 园 城")
_STRUCTURAL = frozenset(NCAP_LABELS) - {"assist", "redundant", "otherinfo"}
# ASSIST_WORDS by first character (in their order: longer words first where they overlap), and the suffix
# lengths: the per-character scans look up a set instead of trying every word.
_ASSIST_BY_FIRST: dict[str, tuple[str, ...]] = {
    ch: tuple(w for w in ASSIST_WORDS if w[0] == ch) for ch in {w[0] for w in ASSIST_WORDS}
}
_ASSIST_FIRST_RE = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_ASSIST_BY_FIRST)) + "]")
_HALF_WIDTH = {o: o - 0xFEE0 for o in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII (str.translate)
_SUFFIX_LENGTHS = tuple(sorted({len(s) for s in SUFFIXES}))
_REPEATABLE = frozenset(("prov", "city", "district"))
_PLACEHOLDERS = frozenset(("市辖区", "市辖县"))
_DIRECTION_PART_RE = re.compile(r"[东西南北中]区$")
_MAX_ROOM_DIGITS = 6  # a phone number has 7 (a local line) to 11 digits
_GROUP_RE = re.compile(r"[0-9一二三四五六七八九十]+组")


@dataclass(frozen=True)
class Component:
    """One labelled piece of the parsed text; ``text == ParsedAddress.text[start:end]``."""

    label: str
    text: str
    start: int
    end: int


@dataclass
class ParsedAddress:
    text: str
    components: list[Component] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """Label → text of its first component."""
        out: dict[str, str] = {}
        for c in self.components:
            out.setdefault(c.label, c.text)
        return out

    def get(self, label: str) -> str | None:
        return self.as_dict().get(label)

    def address_text(self) -> str:
        """The address proper: structural components in order, without assist/redundant/otherinfo."""
        return "".join(c.text for c in self.components if c.label in _STRUCTURAL)


def clean_text(text: object) -> str:
    """Light, offset-friendly cleanup: full-width ASCII → half-width, ideographic and other spaces, control and
    format characters → one space per run, trimmed and capped at ``MAX_INPUT_CHARS``. Never raises."""
    if not isinstance(text, str):
        return ""
    raw = text[:_MAX_RAW_CHARS]
    if raw.isprintable():  # no C or Z character but the ASCII space (str.isprintable): only full-width to map
        s = _SPACE_RE.sub(" ", raw.translate(_HALF_WIDTH)).strip()
        return s[:MAX_INPUT_CHARS].rstrip()
    out: list[str] = []
    for ch in raw:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        elif ch == "\u3000":
            ch = " "
        else:
            cat = unicodedata.category(ch)
            if cat[0] in ("C", "Z"):
                ch = " "
        out.append(ch)
    s = _SPACE_RE.sub(" ", "".join(out)).strip()
    return s[:MAX_INPUT_CHARS].rstrip()


def components(
    text: str,
    tokens: Sequence[tuple[str, int, int]],
    spans: Sequence[tuple[str, int, int]],
    postprocess: bool = True,
) -> list[Component]:
    """Components of ``text`` from its tokens (token, start, end) and the tagger's spans (label, first token,
    end token) over them, one component per span (two adjacent spans of one label stay two components, as the
    annotation writes a doubled division: redundant=浙江省 redundant=杭州市), post-processed as the module
    docstring says (``postprocess=False``: the tagger's spans as they are)."""
    char_labels: list[str | None] = [None] * len(text)
    pieces: list[int] = [-1] * len(text)
    for n, (label, s, e) in enumerate(spans):
        for k in range(tokens[s][1], tokens[e - 1][2]):
            char_labels[k] = label
            pieces[k] = n
    if not postprocess:
        return _runs(text, char_labels, pieces)
    _mark_assist(text, char_labels, pieces, tokens)
    comps = _merge_group_number(text, _redundant_repeats(_runs(text, char_labels, pieces)))
    return _second_building_as_unit(_short_numbers_as_rooms(_direction_part_as_subpoi(comps)))


# --------------------------------------------------------------------------------------------------------------
# post-processing


def _runs(text: str, char_labels: Sequence[str | None], pieces: Sequence[int]) -> list[Component]:
    """Components from per-character labels and the span (piece) each character came from: maximal runs of one
    label and one piece (trailing white space trimmed); unlabelled characters are dropped."""
    out: list[Component] = []
    at = 0
    for (label, _), group in groupby(zip(char_labels, pieces, strict=True)):
        size = sum(1 for _ in group)
        if label is not None:
            piece = text[at : at + size].rstrip()
            out.append(Component(label, piece, at, at + len(piece)))
        at += size
    return out


def _mark_assist(
    text: str, char_labels: list[str | None], pieces: list[int], tokens: Sequence[tuple[str, int, int]]
) -> None:
    """Relabel assist words that follow an address component as ``assist``.

    An occurrence counts when it lies on token boundaries right after a character labelled as an address
    component (not assist, redundant or otherinfo), is not the head of a name (路口村, 门前街) and, when the
    tagger ran that component on into the word, the part before it still ends like an address element
    ("123号" of "123号门口" does, "福民" of "福民路口" does not)."""
    after = 0  # the end of the last assist word marked: later words start there or beyond
    boundaries: set[int] | None = None
    for m in _ASSIST_FIRST_RE.finditer(text):  # only where an assist word may start
        i = m.start()
        if i < after:
            continue
        word = next((w for w in _ASSIST_BY_FIRST[text[i]] if text.startswith(w, i)), None)
        prev = char_labels[i - 1] if i > 0 else None
        if word is None or prev not in _STRUCTURAL:
            continue
        if boundaries is None:  # the token boundaries, built once a word may count
            boundaries = {0, len(text)} | {b for _, a, z in tokens for b in (a, z)}
        end = i + len(word)
        ok = i in boundaries and end in boundaries and not any(text.startswith(s, end) for s in _NAME_AFTER_ASSIST)
        if ok and char_labels[i] == prev:
            start = i
            while start > 0 and char_labels[start - 1] == prev and pieces[start - 1] == pieces[i]:
                start -= 1
            ok = _ends_like_address(text[start:i])
        if ok:
            for k in range(i, end):
                char_labels[k] = "assist"
                pieces[k] = -2 - i  # a piece of its own
            after = end


def _ends_like_address(text: str) -> bool:
    size = len(text)
    for n in _SUFFIX_LENGTHS:  # ascending
        if n > size:
            break
        if text[-n:] in SUFFIXES:
            return True
    last = text[-1:]
    return last.isascii() and last.isalnum()


def _redundant_repeats(comps: list[Component]) -> list[Component]:
    """A province, city or district followed later by another one of its level is ``redundant``: the divisions
    written twice ("浙江省杭州市浙江省杭州市…", "宁波市宁海县宁波市宁海县", 浙江 / 浙江省) or a first chain that is not
    the address's own (辽宁省营口市盖州市浙江省…); the annotation marks the first copy more often than the second.
    The code list's placeholder 市辖区 / 市辖县 is ``redundant`` too."""
    out = list(comps)
    for i, c in enumerate(out):
        if c.label in _REPEATABLE and (c.text in _PLACEHOLDERS or any(d.label == c.label for d in out[i + 1 :])):
            out[i] = Component("redundant", c.text, c.start, c.end)
    return out


def _merge_group_number(text: str, comps: list[Component]) -> list[Component]:
    """ "5组" (road) directly followed by its number "6号" (roadno) is one roadno "5组6号", as the guide says
    ("X组X号" … 统一标为roadno，不拆分road和roadno)."""
    out: list[Component] = []
    for c in comps:
        prev = out[-1] if out else None
        if (
            prev
            and prev.label == "road"
            and c.label == "roadno"
            and prev.end == c.start
            and _GROUP_RE.fullmatch(prev.text)
        ):
            out[-1] = Component("roadno", text[prev.start : c.end], prev.start, c.end)
        else:
            out.append(c)
    return out


def _short_numbers_as_rooms(comps: list[Component]) -> list[Component]:
    """A bare number too short to be a phone number (at most ``_MAX_ROOM_DIGITS`` digits) is not ``otherinfo``
    but a room ("国际商贸城四区39955")."""
    return [
        Component("roomno", c.text, c.start, c.end)
        if c.label == "otherinfo" and c.text.isascii() and c.text.isdigit() and len(c.text) <= _MAX_ROOM_DIGITS
        else c
        for c in comps
    ]


def _second_building_as_unit(comps: list[Component]) -> list[Component]:
    """A building number right after another one (or after it and a dash) is the unit: "829-10-1060室" tagged
    houseno, houseno, roomno is houseno 829, cellno 10, roomno 1060室; "12幢6号7楼" is houseno, cellno, floorno.
    Likewise a room right before another room ("106街42153": cellno 106街, roomno 42153)."""
    out = list(comps)
    for i, c in enumerate(out):
        if c.label != "houseno":
            continue
        j = i - 1
        if j >= 0 and out[j].label == "redundant" and len(out[j].text) == 1 and not out[j].text.isalnum():
            j -= 1
        if j >= 0 and out[j].label == "houseno":
            out[i] = Component("cellno", c.text, c.start, c.end)
    for i, c in enumerate(out[:-1]):
        if c.label == "roomno" and out[i + 1].label == "roomno":
            out[i] = Component("cellno", c.text, c.start, c.end)
    return out


def _direction_part_as_subpoi(comps: list[Component]) -> list[Component]:
    """A compound's part named by its direction at the end of the compound ("西溪北苑东区") is a ``subpoi``, as in
    the guide's examples (poi=金泽大厦 subpoi=东区); numbered parts (二区, C区) are left as tagged, the annotation
    has them both ways."""
    out: list[Component] = []
    for c in comps:
        if c.label == "poi" and len(c.text) >= 4 and _DIRECTION_PART_RE.search(c.text):
            k = c.end - 2
            out += [Component("poi", c.text[:-2], c.start, k), Component("subpoi", c.text[-2:], k, c.end)]
        else:
            out.append(c)
    return out
