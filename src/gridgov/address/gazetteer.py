"""Known names per NCAP label (the standard address library's own road, compound and division names), matched
over token sequences: the gazetteer marks the CRF and its BiLSTM members see as features."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from gridgov.address.features import tokenize
from gridgov.address.records import NCAP_LABELS, AddressRecord, DivisionRecord
from gridgov.address.tags import bio_spans, canon_label

__all__ = ["Gazetteer"]

_LABELS = frozenset(NCAP_LABELS)
_SPACE_RE = re.compile(r"\s+")
_UNMARKED = (0, "")


def _marks(marks: dict[str, tuple[int, str]]) -> tuple[str, ...]:
    """A token's "label|pos" marks, sorted."""
    if len(marks) == 1:
        for label, (_, pos) in marks.items():
            return (f"{label}|{pos}",)
    return tuple(sorted(f"{label}|{pos}" for label, (_, pos) in marks.items()))


class Gazetteer:
    """Known names per NCAP label ("road" → {"福民路", …}), matched over token sequences (see :meth:`annotate`).

    A name listed under several labels reports all of them. Names shorter than ``min_chars`` are ignored.
    """

    def __init__(
        self, names: Mapping[str, Iterable[str]] | None = None, *, min_chars: int = 2, base: str | None = None
    ) -> None:
        self.min_chars = min_chars
        self.base = base  # "national": these names extend cn_gazetteer.national_gazetteer() (saved apart)
        self._labels: dict[str, set[str]] = {}
        self._max_tokens = 0
        self._prefixes: dict[str, tuple[str, ...]] | None = None  # built when first needed (annotate)
        for label, items in (names or {}).items():
            for name in items:
                self.add(label, name)

    def add(self, label: str, name: str) -> None:
        key = _SPACE_RE.sub("", name or "")
        label = canon_label(label)  # a saved gazetteer may spell labels otherwise ("devzone")
        if len(key) < self.min_chars or label not in _LABELS:
            return
        self._labels.setdefault(key, set()).add(label)
        self._max_tokens = max(self._max_tokens, len(tokenize(key)))
        self._prefixes = None

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._labels

    def labels_for(self, name: str) -> frozenset[str]:
        return frozenset(self._labels.get(name, ()))

    def annotate(self, tokens: Sequence[str]) -> list[tuple[str, ...]]:
        """Per token: "label|pos" marks (pos B/I/E, or S for a one-token name) of the names covering it; for
        each label only the longest covering name counts. Matches are over whole tokens, so "12" never
        matches inside "123"."""
        n = len(tokens)
        if not self._labels or not n:
            return [()] * n
        if self._prefixes is None:  # every prefix of every name → the labels of the name it is, else ()
            table: dict[str, tuple[str, ...]] = {}
            for name, name_labels in self._labels.items():
                for k in range(1, len(name)):
                    table.setdefault(name[:k], ())
                table[name] = tuple(name_labels)
            self._prefixes = table
        get, max_tokens = self._prefixes.get, self._max_tokens
        best: list[dict[str, tuple[int, str]] | None] = [None] * n  # label -> (match length, pos)
        for i in range(n):
            acc = tokens[i]
            labels = get(acc)  # None: no name starts with this token
            stop = min(n, i + max_tokens)
            j = i
            while labels is not None:
                if labels:  # acc is a name
                    length = j - i + 1
                    for k in range(i, j + 1):
                        pos = "S" if length == 1 else ("B" if k == i else ("E" if k == j else "I"))
                        marks = best[k]
                        if marks is None:
                            marks = best[k] = {}
                        for label in labels:
                            if marks.get(label, _UNMARKED)[0] < length:
                                marks[label] = (length, pos)
                j += 1
                if j >= stop:
                    break
                acc += tokens[j]
                labels = get(acc)  # None: no name starts with this text, none starts here any longer
        return [() if marks is None else _marks(marks) for marks in best]

    def merged(self, other: Gazetteer, base: str | None = None) -> Gazetteer:
        """A new gazetteer with the names of both."""
        out = Gazetteer(min_chars=min(self.min_chars, other.min_chars), base=base)
        for src in (self, other):
            for name, labels in src._labels.items():
                out._labels.setdefault(name, set()).update(labels)
            out._max_tokens = max(out._max_tokens, src._max_tokens)
        out._prefixes = None
        return out

    def without(self, other: Gazetteer) -> Gazetteer:
        """The names (and labels) of this gazetteer that ``other`` lacks."""
        out = Gazetteer(min_chars=self.min_chars)
        for name, labels in self._labels.items():
            for label in labels - other._labels.get(name, set()):
                out.add(label, name)
        return out

    def to_dict(self) -> dict[str, list[str]]:
        by_label: dict[str, list[str]] = {}
        for name, labels in self._labels.items():
            for label in labels:
                by_label.setdefault(label, []).append(name)
        return {label: sorted(names) for label, names in sorted(by_label.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]], *, min_chars: int = 2) -> Gazetteer:
        return cls(data, min_chars=min_chars)

    @classmethod
    def from_records(cls, divisions: Iterable[DivisionRecord], addresses: Iterable[AddressRecord]) -> Gazetteer:
        """The standard address library's own names and aliases: cities, districts, streets (town),
        communities, roads and compounds (poi). Door, building, unit, floor and room numbers are left to the
        CRF's features."""
        gaz = cls()
        division_labels = {"city": "city", "district": "district", "street": "town", "community": "community"}
        for d in divisions:
            label = division_labels.get(d.level)
            if label is not None:
                for name in (d.name, *d.aliases):
                    gaz.add(label, name)
        address_labels = {"road": "road", "compound": "poi"}
        for a in addresses:
            label = address_labels.get(a.level)
            if label is not None:
                for name in (a.name, *a.aliases):
                    gaz.add(label, name)
        return gaz

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[tuple[str, str]]], labels: Iterable[str]) -> Gazetteer:
        """Names of the given labels as they appear in labelled sequences."""
        wanted = set(labels)
        gaz = cls()
        for seq in sequences:
            tokens = [tok for tok, _ in seq]
            for label, start, end in bio_spans([tag for _, tag in seq]):
                if label in wanted:
                    gaz.add(label, "".join(tokens[start:end]))
        return gaz
