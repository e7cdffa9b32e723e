"""The parsed address (labelled components of the text), the cleanup of its input and the post-processing
rules applied to the tagger's spans (pure).

:func:`clean_text` lightly cleans the input without moving offsets (full-width ASCII to half-width, control
characters and runs of white space to one space) and caps it at ``MAX_INPUT_CHARS``. :func:`components` turns
the tagger's spans into :class:`Component` pieces: adjacent pieces with the same label are merged, assist words
(门口, 旁边, 附近 …) after an address component become ``assist`` and the complaint text around an embedded
address ("福民路123号门口垃圾堆了三天") is relabelled ``redundant``, the label the training data gives such noise, and
a group with its number ("5组" + "6号") becomes one ``roadno`` as the annotation guide asks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from gridgov.address.features import _CN_NUMERALS, ASSIST_WORDS, SUFFIXES, words
from gridgov.address.records import NCAP_LABELS

__all__ = ["MAX_INPUT_CHARS", "Component", "ParsedAddress", "clean_text", "components"]

MAX_INPUT_CHARS = 300
_MAX_RAW_CHARS = 4 * MAX_INPUT_CHARS  # bound the cleaning work on huge inputs
_SPACE_RE = re.compile(r"\s+")
# An assist word directly followed by one of these is the head of a name (路口村, 门前街 …).
_NAME_AFTER_ASSIST: tuple[str, ...] = words("村 路 街 道 巷 弄 里 桥 镇 乡 社区 小区 花园 新村 大厦 广场 苑 园 城")
# Words that mark sentence (complaint) text rather than an address component.
_COMPLAINT_CUES: tuple[str, ...] = words(
    "了 吗 呢 啊 呀 哦 反映 投诉 举报 请求 希望 要求 麻烦 处理 解决 垃圾 噪音 扰民 占道 乱停 乱放 乱扔 乱倒 乱搭 "
    "违建 违章 漏水 积水 堵塞 破损 损坏 坏掉 没人 无人 有人 一直 经常 每天 晚上 已经 严重 影响 存在 发现 导致 "
    "很多 太多 不能 没有 堆放 堆满 施工 污水 臭味 油烟 丢失 危险 不亮"
)
_STRUCTURAL = frozenset(NCAP_LABELS) - {"assist", "redundant", "otherinfo"}
# ASSIST_WORDS by first character (in their order: longer words first where they overlap), and the suffix
# lengths: the per-character scans look up a set instead of trying every word.
_ASSIST_BY_FIRST: dict[str, tuple[str, ...]] = {
    ch: tuple(w for w in ASSIST_WORDS if w[0] == ch) for ch in {w[0] for w in ASSIST_WORDS}
}
_ASSIST_FIRST_RE = re.compile("[" + "".join(re.escape(ch) for ch in sorted(_ASSIST_BY_FIRST)) + "]")
_CN_NUMERALS_OUTSIDE = frozenset(
    ch for ch in _CN_NUMERALS if not ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
)
# the characters token_type calls "han" or "cnnum" (every Chinese numeral but 〇 is in the first block)
_HAN_RE = re.compile("[\u4e00-\u9fff\u3400-\u4dbf" + "".join(sorted(_CN_NUMERALS_OUTSIDE)) + "]")
_CUE_RE = re.compile("|".join(re.escape(cue) for cue in _COMPLAINT_CUES))  # any cue inside a text
_HALF_WIDTH = {o: o - 0xFEE0 for o in range(0xFF01, 0xFF5F)}  # full-width ASCII → ASCII (str.translate)
_SUFFIX_LENGTHS = tuple(sorted({len(s) for s in SUFFIXES}))
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
    end token) over them, post-processed as the module docstring says (``postprocess=False``: the tagger's
    spans as they are, adjacent pieces of one label merged)."""
    char_labels: list[str | None] = [None] * len(text)
    for label, s, e in spans:
        for k in range(tokens[s][1], tokens[e - 1][2]):
            char_labels[k] = label
    if not postprocess:
        return _runs(text, char_labels)
    _mark_assist(text, char_labels, tokens)
    return _merge_group_number(text, _relabel_complaint(text, _runs(text, char_labels)))


# --------------------------------------------------------------------------------------------------------------
# post-processing


def _runs(text: str, char_labels: Sequence[str | None]) -> list[Component]:
    """Components from per-character labels: maximal runs of one label (so adjacent pieces of the same label
    merge); white space between two pieces of one label joins them, unlabelled characters are dropped."""
    runs: list[tuple[str | None, int, int]] = []  # maximal runs of one label (None: unlabelled)
    at = 0
    for label, group in groupby(char_labels):
        size = sum(1 for _ in group)
        runs.append((label, at, at + size))
        at += size
    out: list[Component] = []
    i, n = 0, len(runs)
    while i < n:
        label, start, end = runs[i]
        i += 1
        if label is None:
            continue
        # unlabelled white space between two runs of this label: one component
        while i + 1 < n and runs[i + 1][0] == label and runs[i][0] is None and text[runs[i][1] : runs[i][2]].isspace():
            end = runs[i + 1][2]
            i += 2
        out.append(Component(label, text[start:end], start, end))
    return out


def _mark_assist(text: str, char_labels: list[str | None], tokens: Sequence[tuple[str, int, int]]) -> None:
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
            while start > 0 and char_labels[start - 1] == prev:
                start -= 1
            ok = _ends_like_address(text[start:i])
        if ok:
            for k in range(i, end):
                char_labels[k] = "assist"
            after = end


def _has_cue(text: str) -> bool:
    return _CUE_RE.search(text) is not None


def _ends_like_address(text: str) -> bool:
    size = len(text)
    for n in _SUFFIX_LENGTHS:  # ascending
        if n > size:
            break
        if text[-n:] in SUFFIXES:
            return True
    last = text[-1:]
    return last.isascii() and last.isalnum()


def _is_foreign(text: str) -> bool:
    """Longer than two characters, without a digit or a Chinese character (token_type "han" or "cnnum")."""
    if len(text) <= 2:
        return False
    return _HAN_RE.search(text) is None and not any(ch.isdigit() for ch in text)


def _relabel_complaint(text: str, comps: list[Component]) -> list[Component]:
    """Complaint text around an embedded address becomes ``redundant`` (as in the training data):

    * an address component that contains a complaint cue (了, 垃圾, 反映, 噪音 …) and does not end like an
      address element (a known suffix or a number);
    * after an assist word, any address component that does not end like an address element;
    * an address component without a Chinese character or a digit and longer than two characters ("hello").

    Adjacent components that end up with the same label are merged."""
    out: list[Component] = []
    after_assist = False
    for c in comps:
        label = c.label
        if label == "assist":
            after_assist = True
        elif label in _STRUCTURAL and (
            (not _ends_like_address(c.text) and (after_assist or _has_cue(c.text))) or _is_foreign(c.text)
        ):
            label = "redundant"
        if out and out[-1].label == label and (out[-1].end == c.start or text[out[-1].end : c.start].isspace()):
            prev = out.pop()
            c = Component(label, text[prev.start : c.end], prev.start, c.end)
        elif label != c.label:
            c = Component(label, c.text, c.start, c.end)
        out.append(c)
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
