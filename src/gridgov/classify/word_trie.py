"""Every occurrence of a set of words in a batch of text, found by walking a trie over the whole batch's array of
code points at once (an engine: no I/O).

The result is the one an Aho–Corasick automaton gives (every occurrence, overlapping ones too, each as the index
of its last character and the word's value), but the walk is vectorised: step d advances, in one numpy operation,
every position whose first d characters are a prefix of some word. The first step looks the character up in a
dense table; later steps look (node, character) up in an open-addressing hash table, probed for all positions at
once. No Python object is made per position or per match, which is what the automaton's iterator cost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

_CODE_BITS = 21  # code points are below 0x110000 = 2**21 (lone surrogates included)
_ALPHABET = 1 << _CODE_BITS
_GOLD = np.int64(0x9E3779B97F4A7C15 - (1 << 64))  # as int64: products wrap
_EMPTY = -1


class WordTrie:
    """Built from (word, value) pairs (values ≥ 0); `find` answers (end index, value) of every occurrence."""

    def __init__(self, words: Iterable[tuple[str, int]]) -> None:
        children: dict[tuple[int, int], int] = {}
        value = [_EMPTY]
        for word, j in words:
            node = 0
            for ch in word:
                edge = (node, ord(ch))
                child = children.get(edge)
                if child is None:
                    child = children[edge] = len(value)
                    value.append(_EMPTY)
                node = child
            value[node] = j
        self.value = np.asarray(value, dtype=np.int64)
        self.first = np.full(_ALPHABET, _EMPTY, dtype=np.int32)  # root's child by code point
        deeper = [(parent, cp, child) for (parent, cp), child in children.items() if parent != 0]
        for (parent, cp), child in children.items():
            if parent == 0:
                self.first[cp] = child
        bits = max(4, (2 * len(deeper)).bit_length())
        self.shift = np.int64(64 - bits)
        self.keys = np.full(1 << bits, _EMPTY, dtype=np.int64)
        self.children = np.full(1 << bits, _EMPTY, dtype=np.int32)
        self.probes = 1
        if deeper:
            edges = np.asarray(deeper, dtype=np.int64)
            keys = (edges[:, 0] << _CODE_BITS) | edges[:, 1]
            slots = self._home(keys)
            for key, slot, child in zip(keys.tolist(), slots.tolist(), edges[:, 2].tolist(), strict=True):
                tries = 1
                while self.keys[slot] != _EMPTY:
                    slot = (slot + 1) & (len(self.keys) - 1)
                    tries += 1
                self.keys[slot], self.children[slot] = key, child
                self.probes = max(self.probes, tries)

    def _home(self, keys: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """A key's first slot: the top bits of key × golden ratio (int64 arithmetic wraps; the mask drops the sign)."""
        slots: np.ndarray[Any, Any] = ((keys * _GOLD) >> self.shift) & (len(self.keys) - 1)
        return slots

    def _step(self, nodes: np.ndarray[Any, Any], points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The child of each node by each code point, or -1."""
        keys = (nodes.astype(np.int64) << _CODE_BITS) | points
        slots = self._home(keys)
        at = self.keys[slots]
        found: np.ndarray[Any, Any] = np.where(at == keys, self.children[slots], _EMPTY)
        open_ = np.flatnonzero((at != keys) & (at != _EMPTY))  # a key further on in the probe sequence
        mask = len(self.keys) - 1
        for _ in range(self.probes - 1):
            if not len(open_):
                break
            slots[open_] = (slots[open_] + 1) & mask
            at = self.keys[slots[open_]]
            hit = at == keys[open_]
            found[open_[hit]] = self.children[slots[open_[hit]]]
            open_ = open_[~hit & (at != _EMPTY)]
        return found

    def find(self, points: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """(end index, value) of every occurrence of a word in the code points, grouped by word length."""
        points = points.astype(np.int64)
        nodes = self.first[points]
        starts = np.flatnonzero(nodes >= 0)
        nodes = nodes[starts]
        ends: list[np.ndarray[Any, Any]] = []
        values: list[np.ndarray[Any, Any]] = []
        depth = 1
        while len(starts):
            v = self.value[nodes]
            word = v >= 0
            if word.any():
                ends.append(starts[word] + (depth - 1))
                values.append(v[word])
            inside = starts + depth < len(points)
            starts, nodes = starts[inside], nodes[inside]
            nodes = self._step(nodes, points[starts + depth])
            alive = nodes >= 0
            starts, nodes = starts[alive], nodes[alive]
            depth += 1
        if not ends:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(ends), np.concatenate(values)
