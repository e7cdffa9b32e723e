"""The matcher's index of the standard address library: one node per division and address (code, level, name,
parent, nearest division), its normalized names and aliases as look-up keys, the Aho-Corasick automata over
them (the main one and a small overlay for edits), the ``(parent, name)`` dictionary the matcher descends
through, and the edit-distance-1 dictionaries of the fuzzy stage.

Edits (``add_alias``, ``upsert``, ``remove``) take effect at once: new keys go to the overlay automaton, which
is rebuilt alone before the next query; stale keys are filtered at query time. ``compact()`` folds everything
into the main index (a linear rebuild, about a second for the full city).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import ahocorasick  # type: ignore[import-not-found, import-untyped, unused-ignore]

from gridgov.address.match_phonetic import Phonetic, shared_phonetic
from gridgov.address.match_text import normalize_address, numbered_building
from gridgov.address.match_types import (
    ALIAS,
    CONTEXT_LEVELS,
    DIVISION_LEVELS,
    EXACT,
    MAX_FUZZY_SPAN,
    MIN_FUZZY_KEY,
    NAMED_LEVELS,
    RANK,
    SHORT,
    SUB_LEVELS,
    UNKNOWN_RANK,
    Entry,
)
from gridgov.address.records import AddressRecord, DivisionRecord

__all__ = ["MatchIndex"]

_DIV_SUFFIXES: dict[str, tuple[str, ...]] = {
    "city": ("市",),
    "district": ("新区", "区"),
    "street": ("街道办事处", "街道", "镇"),
    "community": ("社区居委会", "社区工作站", "社区", "居委会", "村委会"),
}
_KIND_QUALITY = (1.0, 0.97, 0.9, 0.0)
_SHARED_QUALITY: Final = 0.75  # an address alias that is also a division's name ("南山": 南山区 and 南山公寓)
_MIN_KEY: Final = 2
_OVERLAY_MAX: Final = 4096  # keys added since the last full build; beyond, the next query folds them in (≈2 s)


def _division_short(name: str, level: str) -> str | None:
    for suffix in _DIV_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_KEY:
            return name[: -len(suffix)]
    return None


class MatchIndex:
    """Nodes, keys and look-up structures of the matcher (see the module docstring). Built once with
    :meth:`build`; the query stages read its attributes directly."""

    def __init__(self) -> None:
        self.idx: dict[str, int] = {}
        self.code: list[str] = []
        self.level: list[str] = []
        self.rank: list[int] = []
        self.name: list[str] = []
        self.full: list[str] = []
        self.parent_code: list[str | None] = []
        self.parent: list[int] = []
        self.div: list[int] = []  # nearest division ancestor (the community for addresses); self for divisions
        self.div_anc: dict[int, frozenset[int]] = {}  # division -> itself and its division ancestors
        self.alive: list[bool] = []
        self.keys: list[tuple[tuple[str, int], ...]] = []  # per node: (key, kind)
        self.key_entries: dict[str, tuple[Entry, ...]] = {}  # main index: key -> entries
        self.main: Any = None
        self.overlay: Any = None
        self.overlay_keys: dict[str, tuple[Entry, ...]] = {}
        self.overlay_dirty = False
        self.orphans: dict[str, list[int]] = {}  # parent code not (yet) known -> children
        self.dead: set[tuple[str, int]] = set()
        self.clean = True  # no removal since the last rebuild: entries need no filtering
        self.child: dict[tuple[int, str], int] = {}
        self.compound_kids: dict[int, list[int]] = {}
        self.community_names: dict[int, list[tuple[str, int]]] = {}
        self.street_communities: dict[int, list[int]] | None = None  # street -> its named communities
        self.choices_of: dict[int, list[str]] = {}  # community -> its names long enough for fuzzy search
        # Edit-distance-1 indexes (tuples, not lists: millions of GC-tracked lists would slow every collection).
        self.fz_sub: dict[str, tuple[str, ...]] = {}  # key with one character wildcarded -> keys
        self.fz_del: dict[str, tuple[str, ...]] = {}  # key with one character deleted -> keys (4+ chars)
        self.fz_del2: dict[str, tuple[str, ...]] = {}  # the same for 3-character keys
        self.suffix_chars: frozenset[str] = frozenset()
        self.prefix2: set[str] = set()  # first two characters of the named keys
        self.has_sub_levels = False
        self.phonetic: Phonetic | None = None

    @classmethod
    def build(
        cls,
        divisions: Sequence[DivisionRecord],
        addresses: Sequence[AddressRecord],
        *,
        phonetic: bool = True,
    ) -> MatchIndex:
        """Index the records (about 2 s for the full city). ``phonetic`` lets fuzzy matching prefer sound-alike
        characters (拼音 readings from jionlp's character dictionary, loaded once per process)."""
        m = cls()
        if phonetic:
            m.phonetic = shared_phonetic()
        for d in divisions:
            m._new_node(d.code, d.level, d.name, d.name, d.parent_code, d.aliases)
        for a in addresses:
            parent = a.parent_code if a.parent_code is not None else a.community_code
            m._new_node(a.code, a.level, a.name, a.full_name, parent, a.aliases)
        for i in range(len(m.code)):
            m._link(i)
        for i in range(len(m.code)):
            m.div[i] = m._division_of(i)
        m._rebuild_main()
        return m

    def _new_node(
        self, code: str, level: str, name: str, full_name: str, parent_code: str | None, aliases: Iterable[str]
    ) -> int:
        i = len(self.code)
        self.idx[code] = i
        self.code.append(code)
        self.level.append(level)
        self.rank.append(RANK.get(level, UNKNOWN_RANK))
        self.name.append(name)
        self.full.append(full_name)
        self.parent_code.append(parent_code)
        self.parent.append(-1)
        self.div.append(-1)
        self.alive.append(True)
        self.keys.append(self._node_keys(name, level, aliases))
        if level in SUB_LEVELS:
            self.has_sub_levels = True
        return i

    @staticmethod
    def _node_keys(name: str, level: str, aliases: Iterable[str]) -> tuple[tuple[str, int], ...]:
        out: dict[str, int] = {}
        key = normalize_address(name)
        if key:
            out[key] = EXACT
        short_of_name = _division_short(key, level) if level in DIVISION_LEVELS else None
        for alias in aliases:
            ak = normalize_address(alias)
            if ak and ak not in out:
                # A division's alias that is just its name without the suffix is as weak as any short name.
                out[ak] = SHORT if ak == short_of_name else ALIAS
        if level in DIVISION_LEVELS:
            for k in list(out):
                short = _division_short(k, level)
                if short and short not in out:
                    out[short] = SHORT
        return tuple(out.items())

    def _link(self, i: int) -> None:
        """Resolve the parent and register the node in the look-up dictionaries."""
        pc = self.parent_code[i]
        p = self.idx.get(pc, -1) if pc is not None else -1
        self.parent[i] = p
        if p < 0 and pc is not None:
            self.orphans.setdefault(pc, []).append(i)  # linked when the parent arrives
        level = self.level[i]
        if level not in DIVISION_LEVELS and p >= 0:
            for key, _kind in self.keys[i]:
                self.child.setdefault((p, key), i)
            if level == "compound" and self.level[p] == "door":
                kids = self.compound_kids.setdefault(p, [])
                if i not in kids:
                    kids.append(i)

    def _division_of(self, i: int) -> int:
        steps = 0
        while i >= 0 and self.level[i] not in DIVISION_LEVELS and steps < 32:
            i = self.parent[i]
            steps += 1
        return i if i >= 0 and self.level[i] in DIVISION_LEVELS else -1

    def _indexed_keys(self, i: int) -> list[tuple[str, int]]:
        """Keys of node ``i`` that go into the automaton."""
        level = self.level[i]
        if level in DIVISION_LEVELS or level == "road" or level == "compound":
            return [(k, kind) for k, kind in self.keys[i] if len(k) >= _MIN_KEY]
        if level == "building":
            # Numbered buildings ("3栋", "A栋", "东1巷3号") are found by regex under their parent.
            return [(k, kind) for k, kind in self.keys[i] if len(k) >= _MIN_KEY and not numbered_building(k)]
        return []

    def division_ancestors(self, d: int) -> frozenset[int]:
        anc = self.div_anc.get(d)
        if anc is None:
            out: list[int] = []
            i = d
            while i >= 0 and len(out) < 32:
                out.append(i)
                i = self.parent[i]
            anc = self.div_anc[d] = frozenset(out)
        return anc

    def _rebuild_main(self) -> None:
        self.div_anc = {}
        raw: dict[str, list[tuple[int, int]]] = {}
        for i in range(len(self.code)):
            if not self.alive[i]:
                continue
            for key, kind in self._indexed_keys(i):
                if (key, i) not in self.dead:
                    raw.setdefault(key, []).append((i, kind))
        self.key_entries = {key: self._entries(ents) for key, ents in raw.items()}
        self.overlay_keys = {}
        self.overlay = None
        self.overlay_dirty = False
        self.dead = set()
        self.clean = True
        self.main = self._automaton(self.key_entries)
        self._build_fuzzy()
        self._build_community_names()

    def _entries(self, ents: list[tuple[int, int]]) -> tuple[Entry, ...]:
        shared = any(self.level[n] in DIVISION_LEVELS for n, _ in ents)
        out: list[Entry] = []
        for n, kind in ents:
            q = _KIND_QUALITY[kind]
            if shared and kind != EXACT and self.level[n] not in DIVISION_LEVELS:
                q = min(q, _SHARED_QUALITY)
            out.append((n, kind, q))
        return tuple(out)

    def _automaton(self, entries: dict[str, tuple[Entry, ...]]) -> Any:
        if not entries:
            return None
        level = self.level
        a = ahocorasick.Automaton()
        for key, ents in entries.items():
            exact = any(kind == EXACT for _, kind, _ in ents)
            context = all(level[n] in CONTEXT_LEVELS and kind == EXACT for n, kind, _ in ents)
            a.add_word(key, (len(key), key, ents, exact, context))
        a.make_automaton()
        return a

    def _build_fuzzy(self) -> None:
        sub: dict[str, list[str]] = {}
        dele: dict[str, list[str]] = {}
        dele2: dict[str, list[str]] = {}
        self.prefix2 = set()
        last: dict[str, int] = {}
        for key, ents in self.key_entries.items():
            n = len(key)
            if MIN_FUZZY_KEY <= n <= MAX_FUZZY_SPAN and any(self.level[e[0]] in NAMED_LEVELS for e in ents):
                last[key[-1]] = last.get(key[-1], 0) + 1
                self.prefix2.add(key[:2])
                d = dele2 if n == MIN_FUZZY_KEY else dele
                for j in range(n):
                    sub.setdefault(key[:j] + "\x00" + key[j + 1 :], []).append(key)
                    d.setdefault(key[:j] + key[j + 1 :], []).append(key)
        self.fz_sub = {k: tuple(v) for k, v in sub.items()}
        self.fz_del = {k: tuple(v) for k, v in dele.items()}
        self.fz_del2 = {k: tuple(v) for k, v in dele2.items()}
        total = sum(last.values()) or 1
        self.suffix_chars = frozenset(c for c, n in last.items() if n >= max(2, total // 500))

    def _add_fuzzy_key(self, key: str) -> None:
        """Add one key to the edit-distance-1 indexes (used by edits; the build does it in bulk)."""
        n = len(key)
        if n < MIN_FUZZY_KEY or n > MAX_FUZZY_SPAN:
            return
        sub, dele = self.fz_sub, self.fz_del2 if n == MIN_FUZZY_KEY else self.fz_del
        self.prefix2.add(key[:2])
        for j in range(n):
            for index, pattern in ((sub, key[:j] + "\x00" + key[j + 1 :]), (dele, key[:j] + key[j + 1 :])):
                have = index.get(pattern, ())
                if key not in have:
                    index[pattern] = (*have, key)

    def _build_community_names(self) -> None:
        names: dict[int, list[tuple[str, int]]] = {}
        for key, ents in self.key_entries.items():
            for n, _, _ in ents:
                if self.level[n] in NAMED_LEVELS and self.div[n] >= 0:
                    names.setdefault(self.div[n], []).append((key, n))
        self.community_names = names
        self.street_communities = None
        self.choices_of.clear()

    # ------------------------------------------------------------------------------------------ edits
    # (what they do is documented on AddressMatcher, which delegates to them)

    def __len__(self) -> int:
        return sum(self.alive)

    def __contains__(self, code: object) -> bool:
        i = self.idx.get(code) if isinstance(code, str) else None
        return i is not None and self.alive[i]

    def add_alias(self, code: str, alias: str) -> bool:
        i = self.idx.get(code)
        if i is None or not self.alive[i]:
            return False
        key = normalize_address(alias)
        if len(key) < _MIN_KEY or any(k == key for k, _ in self.keys[i]):
            return False
        self.keys[i] = (*self.keys[i], (key, ALIAS))
        p = self.parent[i]
        if self.level[i] not in DIVISION_LEVELS and p >= 0:
            self.child.setdefault((p, key), i)
        self.dead.discard((key, i))
        self._add_overlay(i, [(key, ALIAS)])
        return True

    def remove(self, code: str) -> bool:
        i = self.idx.get(code)
        if i is None or not self.alive[i]:
            return False
        self.alive[i] = False
        self._unregister(i)
        return True

    def upsert(self, record: AddressRecord | DivisionRecord) -> None:
        parent: str | None
        if isinstance(record, AddressRecord):
            parent = record.parent_code if record.parent_code is not None else record.community_code
            full_name = record.full_name
        else:
            parent, full_name = record.parent_code, record.name
        i = self.idx.get(record.code)
        if i is None:
            i = self._new_node(record.code, record.level, record.name, full_name, parent, record.aliases)
        else:
            if self.alive[i]:
                self._unregister(i)
            self.alive[i] = True
            self.level[i] = record.level
            self.rank[i] = RANK.get(record.level, UNKNOWN_RANK)
            self.name[i] = record.name
            self.full[i] = full_name
            self.parent_code[i] = parent
            self.keys[i] = self._node_keys(record.name, record.level, record.aliases)
            if record.level in SUB_LEVELS:
                self.has_sub_levels = True
        for key, _ in self.keys[i]:
            self.dead.discard((key, i))
        self._link(i)
        self.div[i] = self._division_of(i)
        if record.level in DIVISION_LEVELS:
            self.div_anc = {}
        # Children that arrived before their parent.
        for j in self.orphans.pop(record.code, ()):
            if self.parent_code[j] == record.code and self.alive[j]:
                self._link(j)
                self.div[j] = self._division_of(j)
        self._add_overlay(i, self._indexed_keys(i))

    def compact(self) -> None:
        self._rebuild_main()

    def _unregister(self, i: int) -> None:
        self.clean = False
        p = self.parent[i]
        for key, _ in self.keys[i]:
            self.dead.add((key, i))
            if p >= 0 and self.child.get((p, key)) == i:
                del self.child[(p, key)]
        kids = self.compound_kids.get(p)
        if kids and i in kids:
            kids.remove(i)

    def _add_overlay(self, i: int, keys: list[tuple[str, int]]) -> None:
        if not keys or not self._indexed_keys(i):
            return
        named = self.level[i] in NAMED_LEVELS
        for key, kind in keys:
            raw = [(n, k) for n, k, _ in self.overlay_keys.get(key, []) if n != i] + [(i, kind)]
            self.overlay_keys[key] = self._entries(raw)
            if named:
                self._add_fuzzy_key(key)
                if self.div[i] >= 0:
                    if self.div[i] not in self.community_names:
                        self.street_communities = None
                    self.choices_of.pop(self.div[i], None)
                    self.community_names.setdefault(self.div[i], []).append((key, i))
        self.overlay_dirty = True  # rebuilt before the next query: a bulk import rebuilds it once

    def refresh_overlay(self) -> None:
        self.overlay_dirty = False
        if len(self.overlay_keys) > _OVERLAY_MAX:
            self._rebuild_main()
        else:
            self.overlay = self._automaton(self.overlay_keys)

    def entries_for(self, key: str) -> list[tuple[int, int]]:
        ents = [(n, k) for n, k, _ in self.key_entries.get(key, ())]
        if self.overlay_keys:
            ents.extend((n, k) for n, k, _ in self.overlay_keys.get(key, ()))
        if self.clean:
            return ents
        return [(n, k) for n, k in ents if self.alive[n] and (key, n) not in self.dead]

    def communities_of(self, street: int) -> list[int]:
        index = self.street_communities
        if index is None:
            index = {}
            for c in self.community_names:
                index.setdefault(self.parent[c], []).append(c)
            self.street_communities = index
        return index.get(street, [])
