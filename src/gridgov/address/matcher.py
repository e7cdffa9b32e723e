"""Address matcher (pure): translate any messy address text into a node of the standard address library.

Pipeline for one text:

1. ``normalize`` (shared with the library side) plus a few matcher rules (``A座``/``A塔`` → ``A栋``, ``號``).
2. Mentions: one Aho-Corasick pass (``pyahocorasick``) over the normalized names and aliases of divisions
   (with and without their 区/街道/社区 suffix), roads, compounds and named buildings finds every mention, also
   inside a longer complaint sentence. Mentions contained in a longer mention are dropped.
3. Chains: every road/compound/named-building mention is a seed; from it the matcher descends through the
   numbers written after it (road + ``123号`` → door; door/compound + ``3栋``/``A栋``/``东1巷3号``/``3-2-501``
   → building; unit/floor/room when the library has them), with dictionaries keyed by ``(parent, name)``.
4. Scoring: each final node explains the mentions on its ancestor chain (division context, road, compound,
   numbers). The node explaining the most evidence wins, deeper first on ties. Same-level ties (one name in
   several places and no context) are flagged as ambiguous and need review.
5. Fuzzy fallback, only when the exact reading is missing or weak (no address element, an unexplained
   number, a division named in the text that the reading does not lie in, an alias shared with a division
   name, unexplained text before a number or closing the text): edit-distance-1 look-ups (substitution,
   missing, extra or swapped character; precomputed wildcard/deletion dictionaries) of the spans before a
   name suffix or a number, scored with ``rapidfuzz`` (OSA similarity, a sound-alike substitution such as
   锐/瑞 counting a quarter edit) and filtered by the division context; with a small division context and
   nothing found, ``rapidfuzz.process`` (partial_ratio) over that context's names as a last resort.

Confidence: 1.0 for an exact, unambiguous reading; lowered for aliases shared with division names, fuzzy
names (more so without corroborating numbers or context), unexplained numbers, conflicting divisions, close
runners-up and ties (one name in several places). ``needs_review`` is ``confidence < review_threshold``.

Edits (``add_alias``, ``upsert``, ``remove``) take effect at once: new keys go to a small overlay automaton
that is rebuilt alone; stale keys are filtered at query time. ``compact()`` folds everything into the main
index (a linear rebuild, about a second for the full city).

``make`` compiles this module with mypyc (``make native``; the same source, about 1.4–2× faster); without a C
compiler it runs as plain Python. ``COMPILED`` tells which one is loaded.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import ahocorasick  # type: ignore[import-not-found, import-untyped, unused-ignore]
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from gridgov.address.cn_divisions import jionlp_dictionary
from gridgov.address.features import ASSIST_WORDS
from gridgov.address.normalize import normalize
from gridgov.address.records import AddressRecord, DivisionRecord

__all__ = ["COMPILED", "DEFAULT_REVIEW_THRESHOLD", "AddressMatcher", "Candidate", "MatchResult", "normalize_address"]

DEFAULT_REVIEW_THRESHOLD = 0.6
# True when this module was loaded from the mypyc-compiled extension rather than this source file.
COMPILED = not __file__.endswith(".py")
MAX_INPUT_CHARS = 1000  # longer input is cut (a complaint rarely names its address after this)
_CHUNK: Final = 256  # normalize() bounds its output; long texts are normalized in chunks
TOP_K = 5

DIVISION_LEVELS: tuple[str, ...] = ("city", "district", "street", "community")
_RANK: dict[str, int] = {
    "city": 0,
    "district": 1,
    "street": 2,
    "community": 3,
    "road": 4,
    "door": 5,
    "compound": 6,
    "building": 7,
    "unit": 8,
    "floor": 9,
    "room": 10,
}
_ROAD_RANK: Final = _RANK["road"]
_BUILDING_RANK: Final = _RANK["building"]
_DOOR_RANK: Final = _RANK["door"]
_UNKNOWN_RANK: Final = 11
_DIV_SUFFIXES: dict[str, tuple[str, ...]] = {
    "city": ("市",),
    "district": ("新区", "区"),
    "street": ("街道办事处", "街道", "镇"),
    "community": ("社区居委会", "社区工作站", "社区", "居委会", "村委会"),
}
# Levels found by name in free text; door numbers and numbered buildings are found by regex after a parent.
_NAMED_LEVELS = frozenset({"road", "compound", "building"})
_CONTEXT_LEVELS = frozenset({"district", "street", "community"})
_SUB_LEVELS = frozenset({"unit", "floor", "room"})

# Mention kinds and their quality.
_EXACT: Final = 0
_ALIAS: Final = 1
_SHORT: Final = 2
_FUZZY: Final = 3
_KIND_QUALITY = (1.0, 0.97, 0.9, 0.0)
_SHARED_QUALITY: Final = 0.75  # an address alias that is also a division's name ("南山": 南山区 and 南山公寓)

# Evidence weights.
_W_DIV = {"city": 0.3, "district": 1.0, "street": 1.0, "community": 1.5}
_W_SHORT: Final = 0.6  # factor for division names without their suffix
_W_NAME: Final = 2.0  # road / compound / named building
_W_DOOR: Final = 1.5
_W_BUILDING: Final = 1.5
_W_SUB: Final = 0.5  # unit / floor / room
_W_CONFLICT: Final = 0.5
_W_GAP: Final = 1.0  # a number separated from its name by unexplained text ("宝隆花园17栋" read as 宝隆 + 17栋)
# Confidence of a result that stops at a division.
_DIV_CONFIDENCE = {"city": 0.2, "district": 0.35, "street": 0.45, "community": 0.55}

_LETTER_BUILDING = re.compile(r"(?<![A-Z])([A-Z]\d{0,2})(?:座|号楼|楼|幢|栋|塔)")
_BUILDING_TOKEN = re.compile(r"第?((?:[A-Z]?\d+[A-Z]?)|[A-Z])栋")
# Village houses numbered along lanes: 东一巷3号 (normalized 东1巷3号).
_LANE_TOKEN = re.compile(r"([东西南北中]\d{1,2}巷)-?(\d{1,4}号)")
# building-unit-room shorthand: 16-3-707.
_DASH_BUILDING = re.compile(r"(?<![\d-])(\d{1,3})-(\d{1,2})-(\d{3,4})(?![\d-])")
# normalize() turns a building's 号楼 into 栋 but keeps 号楼下/号楼道 (the door's stairs, "downstairs").
_DOOR_AFTER = re.compile(r"-?(\d{1,5}(?:-\d{1,4})?)(?:号(?!栋)|(?![\d栋单元层楼室座巷A-Z号-]))")
# After a road, "12栋" can only be a house number written as a building ("12号楼").
_DOOR_AS_BUILDING = re.compile(r"-?(\d{1,5})栋")
_DOOR_TOKEN = re.compile(r"(?<![\dA-Z巷-])(\d{1,5}(?:-\d{1,4})?)号(?!栋)")
_TAIL = re.compile(r"-?((?:(\d{1,3})单元)?-?(?:(\d{1,3})(?:层|楼|F))?-?(?:(\d{1,5})(?:号房|室|房|户|号)?)?)")
_DASH_TAIL = re.compile(r"-(\d{1,2})-(\d{3,4})(?![\d-])")
_MIN_KEY: Final = 2
_MIN_FUZZY_KEY: Final = 3
_MAX_FUZZY_SPAN: Final = 10
_MAX_SEEDS: Final = 64
_OVERLAY_MAX: Final = 4096  # keys added since the last full build; beyond, the next query folds them in (≈2 s)
_MAX_MENTIONS: Final = 48  # per text, in text order: bounds the work on pathological input
_FUZZY_SPAN_BUDGET: Final = 240  # spans tried per text
_MAX_FUZZY_SEEDS: Final = 12
_FUZZY_MIN_SIM: Final = 0.6
_PROCESS_CHOICES_MAX: Final = 600

Entry = tuple[int, int, float]  # (node, kind, quality)


def normalize_address(text: str) -> str:
    """``normalize`` plus the matcher's own rules; used on both the library and the input side."""
    s = normalize(text.replace("號", "号") if "號" in text else text)
    if "座" in s or "楼" in s or "幢" in s or "塔" in s:
        s = _LETTER_BUILDING.sub(lambda m: f"{m.group(1)}栋", s)
    return s


