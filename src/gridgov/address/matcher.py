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
   number, an alias shared with a division name, a gap before a number): edit-distance-1 look-ups
   (substitution, missing, extra or swapped character) of the spans before a name suffix or a number, scored
   with ``rapidfuzz`` (OSA similarity) and filtered by the division context; with a small division context
   and nothing found, ``rapidfuzz.process`` over that context's names as a last resort.

Edits (``add_alias``, ``upsert``, ``remove``) take effect at once: new keys go to a small overlay automaton
that is rebuilt alone; stale keys are filtered at query time. ``compact()`` folds everything into the main
index (a linear rebuild, about a second for the full city).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick  # type: ignore[import-not-found, import-untyped, unused-ignore]
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from gridgov.address.normalize import normalize
from gridgov.address.records import AddressRecord, DivisionRecord

__all__ = ["DEFAULT_REVIEW_THRESHOLD", "AddressMatcher", "Candidate", "MatchResult", "normalize_address"]

DEFAULT_REVIEW_THRESHOLD = 0.6
MAX_INPUT_CHARS = 4000  # longer input is cut (a complaint rarely names its address after this)
_CHUNK = 256  # normalize() bounds its output; long texts are normalized in chunks
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
_ROAD_RANK = _RANK["road"]
_BUILDING_RANK = _RANK["building"]
_UNKNOWN_RANK = 11
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
_EXACT, _ALIAS, _SHORT, _FUZZY = 0, 1, 2, 3
_KIND_QUALITY = (1.0, 0.97, 0.9, 0.0)
_SHARED_QUALITY = 0.75  # an address alias that is also a division's name ("南山": 南山区 and 南山公寓)

# Evidence weights.
_W_DIV = {"city": 0.3, "district": 1.0, "street": 1.0, "community": 1.5}
_W_SHORT = 0.6  # factor for division names without their suffix
_W_NAME = 2.0  # road / compound / named building
_W_DOOR = 1.5
_W_BUILDING = 1.5
_W_SUB = 0.5  # unit / floor / room
_W_CONFLICT = 0.5
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
_MIN_KEY = 2
_MIN_FUZZY_KEY = 3
_MAX_FUZZY_SPAN = 10
_MAX_SEEDS = 64
_MAX_FUZZY_SEEDS = 24
_FUZZY_MIN_SIM = 0.6
_PROCESS_CHOICES_MAX = 600

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


