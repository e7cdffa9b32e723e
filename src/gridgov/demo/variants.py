"""Noisy address texts with ground truth, and NCAP-labelled token sequences, from a demo library.

Two consumers share one renderer:

* :func:`make_variants` — what people really type for a known address (a building mostly, else a door
  number or a compound): dropped levels, aliases, typos, building-number formats, full-width digits, stray
  spaces and punctuation, 附近/门口 suffixes, unit/floor/room tails, complaint sentences. Each text comes
  with the code of the address it denotes; the renderer keeps that ground truth unambiguous (a road and
  door number that exist in two districts get their district back).
* :func:`labelled_sequences` — token/BIO-tag sequences in the NCAP (CCKS2021) label scheme, the training
  data of the address parser. There is no ``O`` tag: noise is ``redundant``, as in NCAP.

Tokens are those of :func:`gridgov.address.features.tokenize`, the parser's own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from gridgov.address.features import tokenize
from gridgov.address.normalize import int_to_cn
from gridgov.address.records import NCAP_LABELS
from gridgov.demo.address_library import DemoLibrary
from gridgov.demo.variant_render import LibraryIndex, Renderer, Segment
from gridgov.demo.variant_words import PERSON_STEMS, PERSON_SUFFIXES, PROVINCE, SUBPOI

__all__ = [
    "VARIANT_KINDS",
    "Variant",
    "bio_tags",
    "int_to_cn",
    "labelled_sequences",
    "make_variants",
]


def bio_tags(segments: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Tokens of labelled segments with B-/I- tags (one entity per segment)."""
    out: list[tuple[str, str]] = []
    for text, label in segments:
        for i, token in enumerate(tokenize(text)):
            out.append((token, ("B-" if i == 0 else "I-") + label))
    return out


@dataclass(frozen=True)
class Variant:
    text: str
    target_code: str
    kind: str


VARIANT_KINDS: tuple[str, ...] = (
    "standard",  # the standard full name (sometimes with 广东省)
    "drop_levels",  # some or all divisions left out, sometimes the road/door part too
    "road_number",  # road + door number (+ building), targets a door or a building on it
    "compound_building",  # only compound + building
    "alias",  # an alias of the compound/road or a short division name
    "typo",  # one wrong, missing or swapped character (often a homophone) in a name
    "number_format",  # 三栋, 3幢, 3座, 3号楼, ３栋, 3#, 三号楼 ...
    "fullwidth",  # full-width digits and letters
    "noise",  # stray spaces and punctuation, repeated divisions
    "assist",  # 附近/旁边/对面/门口/路口/楼下 after the address
    "tail",  # unit/floor/room after the building: 2单元501, 5楼, 1203室, 3-2-501
    "complaint",  # the address inside a complaint sentence
)
_KIND_WEIGHTS: tuple[float, ...] = (0.06, 0.14, 0.08, 0.12, 0.08, 0.10, 0.10, 0.05, 0.07, 0.06, 0.07, 0.07)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def make_variants(lib: DemoLibrary, n: int, seed: int) -> list[Variant]:
    """``n`` noisy texts with the code of the address each denotes; every kind of VARIANT_KINDS occurs
    (for ``n >= len(VARIANT_KINDS)``). Deterministic for a given library and seed."""
    if n <= 0:
        return []
    rng = random.Random(seed)
    renderer = Renderer(LibraryIndex(lib), rng)
    kinds = list(VARIANT_KINDS[: min(n, len(VARIANT_KINDS))])
    kinds += rng.choices(VARIANT_KINDS, weights=_KIND_WEIGHTS, k=n - len(kinds))
    rng.shuffle(kinds)
    out: list[Variant] = []
    for kind in kinds:
        segs, target = renderer.render(kind)
        text = "".join(s.text for s in segs)
        out.append(Variant(text=text, target_code=target.code, kind=kind))
    return out


def labelled_sequences(lib: DemoLibrary, n: int, seed: int) -> list[list[tuple[str, str]]]:
    """``n`` token/tag sequences (NCAP labels, B-/I- tags, tokens as :func:`tokenize` makes them).

    The texts mix the variant kinds, plus what only the parser needs to see: a sub-POI after the compound
    (东门, a shop), a company after the building or floor (``person``), a leading 广东省.
    """
    if n <= 0:
        return []
    rng = random.Random(seed)
    renderer = Renderer(LibraryIndex(lib), rng)
    out: list[list[tuple[str, str]]] = []
    while len(out) < n:
        kind = rng.choices(VARIANT_KINDS, weights=_KIND_WEIGHTS)[0]
        segs, _ = renderer.render(kind)
        segs = _decorate(segs, rng)
        tagged = bio_tags([(s.text, s.label) for s in segs])
        # Adjacent segments must not merge into one token (e.g. two digit runs); drop such rare samples.
        if not tagged or [t for t, _ in tagged] != tokenize("".join(s.text for s in segs)):
            continue
        out.append(tagged)
    return out


def _decorate(segs: list[Segment], rng: random.Random) -> list[Segment]:
    roles = [s.role for s in segs]
    out = list(segs)
    if "compound" in roles and rng.random() < 0.12:
        at = roles.index("compound") + 1
        out.insert(at, Segment(rng.choice(SUBPOI), "subpoi", "subpoi"))
    elif rng.random() < 0.06:
        inside = ("building", "house", "unit", "floor", "room")
        last = max((i for i, r in enumerate(roles) if r in inside), default=-1)
        if last >= 0:
            person = rng.choice(PERSON_STEMS) + rng.choice(PERSON_SUFFIXES)
            out.insert(last + 1, Segment(person, "person", "person"))
    if roles and roles[0] == "city" and rng.random() < 0.3:
        out.insert(0, Segment(PROVINCE, "prov", "prov"))
    for seg in out:
        if seg.label not in NCAP_LABELS:  # pragma: no cover - internal consistency
            raise AssertionError(seg.label)
    return out
