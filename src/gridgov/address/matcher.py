"""Address matcher (pure): translate any messy address text into a node of the standard address library.

Pipeline for one text:

1. ``normalize`` (shared with the library side) plus a few matcher rules (``A座``/``A塔`` → ``A栋``, ``號``):
   :mod:`gridgov.address.match_text`.
2. Mentions: one Aho-Corasick pass (``pyahocorasick``) over the normalized names and aliases of divisions
   (with and without their 区/街道/社区 suffix), roads, compounds and named buildings finds every mention, also
   inside a longer complaint sentence (:mod:`gridgov.address.match_index` holds the automata and dictionaries).
3. Chains: every road/compound/named-building mention is a seed; from it the matcher descends through the
   numbers written after it, with dictionaries keyed by ``(parent, name)``.
4. Scoring: each final node explains the mentions on its ancestor chain (division context, road, compound,
   numbers). The node explaining the most evidence wins, deeper first on ties. Same-level ties (one name in
   several places and no context) are flagged as ambiguous and need review (2–4:
   :mod:`gridgov.address.match_exact`).
5. Fuzzy fallback, only when the exact reading is missing or weak: edit-distance-1 look-ups scored with
   ``rapidfuzz`` and filtered by the division context (:mod:`gridgov.address.match_fuzzy`).

Confidence: 1.0 for an exact, unambiguous reading; lowered for aliases shared with division names, fuzzy
names (more so without corroborating numbers or context), unexplained numbers, conflicting divisions, close
runners-up and ties (one name in several places). ``needs_review`` is ``confidence < review_threshold``.

Edits (``add_alias``, ``upsert``, ``remove``) take effect at once; ``compact()`` folds them into the main index.

``make`` compiles this module together with the ``match_*`` modules it imports, with mypyc, into one extension
(``make native``; the same source, about 1.4–2× faster); without a C compiler they run as plain Python.
``COMPILED`` tells which one is loaded (see :mod:`gridgov.address.native`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gridgov.address.match_exact import explain_chain, find_mentions, resolve_chains
from gridgov.address.match_fuzzy import fuzzy_mentions, needs_fuzzy
from gridgov.address.match_index import MatchIndex
from gridgov.address.match_text import DASH_TAIL, TAIL, building_tokens, normalize_address, normalize_long
from gridgov.address.match_types import DIVISION_LEVELS, DOOR_RANK, Candidate, Chain, MatchResult
from gridgov.address.records import AddressRecord, DivisionRecord

__all__ = ["COMPILED", "DEFAULT_REVIEW_THRESHOLD", "AddressMatcher", "Candidate", "MatchResult", "normalize_address"]

DEFAULT_REVIEW_THRESHOLD = 0.6
# True when this module was loaded from the mypyc-compiled extension rather than this source file.
COMPILED = not __file__.endswith(".py")
TOP_K = 5
# Confidence of a result that stops at a division.
_DIV_CONFIDENCE = {"city": 0.2, "district": 0.35, "street": 0.45, "community": 0.55}


class AddressMatcher:
    """Standard-address matcher over division and address records. Build once, query many times."""

    def __init__(self, index: MatchIndex | None = None, *, review_threshold: float = DEFAULT_REVIEW_THRESHOLD) -> None:
        """A matcher over ``index`` (empty when not given: fill it with :meth:`upsert`)."""
        self.review_threshold = review_threshold
        self._ix = index if index is not None else MatchIndex()

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
        return cls(MatchIndex.build(divisions, addresses, phonetic=phonetic), review_threshold=review_threshold)

    # ------------------------------------------------------------------------------------------ edits

    def __len__(self) -> int:
        return len(self._ix)

    def __contains__(self, code: object) -> bool:
        return code in self._ix

    def add_alias(self, code: str, alias: str) -> bool:
        """Register a new alias for a node (e.g. a reviewer's choice). Effective immediately, no full rebuild.

        Returns False when the code is unknown, or the alias normalizes to nothing or is already known."""
        return self._ix.add_alias(code, alias)

    def remove(self, code: str) -> bool:
        """Remove one node (its descendants stay; remove them too if they are gone)."""
        return self._ix.remove(code)

    def upsert(self, record: AddressRecord | DivisionRecord) -> None:
        """Insert a new node or replace an existing one (name, aliases, parent)."""
        self._ix.upsert(record)

    def compact(self) -> None:
        """Fold the overlay and the removals into the main index (a full, linear rebuild)."""
        self._ix.compact()

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
        ix = self._ix
        t = normalize_long(raw)
        if not t:
            return self._empty(raw, t, ["empty input after normalization"])
        mentions = find_mentions(ix, t)
        btoks = building_tokens(t)
        chains = resolve_chains(ix, t, mentions, btoks)
        if needs_fuzzy(ix, t, chains, mentions):
            fuzzy = fuzzy_mentions(ix, t, mentions, chains[0] if chains else None, btoks)
            if fuzzy:
                chains = resolve_chains(ix, t, mentions + fuzzy, btoks)
        if not chains:
            return self._empty(raw, t, ["no division, road or compound name found"])
        return self._result(raw, t, chains)

    def _result(self, raw: str, t: str, chains: list[Chain]) -> MatchResult:
        ix = self._ix
        best = chains[0]
        rank = ix.rank
        level = ix.level[best.node]
        explanation = explain_chain(ix, best)
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
                notes.append(f"close runner-up {ix.code[runner.node]}")
            elif runner.weight >= best.weight - 1e-9:
                conf *= 0.9
        conf = round(max(0.0, min(1.0, conf)), 4)
        remainder = None
        if rank[best.node] >= DOOR_RANK and best.pos < len(t):
            dm = DASH_TAIL.match(t, best.pos) if "-" in t else None
            if dm:
                remainder = f"{dm.group(1)}单元{dm.group(2)}"
            else:
                tm = TAIL.match(t, best.pos)
                if tm and tm.group(1) and any(ch.isdigit() for ch in tm.group(1)):
                    remainder = tm.group(1)
            if remainder:
                explanation.append(f"remainder {remainder}")
        wmax = max(best.weight, 1e-9)
        cands = [
            Candidate(
                ix.code[c.node],
                ix.level[c.node],
                ix.full[c.node],
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
