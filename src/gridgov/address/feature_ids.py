"""The CRF's attribute ids for many token sequences at once, computed without building feature strings (pure
after loading).

:func:`gridgov.address.features.token_features` spells every feature of a token as a string ("w-1:0=福民", …)
and CRFsuite looks each one up. :class:`FeatureIndex` derives, once from a model's attribute dictionary, a
numeric table per feature template: a token-form id → attribute id array for the window tokens, small dense
tables for types, lengths and positions, and for each window n-gram a sorted array of the n token-form ids
packed into one int64. The n-gram tables hold every way the attribute's text splits into n token forms (the
feature joins the forms without a separator, so "w0:1=ABC" is both "A"+"BC" and "AB"+"C"). A batch is then
one array of token-form ids with sequence padding, shifted and looked up in numpy; only the suffix, repeat,
suffix-class and gazetteer features, which depend on the whole sequence, are computed per sequence in Python
(with the helpers of :mod:`features`) and looked up by string. Unknown attributes map to ``zero``, the row of
zeros of :class:`~gridgov.address.crf_decode.CrfDecoder`. Nothing is hard-coded from a model: any model
trained on these features (same ``FEATURE_VERSION``) works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import numpy.typing as npt

from gridgov.address.features import (
    _SUFFIX_CLASS,
    _TYPES,
    _repeats,
    _suffix_ends,
    norm_token,
    token_type,
)

__all__ = ["FeatureIndex"]

Ints = npt.NDArray[np.int64]
_PAD_L, _PAD_R = "<S>", "</S>"
_SPECIAL_FORMS = frozenset((_PAD_L, _PAD_R, "#A", "#D1", "#D2", "#D3", "#D4", "#D+"))
# window n-gram templates: (name, first offset, n)
_NGRAMS: tuple[tuple[str, int, int], ...] = (
    ("w-2:-1", -2, 2),
    ("w-1:0", -1, 2),
    ("w0:1", 0, 2),
    ("w1:2", 1, 2),
    ("w-2:0", -2, 3),
)
_NGRAMS += (("w-1:1", -1, 3), ("w0:2", 0, 3), ("w-3:0", -3, 4), ("w0:3", 0, 4))
_WORDS = (("w", 0), ("w-3", -3), ("w-2", -2), ("w-1", -1), ("w1", 1), ("w2", 2), ("w3", 3))
_TYPE_T = (("t", 0), ("t-2", -2), ("t-1", -1), ("t1", 1), ("t2", 2))
_TYPE_INDEX = {t: i for i, t in enumerate(_TYPES)}
_CACHE_MAX = 200_000


def _is_form(s: str) -> bool:
    """Whether ``s`` may be a token form of :func:`norm_token` or a padding mark (a superset is harmless)."""
    if s in _SPECIAL_FORMS or len(s) == 1:
        return True
    return len(s) == 2 and s.isascii() and s.isalpha() and s.isupper()


def _splits(text: str, n: int) -> list[tuple[str, ...]]:
    """Every way ``text`` is the concatenation of ``n`` token forms."""
    if n == 1:
        return [(text,)] if _is_form(text) else []
    out: list[tuple[str, ...]] = []
    for k in range(1, min(4, len(text) - n + 1) + 1):
        head = text[:k]
        if _is_form(head):
            out.extend((head, *rest) for rest in _splits(text[k:], n - 1))
    return out


class FeatureIndex:
    """Numeric feature tables of one model; :meth:`ids` gives a batch's attribute ids."""

    def __init__(self, attr_ids: Mapping[str, int], zero: int) -> None:
        self.attr_ids = dict(attr_ids)
        self.zero = zero
        values: dict[str, list[tuple[str, int]]] = {}
        for name, aid in self.attr_ids.items():
            prefix, sep, value = name.partition("=")
            if sep:
                values.setdefault(prefix, []).append((value, aid))
        forms: dict[str, int] = {_PAD_L: 1, _PAD_R: 2}  # 0: a form no attribute knows
        grams: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for name, _, n in _NGRAMS:
            grams[name] = [(parts, aid) for value, aid in values.get(name, []) for parts in _splits(value, n)]
            for parts, _aid in grams[name]:
                for p in parts:
                    forms.setdefault(p, len(forms) + 1)
        for name, _ in _WORDS:
            for value, _aid in values.get(name, []):
                forms.setdefault(value, len(forms) + 1)
        self.forms = forms
        self.bits = max(1, (len(forms) + 1).bit_length())
        if 4 * self.bits > 62:
            raise ValueError("too many token forms to pack a 4-gram into 64 bits")
        self.words = {name: self._dense(values.get(name, []), forms, len(forms) + 1) for name, _ in _WORDS}
        self.types = {name: self._dense(values.get(name, []), _TYPE_INDEX, len(_TYPES)) for name, _ in _TYPE_T}
        nt = len(_TYPES)
        self.type3 = self._dense(
            values.get("t-1:0:1", []),
            {
                f"{a}|{b}|{c}": (ia * nt + ib) * nt + ic
                for (ia, a), (ib, b), (ic, c) in product(enumerate(_TYPES), repeat=3)
            },
            nt**3,
        )
        self.lens = self._dense(values.get("l", []), {"1": 0, "2": 1, "3": 2, "4": 3, "5+": 4}, 5)
        self.pos = self._dense(values.get("p", []), {str(i): i for i in range(9)}, 9)
        self.rpos = self._dense(values.get("r", []), {str(i): i for i in range(9)}, 9)
        self.grams: dict[str, tuple[Ints, Ints]] = {}
        for name, _, _n in _NGRAMS:
            keys = np.array([self._pack([forms[p] for p in parts]) for parts, _ in grams[name]], dtype=np.int64)
            aids = np.array([aid for _, aid in grams[name]], dtype=np.int64)
            order = np.argsort(keys, kind="stable")
            self.grams[name] = (keys[order], aids[order])
        self.bias = self.attr_ids.get("b", zero)
        self._tok_cache: dict[str, tuple[int, int, int]] = {}
        self._str_cache: dict[str, int] = {}
        self._var_cache: dict[tuple[Any, ...], int] = {}  # a token's variable-feature key → its slot
        self.slot_ids: list[tuple[int, ...]] = []
        self.generation = 0  # counts the fresh starts of slot_ids  # slot → the attribute ids of those features

    def _pack(self, ids: Sequence[int]) -> int:
        key = 0
        for i in ids:
            key = (key << self.bits) | i
        return key

    def _dense(self, items: Sequence[tuple[str, int]], index: Mapping[str, int], size: int) -> Ints:
        table = np.full(size, self.zero, dtype=np.int64)
        for value, aid in items:
            at = index.get(value)
            if at is not None:
                table[at] = aid
        return table

    def _token(self, tok: str) -> tuple[int, int, int]:
        """(form id, type index, length bucket) of a raw token."""
        got = self._tok_cache.get(tok)
        if got is None:
            got = (self.forms.get(norm_token(tok), 0), _TYPE_INDEX[token_type(tok)], min(len(tok), 5) - 1)
            if len(self._tok_cache) < _CACHE_MAX:
                self._tok_cache[tok] = got
        return got

    def _attr(self, name: str) -> int:
        got = self._str_cache.get(name)
        if got is None:
            got = self.attr_ids.get(name, self.zero)
            if len(self._str_cache) < _CACHE_MAX:
                self._str_cache[name] = got
        return got

    def ids(
        self, token_lists: Sequence[Sequence[str]], marks: Sequence[Sequence[tuple[str, ...]] | None]
    ) -> tuple[Ints, Ints]:
        """For the concatenated tokens of all sequences: a (tokens × templates) matrix of the fixed templates'
        attribute ids (the first column: the bias, the same id for every token), and per token the slot of its
        variable features (``slot_ids[slot]``: their ids)."""
        if len(self.slot_ids) > _CACHE_MAX:  # bound the memory: start the slots afresh
            self._var_cache.clear()
            self.slot_ids = []
            self.generation += 1
        lens = [len(t) for t in token_lists]
        total = sum(lens)
        # padded layout: 3 marks before and after every sequence; one Python pass, then whole-batch arrays
        forms: list[int] = []
        types: list[int] = []
        sizes: list[int] = []
        tok_of = self._token
        for tokens in token_lists:
            forms += (1, 1, 1)
            types += (0, 0, 0)
            for f, ty, ln in map(tok_of, tokens):
                forms.append(f)
                types.append(ty)
                sizes.append(ln)
            forms += (2, 2, 2)
            types += (1, 1, 1)
        form = np.array(forms, dtype=np.int64)
        typ = np.array(types, dtype=np.int64)
        tlen = np.array(sizes, dtype=np.int64)
        n_of = np.repeat(np.array(lens, dtype=np.int64), lens)  # per token: its sequence's length
        seq_of = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
        seq_start = np.repeat(np.cumsum([0, *lens[:-1]], dtype=np.int64), lens) if lens else n_of
        r = np.arange(total, dtype=np.int64) - seq_start  # position in its sequence
        centre = np.arange(total, dtype=np.int64) + 3 + 6 * seq_of
        pos = np.minimum(r, 8)
        rpos = np.minimum(n_of - 1 - r, 8)
        cols: list[Ints] = [np.full(total, self.bias, dtype=np.int64)]
        for name, off in _WORDS:
            cols.append(self.words[name][form[centre + off]])
        for name, off in _TYPE_T:
            cols.append(self.types[name][typ[centre + off]])
        nt = len(_TYPES)
        cols.append(self.type3[(typ[centre - 1] * nt + typ[centre]) * nt + typ[centre + 1]])
        cols += [self.lens[tlen], self.pos[pos], self.rpos[rpos]]
        for name, first, n in _NGRAMS:
            key = np.zeros(total, dtype=np.int64)
            known = np.ones(total, dtype=bool)
            for j in range(n):
                part = form[centre + first + j]
                known &= part > 0
                key = (key << self.bits) | part
            keys, aids = self.grams[name]
            if len(keys):
                idx = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
                hit = known & (keys[idx] == key)
                cols.append(np.where(hit, aids[idx], self.zero))
            else:
                cols.append(np.full(total, self.zero, dtype=np.int64))
        slots: list[int] = []
        for tokens, m in zip(token_lists, marks, strict=True):
            self._variable(tokens, m, slots)
        # column-major: emissions_from_ids reads it a column (template) at a time
        return np.stack(cols).T, np.array(slots, dtype=np.int64)

    def _variable(
        self,
        tokens: Sequence[str],
        marks: Sequence[tuple[str, ...]] | None,
        slots: list[int],
    ) -> None:
        """The features of token_features that depend on the whole sequence, in its order."""
        n = len(tokens)
        if not n:
            return
        suf_end = _suffix_ends(tokens)
        dup = _repeats(tokens)
        classes = [_SUFFIX_CLASS.get(s, "poi") if s is not None else "" for s in suf_end]
        # per token: the next suffix end after it (text, distance capped at 6) and the classes of all those after
        nxt_text: list[str | None] = [None] * n
        nxt_dist = [0] * n
        after: list[frozenset[str]] = [frozenset()] * n
        acc: frozenset[str] = frozenset()  # a new set only when a class is added: equal sets, fewer objects
        cur: str | None = None
        cur_at = 0
        for i in range(n - 1, -1, -1):
            if cur is not None:
                nxt_text[i] = cur
                nxt_dist[i] = cur_at - i if cur_at - i < 6 else 6
            after[i] = acc
            s = suf_end[i]
            if s is not None:
                cur, cur_at = s, i
                c = classes[i]
                if c not in acc:
                    acc = acc | {c}
        prv: str | None = None
        prv_at = 0
        before: frozenset[str] = frozenset()
        cache = self._var_cache
        no_marks: tuple[str, ...] = ()
        no_gaz = marks is None
        prev_end: str | None = None
        for i in range(n):
            se = suf_end[i]
            # everything the token's variable features depend on, as one key
            key = (
                se,
                prev_end,
                nxt_text[i],
                nxt_dist[i],
                prv,
                0 if prv is None else (i - prv_at if i - prv_at < 6 else 6),
                dup[i],
                before,
                after[i],
                no_marks if marks is None else marks[i],
                no_gaz,
            )
            slot = cache.get(key)
            if slot is None:
                slot = cache[key] = len(self.slot_ids)
                self.slot_ids.append(self._variable_ids(key))
            slots.append(slot)
            prev_end = se
            if se is not None:
                prv, prv_at = se, i
                c = classes[i]
                if c not in before:
                    before = before | {c}

    def _variable_ids(self, key: tuple[Any, ...]) -> tuple[int, ...]:
        """The attribute ids of one token's variable features, in token_features' order."""
        se, se1, ns, nsd, ps, psd, dp, before, after, mk, no_gaz = key
        attr = self._attr
        ids: list[int] = []
        if se is not None:
            ids.append(attr("se=" + se))
        if se1 is not None:
            ids.append(attr("se-1=" + se1))
        if ns is not None:
            ids += (attr("ns=" + ns), attr(f"nsd={nsd}"), attr(f"ns|d={ns}|{nsd}"))
        else:
            ids.append(attr("ns=none"))
        if ps is not None:
            ids += (attr("ps=" + ps), attr(f"psd={psd}"))
        else:
            ids.append(attr("ps=none"))
        if dp is not None:
            ids.append(attr("dup=" + dp))
        ids += [attr("sb=" + c) for c in before]
        ids += [attr("sa=" + c) for c in after]
        if not no_gaz:
            if not mk:
                ids.append(attr("g=none"))
            for mark in mk:
                ids += (attr("g=" + mark), attr("g=" + mark.split("|", 1)[0]))
        return tuple(ids)
