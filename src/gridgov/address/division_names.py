"""The divisions a free text names (pure): "深圳市福田区不存在大道99999号" names 深圳市 and 福田区, so a report
that no standard address matches can still be given to 福田区's centre. Names are found over the parser's
tokens in a gazetteer of the library's own division names (full names only: a short form such as 福田 is both a
district and a street); a name that several divisions share counts only where the other names in the text
settle which one it is."""

from __future__ import annotations

from collections.abc import Iterable

from gridgov.address.features import tokenize
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.records import DivisionRecord

__all__ = ["DivisionNames"]

_LABEL = {"city": "city", "district": "district", "street": "town", "community": "community"}
_DEPTH = {"city": 0, "district": 1, "street": 2, "community": 3}


class DivisionNames:
    def __init__(self, divisions: Iterable[DivisionRecord]) -> None:
        self._gaz = Gazetteer()
        self._by_name: dict[str, list[DivisionRecord]] = {}
        self._parent: dict[str, str | None] = {}
        for d in divisions:
            if d.level not in _LABEL:
                continue
            self._gaz.add(_LABEL[d.level], d.name)
            self._by_name.setdefault(d.name, []).append(d)
            self._parent[d.code] = d.parent_code
        self._longest = max((len(tokenize(n)) for n in self._by_name), default=0)

    def names_in(self, text: str) -> list[str]:
        """The division names in `text`, in order (at each position the longest name)."""
        tokens = tokenize(text or "")
        out: list[str] = []
        i = 0
        while i < len(tokens):
            found = None
            acc = ""
            for j in range(i, min(len(tokens), i + self._longest)):
                acc += tokens[j]
                if acc in self._gaz:
                    found = (acc, j)
            if found is None:
                i += 1
                continue
            out.append(found[0])
            i = found[1] + 1
        return out

    def _ancestors(self, code: str) -> set[str]:
        out: set[str] = set()
        current = self._parent.get(code)
        while current is not None and current not in out:
            out.add(current)
            current = self._parent.get(current)
        return out

    def most_specific(self, text: str) -> DivisionRecord | None:
        """The deepest division named in `text` that agrees with the other names there (each named division
        above it is one of its ancestors), when exactly one division fits at that depth; else None."""
        named = [self._by_name[n] for n in dict.fromkeys(self.names_in(text))]
        fitting: list[DivisionRecord] = []
        for records in named:
            for rec in records:
                above = self._ancestors(rec.code)
                others = [rs for rs in named if rs is not records]
                if all(any(o.code in above for o in rs) for rs in others if _DEPTH[rs[0].level] < _DEPTH[rec.level]):
                    fitting.append(rec)
        for depth in sorted({_DEPTH[r.level] for r in fitting}, reverse=True):
            at = {r.code: r for r in fitting if _DEPTH[r.level] == depth}
            if len(at) == 1:
                return next(iter(at.values()))
        return None