def _division_short(name: str, level: str) -> str | None:
    for suffix in _DIV_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_KEY:
            return name[: -len(suffix)]
    return None


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
    entries: list[Entry]
    exact: bool = False  # carries a full (non-alias, non-short) name: the span is certainly a name
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
        self._key_entries: dict[str, list[Entry]] = {}  # main index: key -> entries
        self._main: Any = None
        self._overlay: Any = None
        self._overlay_keys: dict[str, list[Entry]] = {}
        self._dead: set[tuple[str, int]] = set()
        self._clean = True  # no removal since the last rebuild: entries need no filtering
        self._child: dict[tuple[int, str], int] = {}
        self._compound_kids: dict[int, list[int]] = {}
        self._community_names: dict[int, list[tuple[str, int]]] = {}
        self._fz_sub: dict[str, list[str]] = {}
        self._fz_del: dict[str, list[str]] = {}
        self._fz_del2: dict[str, list[str]] = {}
        self._suffix_chars: frozenset[str] = frozenset()
        self._has_sub_levels = False

    # ------------------------------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        divisions: Sequence[DivisionRecord],
        addresses: Sequence[AddressRecord],
        *,
        review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
    ) -> AddressMatcher:
        m = cls(review_threshold=review_threshold)
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
        self._dead = set()
        self._clean = True
        self._main = self._automaton(self._key_entries)
        self._build_fuzzy()
        self._build_community_names()

    def _entries(self, ents: list[tuple[int, int]]) -> list[Entry]:
        shared = any(self._level[n] in DIVISION_LEVELS for n, _ in ents)
        out: list[Entry] = []
        for n, kind in ents:
            q = _KIND_QUALITY[kind]
            if shared and kind != _EXACT and self._level[n] not in DIVISION_LEVELS:
                q = min(q, _SHARED_QUALITY)
            out.append((n, kind, q))
        return out

    @staticmethod
    def _automaton(entries: dict[str, list[Entry]]) -> Any:
        if not entries:
            return None
        a = ahocorasick.Automaton()
        for key, ents in entries.items():
            exact = any(kind == _EXACT for _, kind, _ in ents)
            a.add_word(key, (len(key), key, ents, exact))
        a.make_automaton()
        return a

    def _build_fuzzy(self) -> None:
        self._fz_sub, self._fz_del, self._fz_del2 = {}, {}, {}
        last: dict[str, int] = {}
        for key, ents in self._key_entries.items():
            if any(self._level[n] in _NAMED_LEVELS for n, _, _ in ents):
                if _MIN_FUZZY_KEY <= len(key) <= _MAX_FUZZY_SPAN:
                    last[key[-1]] = last.get(key[-1], 0) + 1
                self._add_fuzzy_key(key)
        total = sum(last.values()) or 1
        self._suffix_chars = frozenset(c for c, n in last.items() if n >= max(2, total // 500))

    def _add_fuzzy_key(self, key: str) -> None:
        n = len(key)
        if n < _MIN_FUZZY_KEY or n > _MAX_FUZZY_SPAN:
            return
        sub, dele = self._fz_sub, self._fz_del2 if n == _MIN_FUZZY_KEY else self._fz_del
        for j in range(n):
            sub.setdefault(key[:j] + "\x00" + key[j + 1 :], []).append(key)
            dele.setdefault(key[:j] + key[j + 1 :], []).append(key)

    def _build_community_names(self) -> None:
        names: dict[int, list[tuple[str, int]]] = {}
        for key, ents in self._key_entries.items():
            for n, _, _ in ents:
                if self._level[n] in _NAMED_LEVELS and self._div[n] >= 0:
                    names.setdefault(self._div[n], []).append((key, n))
        self._community_names = names

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
        # Children that arrived before their parent.
        for j, pc in enumerate(self._parent_code):
            if pc == record.code and self._parent[j] != i and self._alive[j]:
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
                    self._community_names.setdefault(self._div[i], []).append((key, i))
        self._overlay = self._automaton(self._overlay_keys)

    # ------------------------------------------------------------------------------------------ query

    def match_batch(self, texts: Iterable[str]) -> list[MatchResult]:
        return [self.match(t) for t in texts]

    def match(self, text: str) -> MatchResult:
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
        if self._needs_fuzzy(t, chains):
            fuzzy = self._fuzzy_mentions(t, mentions)
            if fuzzy:
                chains = self._resolve(t, mentions + fuzzy, btoks)
        if not chains:
            return self._empty(raw, t, ["no division, road or compound name found"])
        return self._result(raw, t, chains)

    # mentions -------------------------------------------------------------------------------------

    def _mentions(self, t: str) -> list[_Mention]:
        hits: list[tuple[int, int, str, list[Entry], bool]] = []
        for auto in (self._main, self._overlay):
            if auto is not None:
                for end, (n, key, ents, exact) in auto.iter(t):
                    hits.append((end - n + 1, end + 1, key, ents, exact))
        if not hits:
            return []
        if len(hits) > 1:
            hits.sort(key=lambda h: (h[0], -h[1]))
        out: list[_Mention] = []
        max_end = -1
        for start, end, key, ents, exact in hits:
            if out and out[-1].start == start and out[-1].end == end:
                last = out[-1]
                last.entries = last.entries + ents
                last.exact = last.exact or exact
            elif end > max_end:
                out.append(_Mention(start, end, key, ents, exact))
                max_end = end
            # else: contained in a longer mention
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
        rank = self._rank
        ends = {m.end for m in mentions}
        chains: dict[int, _Chain] = {}
        seeds = 0
        for mi, m in enumerate(mentions):
            for node, _kind, q in m.entries:
                if rank[node] < _ROAD_RANK or rank[node] >= _UNKNOWN_RANK:
                    continue
                seeds += 1
                if seeds > _MAX_SEEDS:
                    break
                chain = self._descend(t, node, m.start, m.end, btoks, ends)
                chain.quality = q
                self._score(chain, mentions, mi)
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
        on_chain: list[int] = []  # leaf → root
        i = chain.node
        while i >= 0:
            on_chain.append(i)
            i = parent[i]
        div_seen: set[str] = set()
        keys_seen: set[str] = set()
        conflicts = chain.conflicts
        hits = chain.hits
        quality = chain.quality
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
                if m.exact and all(level[n] in _CONTEXT_LEVELS and k == _EXACT for n, k, _ in m.entries):
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
                        e = index.get(c)
                        if e is not None and level[c] in DIVISION_LEVELS and level[c] not in div_seen:
                            pick = e
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
        chain.quality = quality
        if conflicts:
            chain.weight -= _W_CONFLICT * len(conflicts)

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

    def _needs_fuzzy(self, t: str, chains: list[_Chain]) -> bool:
        if not chains or self._rank[chains[0].node] < _ROAD_RANK:
            return True
        best = chains[0]
        if best.unresolved or best.gap or best.quality < 0.9:
            return True
        # A house number that no chain explains: its road may be misspelled.
        if "号" in t and self._rank[best.node] < _BUILDING_RANK and _DOOR_TOKEN.search(t) is not None:
            level, parent = self._level, self._parent
            i = best.node
            while i >= 0 and level[i] != "door":
                i = parent[i]
            return i < 0
        return False

    def _fuzzy_mentions(self, t: str, mentions: list[_Mention]) -> list[_Mention]:
        n = len(t)
        covered = bytearray(n)
        context: set[int] = set()
        for m in mentions:
            if m.exact:  # aliases and short names do not cover: they may be part of a misspelled name
                covered[m.start : m.end] = b"\x01" * (m.end - m.start)
            for node, _, _ in m.entries:
                if self._rank[node] < _ROAD_RANK:
                    context.add(node)
        lane_starts = {m.start() for m in _LANE_TOKEN.finditer(t)} if "巷" in t else set()
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
        found: dict[tuple[int, int], dict[str, float]] = {}
        suffix_chars = self._suffix_chars
        for s0, e0 in segments:
            ends = {e0}
            ends.update(j + 1 for j in range(s0, e0) if t[j] in suffix_chars)
            ends.update(ls for ls in lane_starts if s0 < ls < e0)
            for end in ends:
                # A two-character span only right before a number ("西盛21号" for 西盛街).
                structural = end in lane_starts or (end == e0 and e0 < n and t[e0].isdigit())
                for length in range(2 if structural else _MIN_FUZZY_KEY, min(_MAX_FUZZY_SPAN, end - s0) + 1):
                    span = t[end - length : end]
                    for key in self._edit1(span):
                        sim = OSA.normalized_similarity(span, key)
                        if sim >= _FUZZY_MIN_SIM:
                            slot = found.setdefault((end - length, end), {})
                            if slot.get(key, 0.0) < sim:
                                slot[key] = sim
        if not found:
            found = self._process_fallback(t, context, segments)
        elif len(found) > 1:
            # A span inside a longer span that already has candidates is most likely a spurious reading.
            kept: list[tuple[int, int]] = []
            for s, e in sorted(found, key=lambda se: se[0] - se[1]):
                if not any(ks <= s and e <= ke for ks, ke in kept):
                    kept.append((s, e))
            found = {k: found[k] for k in kept}
        return self._fuzzy_to_mentions(t, found, context)

    def _fuzzy_to_mentions(
        self, t: str, found: dict[tuple[int, int], dict[str, float]], context: set[int]
    ) -> list[_Mention]:
        """Turn (span → key → similarity) into mentions. Entries the division context supports come first,
        then those under which the number written after the span exists, then by similarity."""
        level, div, child = self._level, self._div, self._child
        btoks = _building_tokens(t)
        scored: list[tuple[int, int, float, int, int, int]] = []  # (agrees, resolves, sim, node, start, end)
        for (s, e), keys in found.items():
            door_key = None
            dm = _DOOR_AFTER.match(t, e)
            if dm:
                door_key = dm.group(1) + "号"
            bkeys = [b[2] for b in btoks if b[0] >= e][:1]
            for key, sim in keys.items():
                for node, _k in self._entries_for(key):
                    lv = level[node]
                    if lv not in _NAMED_LEVELS:
                        continue
                    agrees = 1 if context and not context.isdisjoint(self._division_ancestors(div[node])) else 0
                    resolves = 0
                    if lv == "road" and door_key is not None:
                        resolves = 1 if (node, door_key) in child else 0
                    elif lv == "compound" and bkeys:
                        resolves = 1 if (node, bkeys[0]) in child else 0
                    scored.append((agrees, resolves, sim, node, s, e))
        if not scored:
            return []
        if any(x[0] for x in scored):
            scored = [x for x in scored if x[0]]
        scored.sort(key=lambda x: (-x[1], -x[2], x[4]))
        by_span: dict[tuple[int, int], _Mention] = {}
        for _, _, sim, node, s, e in scored[:_MAX_FUZZY_SEEDS]:
            m = by_span.get((s, e))
            if m is None:
                m = by_span[(s, e)] = _Mention(s, e, t[s:e], [], fuzzy_from=t[s:e])
            m.entries.append((node, _FUZZY, sim))
        return list(by_span.values())

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

    def _process_fallback(
        self, t: str, context: set[int], segments: list[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, float]]:
        """Last resort with a small division context: rapidfuzz.process over that context's names."""
        communities: set[int] = set()
        for node in context:
            lv = self._level[node]
            if lv == "community":
                communities.add(node)
            elif lv == "street":
                communities.update(c for c in self._community_names if self._parent[c] == node)
        choices: list[str] = []
        for c in communities:
            choices.extend(k for k, _ in self._community_names.get(c, ()) if len(k) >= _MIN_FUZZY_KEY)
        found: dict[tuple[int, int], dict[str, float]] = {}
        if not choices or len(choices) > _PROCESS_CHOICES_MAX:
            return found
        for s0, e0 in segments:
            seg = t[s0:e0]
            if len(seg) < _MIN_FUZZY_KEY:
                continue
            for key, _score, _ in process.extract(seg, choices, scorer=fuzz.partial_ratio, limit=3, score_cutoff=70):
                al = fuzz.partial_ratio_alignment(key, seg)
                if al is None:
                    continue
                s, e = s0 + al.dest_start, s0 + al.dest_end
                sim = OSA.normalized_similarity(t[s:e], key)
                if sim >= _FUZZY_MIN_SIM:
                    found.setdefault((s, e), {})[key] = sim
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
        if rank[best.node] >= _RANK["door"]:
            dm = _DASH_TAIL.match(t, best.pos)
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
