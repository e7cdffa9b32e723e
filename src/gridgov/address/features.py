"""Address tokens, the word lists the address engines share, and the CRF's token features (pure).

Tokens follow NCAP: each run of ASCII digits is one token, each run of ASCII letters is one token, every other
non-space character (Chinese characters, full-width digits, punctuation) is a token of its own, and white space
is dropped. :func:`tokenize` is the one tokenization of the generator of training text, the tagger and its
BiLSTM members; :func:`norm_token` is the token form both models see (digit runs by length, letters
upper-cased).

``SUFFIXES`` are known address suffixes (whole words: 路, 号, 栋, 单元, 小区, 工业区 …) and ``ASSIST_WORDS`` the
vague locating words (门口, 旁边, 附近 …) that the parser labels ``assist`` and the matcher trims.

:func:`token_features` gives, per token, the CRF's features: the token, its type and length, a window of ±3
tokens with bigrams, trigrams and 4-grams, the known suffixes closing at the token and the nearest ones before
and after it, the kinds of suffix seen before and after, runs repeated elsewhere in the text (doubled
divisions), the position from both ends and, optionally, the token's gazetteer marks. ``FEATURE_VERSION``
changes whenever they do (a model trained on other features refuses to load).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

__all__ = [
    "ASSIST_WORDS",
    "FEATURE_VERSION",
    "SUFFIXES",
    "TOKEN_RE",
    "norm_token",
    "token_features",
    "token_type",
    "tokenize",
    "tokenize_with_spans",
    "words",
]

FEATURE_VERSION = 1
TOKEN_RE = re.compile(r"[0-9]+|[A-Za-z]+|\S")


def words(text: str) -> tuple[str, ...]:
    """The white-space separated words of ``text`` (how the word lists are written)."""
    return tuple(text.split())


# Known address suffixes (whole words; several are multi-character). A token or n-gram equal to one of these is
# a strong hint about the label of the component it closes.
SUFFIXES: frozenset[str] = frozenset(
    words(
        # divisions
        "省 自治区 特别行政区 市 地区 自治州 盟 区 县 旗 新区 开发区 高新区 保税区 镇 乡 街道 办事处 社区 村 "
        "居委会 村委会 组 队 "
        # roads
        "路 街 道 大道 大街 巷 弄 里 胡同 公路 国道 省道 高速 隧道 桥 环路 支路 一路 二路 三路 四路 五路 东路 "
        "西路 南路 北路 中路 "
        # numbers
        "号 号楼 栋 幢 座 单元 层 楼 室 户 房 号院 期 区块 档 铺 号铺 号房 号室 "
        # compounds, places, shops
        "花园 小区 大厦 广场 中心 工业区 工业园 产业园 科技园 园区 苑 园 城 庭 阁 轩 府 湾 居 公寓 新村 家园 "
        "山庄 名苑 华庭 雅苑 商场 市场 医院 学校 小学 中学 大学 学院 幼儿园 公园 酒店 宾馆 公司 有限公司 店 "
        "馆 站 地铁站 公交站 厂 仓 楼宇 写字楼 商厦 大楼 大院 宿舍 门 东门 西门 南门 北门 正门"
    )
)
# Coarse class of each suffix: the level of the component it usually closes.
_SUFFIX_CLASS: dict[str, str] = {
    word: cls
    for cls, names in (
        ("prov", "省 自治区 特别行政区"),
        ("city", "市 地区 自治州 盟"),
        ("dist", "区 县 旗 新区"),
        ("dev", "开发区 高新区 保税区"),
        ("town", "镇 乡 街道 办事处"),
        ("comm", "社区 村 居委会 村委会 组 队"),
        (
            "road",
            "路 街 道 大道 大街 巷 弄 里 胡同 公路 国道 省道 高速 隧道 桥 环路 支路 一路 二路 三路 四路 五路 "
            "东路 西路 南路 北路 中路",
        ),
        ("no", "号 号院"),
        ("bldg", "号楼 栋 幢 座"),
        ("unit", "单元"),
        ("floor", "层 楼"),
        ("room", "室 户 房 号房 号室 铺 号铺 档"),
    )
    for word in names.split()
}

# Vague locating words, labelled "assist" (门口, 旁边, 附近 …); longer words first where they overlap.
ASSIST_WORDS: tuple[str, ...] = words(
    "交叉路口 十字路口 交叉口 交界处 路口 门口 门前 旁边 附近 斜对面 对面 楼下 楼上 边上 周边 周围 隔壁 后面 "
    "前面 里面 背后 东侧 西侧 南侧 北侧 东边 西边 南边 北边 一带 对出"
)

_CN_NUMERALS = frozenset("零〇一二两三四五六七八九十百千")

# --------------------------------------------------------------------------------------------------------------
# tokens


def tokenize(text: str) -> list[str]:
    """NCAP-style tokens: ASCII digit runs and ASCII letter runs are single tokens, any other
    non-whitespace character is a token; whitespace is dropped. ``"".join(tokenize(t))`` is ``t`` without
    its whitespace."""
    return TOKEN_RE.findall(text)


def tokenize_with_spans(text: str) -> list[tuple[str, int, int]]:
    """The tokens of :func:`tokenize` with their [start, end) character offsets."""
    return [(m.group(0), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


@lru_cache(maxsize=65536)
def token_type(tok: str) -> str:
    """Coarse class of a token: digit, alpha, punct, cnnum (a Chinese numeral), han, letter or other."""
    if tok.isascii():
        if tok.isdigit():
            return "digit"
        if tok.isalpha():
            return "alpha"
        return "punct"
    if len(tok) == 1:
        if tok in _CN_NUMERALS:
            return "cnnum"
        if "\u4e00" <= tok <= "\u9fff" or "\u3400" <= tok <= "\u4dbf":
            return "han"
        cat = unicodedata.category(tok)
        if cat[0] == "P":
            return "punct"
        if cat[0] == "N":
            return "digit"
        if cat[0] == "L":
            return "letter"
    return "other"


def norm_token(tok: str) -> str:
    """Token form used in features: digit runs by length, long letter runs collapsed, letters upper-cased."""
    if tok.isascii():
        if tok.isdigit():
            return f"#D{len(tok) if len(tok) < 5 else '+'}"
        if tok.isalpha():
            return tok.upper() if len(tok) <= 2 else "#A"
    return tok


# --------------------------------------------------------------------------------------------------------------
# features


# Every tail of a known suffix ("工业区" → "区", "业区", "工业区"): a leftward scan stops as soon as its text is
# none of them, since no longer text can then be a suffix.
_SUFFIX_TAILS: frozenset[str] = frozenset(s[i:] for s in SUFFIXES for i in range(len(s)))


def _suffix_ends(tokens: Sequence[str]) -> list[str | None]:
    """Per token: the longest known suffix (as a token n-gram) that ends at this token, if any."""
    out: list[str | None] = [None] * len(tokens)
    for i in range(len(tokens)):
        best: str | None = None
        acc = ""
        for k in range(i, -1, -1):
            acc = tokens[k] + acc
            if acc not in _SUFFIX_TAILS:
                break
            if acc in SUFFIXES:
                best = acc
        out[i] = best
    return out


def _repeats(tokens: Sequence[str]) -> list[str | None]:
    """Per token: whether it lies in a run of at least two Chinese characters that occurs elsewhere in the sequence
    (repeated divisions such as "杭州市余杭区杭州市余杭区" are usually labelled redundant). The value tells the
    position in the run (B/I/E) and whether the other occurrence is earlier ("<") or later (">")."""
    n = len(tokens)
    out: list[str | None] = [None] * n
    where: dict[str, list[int]] = {}
    for j, tok in enumerate(tokens):
        where.setdefault(tok, []).append(j)
    if len(where) == n:  # no token occurs twice: nothing repeats
        return out
    i = 0
    while i < n:
        best_len, best_dir = 0, ""
        for j in where[tokens[i]]:  # the other occurrences of this token, in order
            if j == i:
                continue
            length = 0
            while (
                i + length < n
                and j + length < n
                and tokens[i + length] == tokens[j + length]
                and (j + length < i if j < i else i + length < j)
            ):
                length += 1
            if length > best_len:
                best_len, best_dir = length, "<" if j < i else ">"
        if best_len >= 2 and sum(1 for t in tokens[i : i + best_len] if token_type(t) in ("han", "cnnum")) >= 2:
            for k in range(i, i + best_len):
                pos = "B" if k == i else ("E" if k == i + best_len - 1 else "I")
                out[k] = f"{pos}{best_dir}"
            i += best_len
        else:
            i += 1
    return out


# ready-made feature strings: per token type its "t-2=" "t-1=" "t=" "t1=" "t2=" forms, every type trigram,
# the length buckets and the positions from the start ("p=0" … "p=8") and from the end
_TYPES = ("<S>", "</S>", "digit", "alpha", "punct", "cnnum", "han", "letter", "other")
_TYPE_FEATURES: dict[str, tuple[str, str, str, str, str]] = {
    t: ("t-2=" + t, "t-1=" + t, "t=" + t, "t1=" + t, "t2=" + t) for t in _TYPES
}
_TYPE_TRIGRAMS: dict[tuple[str, str, str], str] = {
    (a, b, c): f"t-1:0:1={a}|{b}|{c}" for a in _TYPES for b in _TYPES for c in _TYPES
}
_LEN_FEATURES: dict[int, str] = {n: "l=" + str(n) for n in range(1, 5)}
_P_FEATURES: tuple[str, ...] = tuple(f"p={i}" for i in range(9))
_R_FEATURES: tuple[str, ...] = tuple(f"r={i}" for i in range(9))
_NSD_FEATURES: tuple[str, ...] = tuple(f"nsd={d}" for d in range(7))
_PSD_FEATURES: tuple[str, ...] = tuple(f"psd={d}" for d in range(7))


@lru_cache(maxsize=4096)
def _class_features(prefix: str, classes: frozenset[str]) -> tuple[str, ...]:
    return tuple(prefix + cls for cls in classes)


@lru_cache(maxsize=8192)
def _mark_features(marks: tuple[str, ...]) -> tuple[str, ...]:
    if not marks:
        return ("g=none",)
    out: list[str] = []
    for mark in marks:
        out.append("g=" + mark)
        out.append("g=" + mark.split("|", 1)[0])
    return tuple(out)


def token_features(tokens: Sequence[str], gaz_marks: Sequence[tuple[str, ...]] | None = None) -> list[list[str]]:
    """Per token, the CRF feature strings (see the module docstring); ``gaz_marks`` from Gazetteer.annotate."""
    n = len(tokens)
    norm = [norm_token(t) for t in tokens]
    types = [token_type(t) for t in tokens]
    suf_end = _suffix_ends(tokens)

    # nearest suffix ending strictly after / at-or-before each token
    next_suf: list[tuple[str, int] | None] = [None] * n
    nxt: tuple[str, int] | None = None
    for i in range(n - 1, -1, -1):
        next_suf[i] = nxt
        s = suf_end[i]
        if s is not None:
            nxt = (s, i)
    prev_suf: list[tuple[str, int] | None] = [None] * n
    prv: tuple[str, int] | None = None
    for i in range(n):
        prev_suf[i] = prv
        s = suf_end[i]
        if s is not None:
            prv = (s, i)

    dup = _repeats(tokens)
    # suffix classes already seen before each token / still to come after it
    classes = [_SUFFIX_CLASS.get(suf, "poi") if suf is not None else None for suf in suf_end]
    seen_before: list[frozenset[str]] = []
    acc: set[str] = set()
    for cls in classes:
        seen_before.append(frozenset(acc))
        if cls is not None:
            acc.add(cls)
    seen_after: list[frozenset[str]] = [frozenset()] * n
    acc = set()
    for i in range(n - 1, -1, -1):
        seen_after[i] = frozenset(acc)
        cls = classes[i]
        if cls is not None:
            acc.add(cls)
    # the token forms and types padded with 3 boundary marks on each side: pw[i + 3] is w(i); the n-grams
    # starting at each padded position are joined once and shared by the tokens whose windows hold them
    pw = ["<S>"] * 3 + norm + ["</S>"] * 3
    pt = ["<S>"] * 3 + types + ["</S>"] * 3
    g2 = [a + b for a, b in pairwise(pw)]
    g3 = [a + b for a, b in zip(g2, pw[2:], strict=False)]
    g4 = [a + b for a, b in zip(g3, pw[3:], strict=False)]
    # the features that depend on one padded position only, built once per position rather than once per
    # window that holds it; types, lengths and positions come from small tables of ready-made strings
    tt = _TYPE_FEATURES
    ttri = _TYPE_TRIGRAMS
    lens = [_LEN_FEATURES.get(len(tok), "l=5+") for tok in tokens]
    from_start = _P_FEATURES[:n] if n <= 8 else _P_FEATURES + (_P_FEATURES[-1],) * (n - 9)
    from_end = _R_FEATURES[:n][::-1] if n <= 8 else (_R_FEATURES[-1],) * (n - 9) + _R_FEATURES[::-1]
    feats: list[list[str]] = []
    for i in range(n):
        k = i + 3
        tm1, t0, t1 = pt[k - 1], pt[k], pt[k + 1]
        f = [
            "b",
            "w=" + pw[k],
            tt[t0][2],
            lens[i],
            from_start[i],
            from_end[i],
            "w-3=" + pw[k - 3],
            "w-2=" + pw[k - 2],
            "w-1=" + pw[k - 1],
            "w1=" + pw[k + 1],
            "w2=" + pw[k + 2],
            "w3=" + pw[k + 3],
            tt[pt[k - 2]][0],
            tt[tm1][1],
            tt[t1][3],
            tt[pt[k + 2]][4],
            ttri.get((tm1, t0, t1)) or f"t-1:0:1={tm1}|{t0}|{t1}",
            # bigrams and trigrams around the token
            "w-2:-1=" + g2[k - 2],
            "w-1:0=" + g2[k - 1],
            "w0:1=" + g2[k],
            "w1:2=" + g2[k + 1],
            "w-2:0=" + g3[k - 2],
            "w-1:1=" + g3[k - 1],
            "w0:2=" + g3[k],
            "w-3:0=" + g4[k - 3],
            "w0:3=" + g4[k],
        ]
        # suffixes: closing here, closing just before, starting right after, nearest ahead / behind
        se = suf_end[i]
        if se is not None:
            f.append("se=" + se)
        if i > 0:
            se1 = suf_end[i - 1]
            if se1 is not None:
                f.append("se-1=" + se1)
        ns = next_suf[i]
        if ns is not None:
            d = ns[1] - i
            if d > 6:
                d = 6
            f.append("ns=" + ns[0])
            f.append(_NSD_FEATURES[d])
            f.append(f"ns|d={ns[0]}|{d}")
        else:
            f.append("ns=none")
        ps = prev_suf[i]
        if ps is not None:
            f.append("ps=" + ps[0])
            d = i - ps[1]
            f.append(_PSD_FEATURES[d if d < 6 else 6])
        else:
            f.append("ps=none")
        dp = dup[i]
        if dp is not None:
            f.append("dup=" + dp)
        f.extend(_class_features("sb=", seen_before[i]))
        f.extend(_class_features("sa=", seen_after[i]))
        if gaz_marks is not None:
            f.extend(_mark_features(tuple(gaz_marks[i])))
        feats.append(f)
    return feats