def _normalize_long(text: str) -> str:
    text = text[:MAX_INPUT_CHARS]
    if len(text) <= _CHUNK:
        return normalize_address(text)
    return "".join(normalize_address(text[i : i + _CHUNK]) for i in range(0, len(text), _CHUNK))


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _hit_order(hit: tuple[int, int, str, tuple[Entry, ...], bool, bool]) -> tuple[int, int]:
    return hit[0], -hit[1]  # by start, longest first


def _numbered_building(key: str) -> bool:
    return _BUILDING_TOKEN.fullmatch(key) is not None or _LANE_TOKEN.fullmatch(key) is not None


def _building_tokens(t: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every building number in the text: 3栋, A栋, 东1巷3号, 16(-3-707)."""
    out: list[tuple[int, int, str]] = []
    if "栋" in t:
        out.extend((m.start(), m.end(), f"{m.group(1)}栋") for m in _BUILDING_TOKEN.finditer(t))
    if "巷" in t:
        out.extend((m.start(), m.end(), m.group(1) + m.group(2)) for m in _LANE_TOKEN.finditer(t))
    if "-" in t:
        out.extend((m.start(), m.end(1), f"{m.group(1)}栋") for m in _DASH_BUILDING.finditer(t))
    if len(out) > 1:
        out.sort()
    return out


_PHONETIC: list[_Phonetic | None] = []


def _shared_phonetic() -> _Phonetic | None:
    if not _PHONETIC:
        _PHONETIC.append(_Phonetic.load())
    return _PHONETIC[0]


def _division_short(name: str, level: str) -> str | None:
    for suffix in _DIV_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_KEY:
            return name[: -len(suffix)]
    return None


class _Phonetic:
    """Toneless 拼音 readings of single characters, for sound-alike typos (锐/瑞, 宜/怡, 峰/丰).

    Read from the character dictionary shipped inside the ``jionlp`` package (a declared dependency) without
    importing it: importing jionlp loads large dictionaries this matcher does not need."""

    _FILE: ClassVar[str] = "chinese_char_dictionary"
    _READING: ClassVar[re.Pattern[str]] = re.compile(r"\[([a-zàáāǎòóōǒèéēěìíīǐùúūǔǜǘǖǚǹńňüḿ]{1,8})\]")
    _INITIALS: ClassVar[tuple[tuple[str, str], ...]] = (("zh", "z"), ("ch", "c"), ("sh", "s"))

    def __init__(self, readings: dict[str, tuple[str, ...]]) -> None:
        self._readings = readings

    @classmethod
    def load(cls) -> _Phonetic | None:
        try:
            folder = jionlp_dictionary()
            txt, packed = folder / f"{cls._FILE}.txt", folder / f"{cls._FILE}.zip"
            if txt.is_file():
                text = txt.read_text(encoding="utf-8")
            elif packed.is_file():
                with zipfile.ZipFile(packed) as archive:
                    text = archive.read(f"{cls._FILE}.txt").decode("utf-8")
            else:
                return None
        except (OSError, ValueError, KeyError, ImportError, RuntimeError, zipfile.BadZipFile):  # pragma: no cover
            return None
        readings: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            ch, _, rest = line.partition("\t")
            if len(ch) != 1:
                continue
            found = {cls._plain(r) for r in cls._READING.findall(rest)}
            if found:
                readings[ch] = tuple(sorted(found))
        return cls(readings) if readings else None

    @classmethod
    def _plain(cls, reading: str) -> str:
        """nǚ → nu, zhōng → zon: no tones, and zh/z, ch/c, sh/s, -ng/-n merged (common southern confusions)."""
        py = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
        for a, b in cls._INITIALS:
            if py.startswith(a):
                py = b + py[len(a) :]
                break
        return py[:-1] if py.endswith("ng") else py

    def same_sound(self, a: str, b: str) -> bool:
        ra, rb = self._readings.get(a), self._readings.get(b)
        return ra is not None and rb is not None and not set(ra).isdisjoint(rb)


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    level: str
    full_name: str
    score: float  # the best candidate's score is the result's confidence; others are scaled by evidence


@dataclass(slots=True)
class MatchResult:
    text: str
    normalized: str
    best: Candidate | None
    candidates: list[Candidate]  # top 5, best first
    confidence: float  # in [0, 1]
    level: str | None
    explanation: list[str]
    needs_review: bool
    remainder: str | None = None  # unit/floor/room text below the library's deepest level, e.g. "2单元501"


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    key: str
    entries: Sequence[Entry]
    exact: bool = False  # carries a full (non-alias, non-short) name: the span is certainly a name
    context: bool = False  # only full names of districts/streets/communities: disagreeing with it is a conflict
    fuzzy_from: str = ""  # the span as written, for fuzzy mentions
    index: dict[int, Entry] | None = None  # node -> entry, built on first use for mentions with many entries


@dataclass(slots=True)
class _Chain:
    node: int
    pos: int  # text position after the last consumed element
    weight: float = 0.0
    quality: float = 1.0
    steps: list[tuple[str, int]] = field(default_factory=list)  # numbers consumed: ("door", node), ...
    misses: list[tuple[str, str, int]] = field(default_factory=list)  # (level, number, parent) not found
    hits: list[tuple[_Mention, Entry]] = field(default_factory=list)  # mentions the chain explains
    conflicts: list[str] = field(default_factory=list)  # division names that disagree
    unresolved: bool = False
    gap: bool = False  # a consumed number is preceded by text no mention explains
    corroboration: float = 0.0
    path: list[int] = field(default_factory=list)  # the final node and its ancestors, leaf → root


_ASSIST_BY_LAST: dict[str, tuple[str, ...]] = {}
for _word in ASSIST_WORDS:  # in ASSIST_WORDS order: the first word that fits is the one trimmed
    _ASSIST_BY_LAST[_word[-1]] = (*_ASSIST_BY_LAST.get(_word[-1], ()), _word)


def _before_assist(t: str, start: int, end: int) -> int:
    """End of t[start:end] without the vague locating words (附近, 门口, 旁边 …) it ends with."""
    while end > start:
        for word in _ASSIST_BY_LAST.get(t[end - 1], ()):
            if end - len(word) >= start and t.startswith(word, end - len(word)):
                end -= len(word)
                break
        else:
            return end
    return end


class AddressMatcher:
    """Standard-address matcher over division and address records. Build once, query many times."""

    def __init__(self, *, review_threshold: float = DEFAULT_REVIEW_THRESHOLD) -> None:
        self.review_threshold = review_threshold
        self._idx: dict[str, int] = {}
        self._code: list[str] = []
        self._level: list[str] = []
        self._rank: list[int] = []
        self._name: list[str] = []
        self._full: list[str] = []
        self._parent_code: list[str | None] = []
        self._parent: list[int] = []
        self._div: list[int] = []  # nearest division ancestor (the community for addresses); self for divisions
        self._div_anc: dict[int, frozenset[int]] = {}  # division -> itself and its division ancestors
        self._alive: list[bool] = []
        self._keys: list[tuple[tuple[str, int], ...]] = []  # per node: (key, kind)
        self._key_entries: dict[str, tuple[Entry, ...]] = {}  # main index: key -> entries
        self._main: Any = None
        self._overlay: Any = None
        self._overlay_keys: dict[str, tuple[Entry, ...]] = {}
        self._overlay_dirty = False
        self._orphans: dict[str, list[int]] = {}  # parent code not (yet) known -> children
        self._dead: set[tuple[str, int]] = set()
        self._clean = True  # no removal since the last rebuild: entries need no filtering
        self._child: dict[tuple[int, str], int] = {}
        self._compound_kids: dict[int, list[int]] = {}
        self._community_names: dict[int, list[tuple[str, int]]] = {}
        self._street_communities: dict[int, list[int]] | None = None  # street -> its named communities
        self._choices_of: dict[int, list[str]] = {}  # community -> its names long enough for fuzzy search
        # Edit-distance-1 indexes (tuples, not lists: millions of GC-tracked lists would slow every collection).
        self._fz_sub: dict[str, tuple[str, ...]] = {}  # key with one character wildcarded -> keys
        self._fz_del: dict[str, tuple[str, ...]] = {}  # key with one character deleted -> keys (4+ chars)
        self._fz_del2: dict[str, tuple[str, ...]] = {}  # the same for 3-character keys
        self._suffix_chars: frozenset[str] = frozenset()
        self._prefix2: set[str] = set()  # first two characters of the named keys
        self._has_sub_levels = False
        self._phonetic: _Phonetic | None = None

    # ------------------------------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        divisions: Sequence[DivisionRecord],
        addresses: Sequence[AddressRecord],
        *,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
        phonetic: bool = True,
    ) -> AddressMatcher:
        """Index the records (about 2 s for the full city). ``phonetic`` lets fuzzy matching prefer sound-alike
        characters (拼音 readings from jionlp's character dictionary, loaded once per process)."""
        m = cls(review_threshold=review_threshold)
        if phonetic:
            m._phonetic = _shared_phonetic()
        for d in divisions:
            m._new_node(d.code, d.level, d.name, d.name, d.parent_code, d.aliases)
        for a in addresses:
            parent = a.parent_code if a.parent_code is not None else a.community_code
            m._new_node(a.code, a.level, a.name, a.full_name, parent, a.aliases)
        for i in range(len(m._code)):
            m._link(i)
        for i in range(len(m._code)):
            m._div[i] = m._division_of(i)
        m._rebuild_main()
        return m

    def _new_node(
        self, code: str, level: str, name: str, full_name: str, parent_code: str | None, aliases: Iterable[str]
    ) -> int:
        i = len(self._code)
        self._idx[code] = i
        self._code.append(code)
        self._level.append(level)
        self._rank.append(_RANK.get(level, _UNKNOWN_RANK))
        self._name.append(name)
        self._full.append(full_name)
        self._parent_code.append(parent_code)
        self._parent.append(-1)
        self._div.append(-1)
        self._alive.append(True)
        self._keys.append(self._node_keys(name, level, aliases))
        if level in _SUB_LEVELS:
            self._has_sub_levels = True
        return i

    @staticmethod
    def _node_keys(name: str, level: str, aliases: Iterable[str]) -> tuple[tuple[str, int], ...]:
        out: dict[str, int] = {}
        key = normalize_address(name)
        if key:
            out[key] = _EXACT
        short_of_name = _division_short(key, level) if level in DIVISION_LEVELS else None
        for alias in aliases:
            ak = normalize_address(alias)
            if ak and ak not in out:
                # A division's alias that is just its name without the suffix is as weak as any short name.
                out[ak] = _SHORT if ak == short_of_name else _ALIAS
        if level in DIVISION_LEVELS:
            for k in list(out):
                short = _division_short(k, level)
                if short and short not in out:
                    out[short] = _SHORT
        return tuple(out.items())

    def _link(self, i: int) -> None:
        """Resolve the parent and register the node in the look-up dictionaries."""
        pc = self._parent_code[i]
        p = self._idx.get(pc, -1) if pc is not None else -1
        self._parent[i] = p
        if p < 0 and pc is not None:
            self._orphans.setdefault(pc, []).append(i)  # linked when the parent arrives
        level = self._level[i]
        if level not in DIVISION_LEVELS and p >= 0:
            for key, _kind in self._keys[i]:
                self._child.setdefault((p, key), i)
            if level == "compound" and self._level[p] == "door":
                kids = self._compound_kids.setdefault(p, [])
                if i not in kids:
                    kids.append(i)

    def _division_of(self, i: int) -> int:
        steps = 0
        while i >= 0 and self._level[i] not in DIVISION_LEVELS and steps < 32:
            i = self._parent[i]
            steps += 1
        return i if i >= 0 and self._level[i] in DIVISION_LEVELS else -1

    def _indexed_keys(self, i: int) -> list[tuple[str, int]]:
        """Keys of node ``i`` that go into the automaton."""
        level = self._level[i]
        if level in DIVISION_LEVELS or level == "road" or level == "compound":
            return [(k, kind) for k, kind in self._keys[i] if len(k) >= _MIN_KEY]
        if level == "building":
            # Numbered buildings ("3栋", "A栋", "东1巷3号") are found by regex under their parent.
            return [(k, kind) for k, kind in self._keys[i] if len(k) >= _MIN_KEY and not _numbered_building(k)]
        return []

    def _division_ancestors(self, d: int) -> frozenset[int]:
        anc = self._div_anc.get(d)
        if anc is None:
            out: list[int] = []
            i = d
            while i >= 0 and len(out) < 32:
                out.append(i)
                i = self._parent[i]
            anc = self._div_anc[d] = frozenset(out)
        return anc

    def _rebuild_main(self) -> None:
        self._div_anc = {}
        raw: dict[str, list[tuple[int, int]]] = {}
        for i in range(len(self._code)):
            if not self._alive[i]:
                continue
            for key, kind in self._indexed_keys(i):
                if (key, i) not in self._dead:
                    raw.setdefault(key, []).append((i, kind))
        self._key_entries = {key: self._entries(ents) for key, ents in raw.items()}
        self._overlay_keys = {}
        self._overlay = None
        self._overlay_dirty = False
        self._dead = set()
        self._clean = True
        self._main = self._automaton(self._key_entries)
        self._build_fuzzy()
        self._build_community_names()

    def _entries(self, ents: list[tuple[int, int]]) -> tuple[Entry, ...]:
        shared = any(self._level[n] in DIVISION_LEVELS for n, _ in ents)
        out: list[Entry] = []
        for n, kind in ents:
            q = _KIND_QUALITY[kind]
            if shared and kind != _EXACT and self._level[n] not in DIVISION_LEVELS:
                q = min(q, _SHARED_QUALITY)
            out.append((n, kind, q))
        return tuple(out)

    def _automaton(self, entries: dict[str, tuple[Entry, ...]]) -> Any:
        if not entries:
            return None
        level = self._level
        a = ahocorasick.Automaton()
        for key, ents in entries.items():
            exact = any(kind == _EXACT for _, kind, _ in ents)
            context = all(level[n] in _CONTEXT_LEVELS and kind == _EXACT for n, kind, _ in ents)
            a.add_word(key, (len(key), key, ents, exact, context))
        a.make_automaton()
        return a

    def _build_fuzzy(self) -> None:
        sub: dict[str, list[str]] = {}
        dele: dict[str, list[str]] = {}
        dele2: dict[str, list[str]] = {}
        self._prefix2 = set()
        last: dict[str, int] = {}
        for key, ents in self._key_entries.items():
            n = len(key)
            if _MIN_FUZZY_KEY <= n <= _MAX_FUZZY_SPAN and any(self._level[e[0]] in _NAMED_LEVELS for e in ents):
                last[key[-1]] = last.get(key[-1], 0) + 1
                self._prefix2.add(key[:2])
                d = dele2 if n == _MIN_FUZZY_KEY else dele
                for j in range(n):
                    sub.setdefault(key[:j] + "\x00" + key[j + 1 :], []).append(key)
                    d.setdefault(key[:j] + key[j + 1 :], []).append(key)
        self._fz_sub = {k: tuple(v) for k, v in sub.items()}
        self._fz_del = {k: tuple(v) for k, v in dele.items()}
        self._fz_del2 = {k: tuple(v) for k, v in dele2.items()}
        total = sum(last.values()) or 1
        self._suffix_chars = frozenset(c for c, n in last.items() if n >= max(2, total // 500))

    def _add_fuzzy_key(self, key: str) -> None:
        """Add one key to the edit-distance-1 indexes (used by edits; the build does it in bulk)."""
        n = len(key)
        if n < _MIN_FUZZY_KEY or n > _MAX_FUZZY_SPAN:
            return
        sub, dele = self._fz_sub, self._fz_del2 if n == _MIN_FUZZY_KEY else self._fz_del
        self._prefix2.add(key[:2])
        for j in range(n):
            for index, pattern in ((sub, key[:j] + "\x00" + key[j + 1 :]), (dele, key[:j] + key[j + 1 :])):
                have = index.get(pattern, ())
                if key not in have:
                    index[pattern] = (*have, key)

    def _build_community_names(self) -> None:
        names: dict[int, list[tuple[str, int]]] = {}
        for key, ents in self._key_entries.items():
            for n, _, _ in ents:
                if self._level[n] in _NAMED_LEVELS and self._div[n] >= 0:
                    names.setdefault(self._div[n], []).append((key, n))
        self._community_names = names
        self._street_communities = None
        self._choices_of.clear()

    # ------------------------------------------------------------------------------------------ edits

    def __len__(self) -> int:
        return sum(self._alive)

    def __contains__(self, code: object) -> bool:
        i = self._idx.get(code) if isinstance(code, str) else None
        return i is not None and self._alive[i]

    def add_alias(self, code: str, alias: str) -> bool:
        """Register a new alias for a node (e.g. a reviewer's choice). Effective immediately, no full rebuild.

        Returns False when the code is unknown, or the alias normalizes to nothing or is already known."""
        i = self._idx.get(code)
        if i is None or not self._alive[i]:
            return False
        key = normalize_address(alias)
        if len(key) < _MIN_KEY or any(k == key for k, _ in self._keys[i]):
            return False
        self._keys[i] = (*self._keys[i], (key, _ALIAS))
        p = self._parent[i]
        if self._level[i] not in DIVISION_LEVELS and p >= 0:
            self._child.setdefault((p, key), i)
        self._dead.discard((key, i))
        self._add_overlay(i, [(key, _ALIAS)])
        return True

    def remove(self, code: str) -> bool:
        """Remove one node (its descendants stay; remove them too if they are gone)."""
        i = self._idx.get(code)
        if i is None or not self._alive[i]:
            return False
        self._alive[i] = False
        self._unregister(i)
        return True

    def upsert(self, record: AddressRecord | DivisionRecord) -> None:
        """Insert a new node or replace an existing one (name, aliases, parent)."""
        parent: str | None
        if isinstance(record, AddressRecord):
            parent = record.parent_code if record.parent_code is not None else record.community_code
            full_name = record.full_name
        else:
            parent, full_name = record.parent_code, record.name
        i = self._idx.get(record.code)
        if i is None:
            i = self._new_node(record.code, record.level, record.name, full_name, parent, record.aliases)
        else:
            if self._alive[i]:
                self._unregister(i)
            self._alive[i] = True
            self._level[i] = record.level
            self._rank[i] = _RANK.get(record.level, _UNKNOWN_RANK)
            self._name[i] = record.name
            self._full[i] = full_name
            self._parent_code[i] = parent
            self._keys[i] = self._node_keys(record.name, record.level, record.aliases)
            if record.level in _SUB_LEVELS:
                self._has_sub_levels = True
        for key, _ in self._keys[i]:
            self._dead.discard((key, i))
        self._link(i)
        self._div[i] = self._division_of(i)
        if record.level in DIVISION_LEVELS:
            self._div_anc = {}
        # Children that arrived before their parent.
        for j in self._orphans.pop(record.code, ()):
            if self._parent_code[j] == record.code and self._alive[j]:
                self._link(j)
                self._div[j] = self._division_of(j)
        self._add_overlay(i, self._indexed_keys(i))

    def compact(self) -> None:
        """Fold the overlay and the removals into the main index (a full, linear rebuild)."""
        self._rebuild_main()

    def _unregister(self, i: int) -> None:
        self._clean = False
        p = self._parent[i]
        for key, _ in self._keys[i]:
            self._dead.add((key, i))
            if p >= 0 and self._child.get((p, key)) == i:
                del self._child[(p, key)]
        kids = self._compound_kids.get(p)
        if kids and i in kids:
            kids.remove(i)

    def _add_overlay(self, i: int, keys: list[tuple[str, int]]) -> None:
        if not keys or not self._indexed_keys(i):
            return
        named = self._level[i] in _NAMED_LEVELS
        for key, kind in keys:
            raw = [(n, k) for n, k, _ in self._overlay_keys.get(key, []) if n != i] + [(i, kind)]
            self._overlay_keys[key] = self._entries(raw)
            if named:
                self._add_fuzzy_key(key)
                if self._div[i] >= 0:
                    if self._div[i] not in self._community_names:
                        self._street_communities = None
                    self._choices_of.pop(self._div[i], None)
                    self._community_names.setdefault(self._div[i], []).append((key, i))
        self._overlay_dirty = True  # rebuilt before the next query: a bulk import rebuilds it once

    def _refresh_overlay(self) -> None:
        self._overlay_dirty = False
        if len(self._overlay_keys) > _OVERLAY_MAX:
            self._rebuild_main()
        else:
            self._overlay = self._automaton(self._overlay_keys)

    # ------------------------------------------------------------------------------------------ query

    def match_batch(self, texts: Iterable[object]) -> list[MatchResult]:
        return [self.match(t) for t in texts]

    def match(self, text: object) -> MatchResult:
        """Best standard address for ``text``. Never raises."""
        raw = text if isinstance(text, str) else ""
        try:
            return self._match(raw)
        except Exception as exc:  # defensive: a matcher must never take a request down
            return self._empty(raw, "", [f"error: {type(exc).__name__}"])

    @staticmethod
    def _empty(raw: str, norm: str, explanation: list[str]) -> MatchResult:
        return MatchResult(raw, norm, None, [], 0.0, None, explanation, True, None)

    def _match(self, raw: str) -> MatchResult:
        t = _normalize_long(raw)
        if not t:
            return self._empty(raw, t, ["empty input after normalization"])
        mentions = self._mentions(t)
        btoks = _building_tokens(t)
        chains = self._resolve(t, mentions, btoks)
        if self._needs_fuzzy(t, chains, mentions):
            fuzzy = self._fuzzy_mentions(t, mentions, chains[0] if chains else None, btoks)
            if fuzzy:
                chains = self._resolve(t, mentions + fuzzy, btoks)
        if not chains:
            return self._empty(raw, t, ["no division, road or compound name found"])
        return self._result(raw, t, chains)

    # mentions -------------------------------------------------------------------------------------

    def _mentions(self, t: str) -> list[_Mention]:
        if self._overlay_dirty:
            self._refresh_overlay()
        hits: list[tuple[int, int, str, tuple[Entry, ...], bool, bool]] = []
        for auto in (self._main, self._overlay):
            if auto is not None:
                for end, (n, key, ents, exact, context) in auto.iter(t):
                    hits.append((end - n + 1, end + 1, key, ents, exact, context))
        if not hits:
            return []
        if len(hits) > 1:
            hits.sort(key=_hit_order)
        out: list[_Mention] = []
        max_end = -1
        for start, end, key, ents, exact, context in hits:
            if out and out[-1].start == start and out[-1].end == end:
                last = out[-1]
                last.entries = (*last.entries, *ents)
                last.exact = last.exact or exact
                last.context = last.context and context
            elif end > max_end:
                out.append(_Mention(start, end, key, ents, exact, context))
                max_end = end
            # else: contained in a longer mention
        if len(out) > _MAX_MENTIONS:
            out = out[:_MAX_MENTIONS]
        if not self._clean:
            alive, dead = self._alive, self._dead
            for m in out:
                m.entries = [e for e in m.entries if alive[e[0]] and (m.key, e[0]) not in dead]
            out = [m for m in out if m.entries]
        return out

    # resolution -----------------------------------------------------------------------------------

    def _resolve(self, t: str, mentions: list[_Mention], btoks: list[tuple[int, int, str]]) -> list[_Chain]:
        if not mentions:
            return []
        rank, level = self._rank, self._level
        ends = {m.end for m in mentions if not m.fuzzy_from}
        chains: dict[int, _Chain] = {}
        seeds = 0
        # Nodes on a fully resolved chain: a seed there (the road of "福民路123号福民新村3栋" after the
        # compound seed, or the other way round) reaches the same node again.
        settled: set[int] = set()
        for mi, m in enumerate(mentions):
            for node, _kind, q in m.entries:
                if rank[node] < _ROAD_RANK or rank[node] >= _UNKNOWN_RANK:
                    continue
                if node in settled and level[node] != "road":  # a road may still lead to another door
                    continue
                seeds += 1
                if seeds > _MAX_SEEDS:
                    break
                chain = self._descend(t, node, m.start, m.end, btoks, ends)
                chain.quality = q
                self._score(chain, mentions, mi)
                if level[node] != "road" and rank[chain.node] > _DOOR_RANK:
                    self._door_credit(t, chain)
                if not chain.unresolved and not chain.gap:
                    settled.update(chain.path)
                old = chains.get(chain.node)
                if old is None or (chain.weight, chain.quality) > (old.weight, old.quality):
                    chains[chain.node] = chain
        if not chains:
            # Division-only text: each division mention, weighted by its agreeing context.
            for mi, m in enumerate(mentions):
                for node, _kind, q in m.entries:
                    if rank[node] >= _ROAD_RANK:
                        continue
                    chain = _Chain(node, m.end, quality=q)
                    self._score(chain, mentions, mi)
                    old = chains.get(node)
                    if old is None or chain.weight > old.weight:
                        chains[node] = chain
        code = self._code
        return sorted(chains.values(), key=lambda c: (-c.weight, -rank[c.node], -c.quality, code[c.node]))

    def _descend(
        self,
        t: str,
        node: int,
        start: int,
        pos: int,
        btoks: list[tuple[int, int, str]],
        ends: set[int],
    ) -> _Chain:
        level, child = self._level, self._child
        chain = _Chain(node, pos)
        if level[node] == "road":
            door = -1
            dm = _DOOR_AFTER.match(t, pos)
            if dm:
                num = dm.group(1)
                door = child.get((node, num + "号"), -1)
                if door < 0 and "-" in num:
                    door = child.get((node, num.split("-", 1)[0] + "号"), -1)
            else:
                dm = _DOOR_AS_BUILDING.match(t, pos)
                if dm:
                    num = dm.group(1)
                    door = child.get((node, num + "号"), -1)
            if dm:
                if door >= 0 and self._alive[door]:
                    node, pos = door, dm.end()
                    chain.weight += _W_DOOR
                    chain.corroboration += _W_DOOR
                    chain.steps.append(("door", door))
                elif dm.group(0).endswith("号") or not btoks:
                    chain.unresolved = True
                    chain.misses.append(("door", dm.group(1) + "号", node))
        if btoks:
            lv = level[node]
            found = False
            if lv == "door" or lv == "compound":
                # Numbers after the last consumed element first, then any before the seed mention.
                for s, e, key in [b for b in btoks if b[0] >= pos] + [b for b in btoks if b[1] <= start]:
                    b = child.get((node, key), -1)
                    if b < 0 and lv == "door":
                        for c in self._compound_kids.get(node, ()):
                            b = child.get((c, key), -1)
                            if b >= 0:
                                break
                    if b >= 0 and self._alive[b] and level[b] == "building":
                        if s > pos and s not in ends and _is_han(t[s - 1]):
                            chain.gap = True
                            chain.weight -= _W_GAP
                        node, pos = b, e
                        chain.weight += _W_BUILDING
                        chain.corroboration += _W_BUILDING
                        chain.steps.append(("building", b))
                        found = True
                        break
            if not found and lv != "building" and level[node] not in _SUB_LEVELS:
                chain.unresolved = True
                chain.misses.append(("building", btoks[0][2], node))
        if self._has_sub_levels and level[node] in ("building", "unit", "floor"):
            node, pos = self._descend_sub(t, node, pos, chain)
        chain.node, chain.pos = node, pos
        return chain

    def _door_credit(self, t: str, chain: _Chain) -> None:
        """A chain seeded below its door (compound "福民新村" of "福民路123号福民新村") still explains the house
        number written after its road."""
        level, name = self._level, self._name
        door = next((i for i in chain.path if level[i] == "door"), -1)
        if door < 0:
            return
        road = self._parent[door]
        for m, (node, _, _) in chain.hits:
            if node == road:
                dm = _DOOR_AFTER.match(t, m.end) or _DOOR_AS_BUILDING.match(t, m.end)
                if dm and dm.group(1) + "号" == name[door]:
                    chain.weight += _W_DOOR
                    chain.corroboration += _W_DOOR
                    chain.steps.insert(0, ("door", door))
                return

    def _descend_sub(self, t: str, node: int, pos: int, chain: _Chain) -> tuple[int, int]:
        tm = _TAIL.match(t, pos)
        if not tm or not tm.group(1):
            return node, pos
        for g, suffixes in ((2, ("单元",)), (3, ("层", "楼")), (4, ("", "室", "号"))):
            val = tm.group(g)
            if not val:
                continue
            nxt = -1
            for suf in suffixes:
                nxt = self._child.get((node, val + suf), -1)
                if nxt >= 0:
                    break
            if nxt < 0 or not self._alive[nxt]:
                break
            node, pos = nxt, tm.end(g)
            chain.weight += _W_SUB
            chain.steps.append((self._level[nxt], nxt))
        return node, pos

    def _score(self, chain: _Chain, mentions: list[_Mention], seed_mi: int) -> None:
        """Add the weight of every mention explained by the chain's ancestors; note conflicting divisions."""
        level, parent = self._level, self._parent
        on_chain = chain.path  # leaf → root
        i = chain.node
        while i >= 0:
            on_chain.append(i)
            i = parent[i]
        div_seen: set[str] = set()
        keys_seen: set[str] = set()
        conflicts = chain.conflicts
        hits = chain.hits
        quality = chain.quality
        fuzzy_spans: list[tuple[int, int]] = []
        div_hits: list[tuple[int, int, float]] = []
        for mi, m in enumerate(mentions):
            hit: Entry | None = None
            index: dict[int, Entry] | None = None
            if len(m.entries) == 1:
                if m.entries[0][0] in on_chain:
                    hit = m.entries[0]
            else:
                index = m.index
                if index is None:
                    index = m.index = {}
                    for e in reversed(m.entries):
                        index[e[0]] = e
                for c in on_chain:  # the deepest node the name denotes
                    hit = index.get(c)
                    if hit is not None:
                        break
            if hit is None:
                if m.context:
                    conflicts.append(m.key)
                continue
            if m.key in keys_seen:
                continue  # the same name written twice ("南山南山") is one piece of evidence
            keys_seen.add(m.key)
            lv = level[hit[0]]
            if lv in DIVISION_LEVELS:
                if index is not None:
                    # A name of several divisions ("莲塘": 莲塘街道 and 莲塘社区) takes the highest free level,
                    # leaving the lower ones to the names written after it.
                    pick: Entry | None = None
                    for c in reversed(on_chain):
                        cand = index.get(c)
                        if cand is not None and level[c] in DIVISION_LEVELS and level[c] not in div_seen:
                            pick = cand
                            break
                    if pick is None:
                        continue
                    hit = pick
                    lv = level[hit[0]]
                elif lv in div_seen:
                    continue
                div_seen.add(lv)
                w = _W_DIV[lv] * (_W_SHORT if hit[1] == _SHORT else 1.0)
            else:
                q = hit[2]
                w = _W_NAME * q
                if q < quality:
                    quality = q
            hits.append((m, hit))
            chain.weight += w
            if mi != seed_mi:
                chain.corroboration += w
            if hit[1] == _FUZZY:
                fuzzy_spans.append((m.start, m.end))
            elif lv in DIVISION_LEVELS:
                div_hits.append((m.start, m.end, w))
        chain.quality = quality
        if conflicts:
            chain.weight -= _W_CONFLICT * len(conflicts)
        if fuzzy_spans and div_hits:
            # A division name inside or across a misspelled name ("光明" in 光明石新村) is not extra evidence.
            for ds, de, dw in div_hits:
                if any(fs < de and ds < fe for fs, fe in fuzzy_spans):
                    chain.weight -= dw

    def _explain(self, chain: _Chain) -> list[str]:
        """Short phrases of what the chain matched and what it could not."""
        level, name = self._level, self._name
        out: list[str] = []
        for m, (node, kind, q) in chain.hits:
            lv = level[node]
            if kind == _SHORT:
                out.append(f"{lv} {name[node]} (short)")
            elif lv in DIVISION_LEVELS:
                out.append(f"{lv} {name[node]}" if kind == _EXACT else f"{lv} alias {m.key} → {name[node]}")
            elif kind == _EXACT:
                out.append(f"{lv} {name[node]} exact")
            elif kind == _FUZZY:
                out.append(f"fuzzy {m.fuzzy_from}→{name[node]} ({round(q * 100)})")
            else:
                out.append(f"{lv} alias {m.key} → {name[node]}")
        out.extend(f"{lv} {name[node]}" for lv, node in chain.steps)
        out.extend(f"{lv} {number} not found under {name[parent]}" for lv, number, parent in chain.misses)
        out.extend(f"context {k} disagrees" for k in chain.conflicts)
        return out

    # fuzzy ----------------------------------------------------------------------------------------

    def _needs_fuzzy(self, t: str, chains: list[_Chain], mentions: list[_Mention]) -> bool:
        if not chains or self._rank[chains[0].node] < _ROAD_RANK:
            return True
        best = chains[0]
        if best.unresolved or best.gap or best.conflicts or best.quality < 0.9:
            return True
        # A district/street/community named in the text that the reading does not lie in ("观澜下竹溪路":
        # 竹溪路 exists, but not in 观澜; 下竹西路 does).
        level, path = self._level, best.path
        for m in mentions:
            if all(level[e[0]] in _CONTEXT_LEVELS for e in m.entries) and not any(e[0] in path for e in m.entries):
                return True
        # A short unexplained name right after the address, closing the text ("华民路12号源山庄").
        p, n = best.pos, len(t)
        if p < n and _is_han(t[p]):
            j = p
            while j < n and j - p <= _MAX_FUZZY_SPAN and _is_han(t[j]):
                j += 1
            if (
                _MIN_FUZZY_KEY <= j - p <= _MAX_FUZZY_SPAN
                and (j == n or not _is_han(t[j]))
                and (t[j - 1] in self._suffix_chars or t[p : p + 2] in self._prefix2)
                and not any(m.exact and m.start < j and m.end > p for m in mentions)
            ):
                return True
        # A house number that the reading does not explain: its road may be misspelled.
        if "号" in t and self._rank[best.node] < _BUILDING_RANK:
            doors = {self._name[i] for i in path if level[i] == "door"}
            return any(dm.group(1) + "号" not in doors for dm in _DOOR_TOKEN.finditer(t))
        return False

    def _fuzzy_mentions(
        self, t: str, mentions: list[_Mention], best: _Chain | None, btoks: list[tuple[int, int, str]]
    ) -> list[_Mention]:
        n = len(t)
        covered = bytearray(n)
        context: set[int] = set()
        # The names of a reading that left a number unexplained may themselves be misspelled ("益隆路11号"
        # for 益隆一路11号): they do not cover their span.
        weak = {id(m) for m, _ in best.hits} if best is not None and (best.unresolved or best.conflicts) else set()
        exact_nodes: set[int] = set()
        for m in mentions:
            if m.exact and id(m) not in weak:  # aliases and short names do not cover either
                covered[m.start : m.end] = b"\x01" * (m.end - m.start)
            for node, kind, _ in m.entries:
                if self._level[node] in _CONTEXT_LEVELS:  # the city is everyone's ancestor: no context
                    context.add(node)
                elif kind == _EXACT and id(m) not in weak:
                    exact_nodes.add(node)
        lane_starts: set[int] = set()
        if "巷" in t:
            for lm in _LANE_TOKEN.finditer(t):
                lane_starts.add(lm.start())
                covered[lm.start() : lm.end()] = b"\x01" * (lm.end() - lm.start())
        # Uncovered runs of Chinese characters.
        segments: list[tuple[int, int]] = []
        s0 = -1
        for j in range(n):
            ok = not covered[j] and _is_han(t[j])
            if ok and s0 < 0:
                s0 = j
            elif not ok and s0 >= 0:
                segments.append((s0, j))
                s0 = -1
        if s0 >= 0:
            segments.append((s0, n))
        found: dict[str, tuple[float, int, int]] = {}  # key -> (similarity, start, end) of its best span
        suffix_chars = self._suffix_chars
        budget = _FUZZY_SPAN_BUDGET
        for s0, e0 in segments:
            ends = {e0}
            ends.update(j + 1 for j in range(s0, e0) if t[j] in suffix_chars)
            for end in ends:
                # A two-character span only right before a number ("西盛21号" for 西盛街).
                structural = end == e0 and (end in lane_starts or (e0 < n and t[e0].isdigit()))
                for length in range(2 if structural else _MIN_FUZZY_KEY, min(_MAX_FUZZY_SPAN, end - s0) + 1):
                    budget -= 1
                    if budget < 0:
                        break
                    span = t[end - length : end]
                    for key in self._edit1(span):
                        sim = self._similarity(span, key)
                        if sim >= _FUZZY_MIN_SIM:
                            prev = found.get(key)
                            if prev is None or (sim, length) > (prev[0], prev[2] - prev[1]):
                                found[key] = (sim, end - length, end)
        if not found:
            found = self._process_fallback(t, context, segments)
        return self._fuzzy_to_mentions(t, found, context, btoks, exact_nodes)

    def _similarity(self, span: str, key: str) -> float:
        """OSA similarity in [0, 1]; a substituted character that sounds the same (拼音, ignoring tones and
        the zh/z, ch/c, sh/s, -ng/-n confusions) costs a quarter of an edit: 锐居花园 is nearer to 瑞居花园
        than to 万居花园."""
        sim = OSA.normalized_similarity(span, key)
        if len(span) == len(key) and self._phonetic is not None:
            diff = [j for j in range(len(span)) if span[j] != key[j]]
            if len(diff) == 1:
                j = diff[0]
                if self._phonetic.same_sound(span[j], key[j]):
                    sim = 1.0 - 0.25 / len(span)
        return float(sim)

    def _fuzzy_to_mentions(
        self,
        t: str,
        found: dict[str, tuple[float, int, int]],
        context: set[int],
        btoks: list[tuple[int, int, str]],
        exact_nodes: set[int],
    ) -> list[_Mention]:
        """Turn (span → key → similarity) into mentions. Entries the division context supports come first,
        then those under which the number written after the span exists, then by similarity."""
        level, div, child = self._level, self._div, self._child
        after: dict[int, tuple[str | None, str | None]] = {}  # span end -> (door key, building key) after it
        scored: list[tuple[int, int, float, int, int, int]] = []  # (agrees, resolves, sim, node, start, end)
        for key, (sim, s, e) in found.items():
            nxt = after.get(e)
            if nxt is None:
                dm = _DOOR_AFTER.match(t, e)
                bkey = next((b[2] for b in btoks if b[0] >= e), None)
                nxt = after[e] = (dm.group(1) + "号" if dm else None, bkey)
            door_key, bkey = nxt
            for node, _k in self._entries_for(key):
                lv = level[node]
                if lv not in _NAMED_LEVELS or node in exact_nodes:  # already read exactly elsewhere
                    continue
                agrees = 1 if context and not context.isdisjoint(self._division_ancestors(div[node])) else 0
                resolves = 0
                if lv == "road" and door_key is not None:
                    resolves = 1 if (node, door_key) in child else 0
                elif lv == "compound" and bkey is not None:
                    resolves = 1 if (node, bkey) in child else 0
                scored.append((agrees, resolves, sim, node, s, e))
        if not scored:
            return []
        if any(x[0] for x in scored):
            scored = [x for x in scored if x[0]]
        # Each node once, at its best span (overlapping spans must not count the same name twice). The node id
        # breaks ties: ``found`` is filled from sets of strings, whose order changes with the hash seed.
        scored.sort(key=lambda x: (-x[1], -x[2], x[4] - x[5], x[4], x[3]))
        seen: set[int] = set()
        by_span: dict[tuple[int, int], list[Entry]] = {}
        for _, _, sim, node, s, e in scored:
            if node in seen:
                continue
            seen.add(node)
            if len(seen) > _MAX_FUZZY_SEEDS:
                break
            by_span.setdefault((s, e), []).append((node, _FUZZY, sim))
        return [_Mention(s, e, t[s:e], ents, fuzzy_from=t[s:e]) for (s, e), ents in by_span.items()]

    def _entries_for(self, key: str) -> list[tuple[int, int]]:
        ents = [(n, k) for n, k, _ in self._key_entries.get(key, ())]
        if self._overlay_keys:
            ents.extend((n, k) for n, k, _ in self._overlay_keys.get(key, ()))
        if self._clean:
            return ents
        return [(n, k) for n, k in ents if self._alive[n] and (key, n) not in self._dead]

    def _edit1(self, span: str) -> set[str]:
        """Library keys at edit distance 1 from ``span`` (substitution, deletion, insertion, transposition)."""
        out: set[str] = set()
        n = len(span)
        if n < _MIN_FUZZY_KEY:
            hit = self._fz_del2.get(span)
            if hit:
                out.update(hit)
            return out
        keys, ov, sub = self._key_entries, self._overlay_keys, self._fz_sub
        for j in range(n):
            hit = sub.get(span[:j] + "\x00" + span[j + 1 :])
            if hit:
                out.update(hit)
            d = span[:j] + span[j + 1 :]
            if len(d) >= _MIN_FUZZY_KEY and (d in keys or d in ov):
                out.add(d)
            if j + 1 < n and span[j] != span[j + 1]:
                sw = span[:j] + span[j + 1] + span[j] + span[j + 2 :]
                if sw in keys or sw in ov:
                    out.add(sw)
        hit = self._fz_del.get(span)
        if hit:
            out.update(hit)
        out.discard(span)
        return out

    def _communities_of(self, street: int) -> list[int]:
        index = self._street_communities
        if index is None:
            index = {}
            for c in self._community_names:
                index.setdefault(self._parent[c], []).append(c)
            self._street_communities = index
        return index.get(street, [])

    def _process_fallback(
        self, t: str, context: set[int], segments: list[tuple[int, int]]
    ) -> dict[str, tuple[float, int, int]]:
        """Last resort with a small division context: rapidfuzz.process over that context's names."""
        communities: set[int] = set()
        for node in context:
            lv = self._level[node]
            if lv == "community":
                communities.add(node)
            elif lv == "street":
                communities.update(self._communities_of(node))
        choices: list[str] = []
        for c in communities:
            keys = self._choices_of.get(c)
            if keys is None:
                keys = [k for k, _ in self._community_names.get(c, ()) if len(k) >= _MIN_FUZZY_KEY]
                self._choices_of[c] = keys
            choices.extend(keys)
        found: dict[str, tuple[float, int, int]] = {}
        if not choices or len(choices) > _PROCESS_CHOICES_MAX:
            return found
        for s0, end in segments:
            e0 = _before_assist(t, s0, end)  # "…网格附近": the vague locating word is no part of a name
            seg = t[s0:e0]
            if len(seg) < _MIN_FUZZY_KEY:
                continue
            for key, _score, _ in process.extract(seg, choices, scorer=fuzz.partial_ratio, limit=3, score_cutoff=70):
                al = fuzz.partial_ratio_alignment(key, seg)
                if al is None:
                    continue
                s, e = s0 + al.dest_start, s0 + al.dest_end
                sim = OSA.normalized_similarity(t[s:e], key)
                if sim >= _FUZZY_MIN_SIM and (key not in found or found[key][0] < sim):
                    found[key] = (sim, s, e)
        return found

    # result -----------------------------------------------------------------------------------------

    def _result(self, raw: str, t: str, chains: list[_Chain]) -> MatchResult:
        best = chains[0]
        rank = self._rank
        level = self._level[best.node]
        explanation = self._explain(best)
        notes: list[str] = []
        if level in DIVISION_LEVELS:
            conf = _DIV_CONFIDENCE.get(level, 0.2) * best.quality
        else:
            q = best.quality
            conf = q if q >= 1.0 else q + (1.0 - q) * min(1.0, best.corroboration / 3.0) * 0.8
        if best.unresolved:
            conf *= 0.75
        if best.conflicts:
            conf *= 0.7
        # Ties: same evidence, same level, different node (one name in several places, no context).
        ties = [c for c in chains[1:] if c.weight >= best.weight - 1e-9 and rank[c.node] == rank[best.node]]
        if ties:
            k = len(ties) + 1
            conf *= 0.9 / k
            notes.append(f"ambiguous: {k} candidates at level {level} with the same evidence")
        elif len(chains) > 1:
            runner = chains[1]
            if runner.weight >= best.weight - 0.75 and rank[runner.node] == rank[best.node]:
                conf *= 0.85
                notes.append(f"close runner-up {self._code[runner.node]}")
            elif runner.weight >= best.weight - 1e-9:
                conf *= 0.9
        conf = round(max(0.0, min(1.0, conf)), 4)
        remainder = None
        if rank[best.node] >= _RANK["door"] and best.pos < len(t):
            dm = _DASH_TAIL.match(t, best.pos) if "-" in t else None
            if dm:
                remainder = f"{dm.group(1)}单元{dm.group(2)}"
            else:
                tm = _TAIL.match(t, best.pos)
                if tm and tm.group(1) and any(ch.isdigit() for ch in tm.group(1)):
                    remainder = tm.group(1)
            if remainder:
                explanation.append(f"remainder {remainder}")
        wmax = max(best.weight, 1e-9)
        cands = [
            Candidate(
                self._code[c.node],
                self._level[c.node],
                self._full[c.node],
                conf if c is best else round(max(0.0, min(conf, conf * c.weight / wmax)), 4),
            )
            for c in chains[:TOP_K]
        ]
        return MatchResult(
            text=raw,
            normalized=t,
            best=cands[0],
            candidates=cands,
            confidence=conf,
            level=level,
            explanation=explanation + notes,
            needs_review=conf < self.review_threshold,
            remainder=remainder,
        )
