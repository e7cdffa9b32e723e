"""Training the shipped address parser: the CRF tagger trained on text generated from the standard address
library itself (never on third-party data), saved where :func:`gridgov.address.shipped.load_tagger` finds it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Protocol

from gridgov.address.cn_divisions import random_chain
from gridgov.address.features import tokenize
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.address.shipped import forget, model_path
from gridgov.address.tagger import AddressTagger
from gridgov.demo.variants import labelled_sequences

__all__ = ["DEFAULT_SEQUENCES", "Library", "diversify_divisions", "train_and_save", "train_shipped_tagger"]

DEFAULT_SEQUENCES = 4000


class Library(Protocol):
    @property
    def divisions(self) -> list[DivisionRecord]: ...

    @property
    def addresses(self) -> list[AddressRecord]: ...


def train_shipped_tagger(lib: Library, n: int = DEFAULT_SEQUENCES, seed: int = 20261121) -> AddressTagger:
    sequences = diversify_divisions(labelled_sequences(lib, n, seed))  # type: ignore[arg-type]
    return AddressTagger().fit(sequences, Gazetteer.from_records(lib.divisions, lib.addresses))


def train_and_save(lib: Library, var_dir: Path, n: int = DEFAULT_SEQUENCES) -> Path:
    path = model_path(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    train_shipped_tagger(lib, n).save(path)
    forget()
    return path


def diversify_divisions(
    sequences: list[list[tuple[str, str]]], share: float = 0.6, seed: int = 7
) -> list[list[tuple[str, str]]]:
    """Replace the Shenzhen province/city/district/street names at the head of a share of the generated
    sequences with another real chain of names (same levels kept), so the parser learns the shape of a
    division name rather than the few names of the demo city."""
    rng = random.Random(seed)
    label_index = {"prov": 0, "city": 1, "district": 2, "town": 3}
    out: list[list[tuple[str, str]]] = []
    for seq in sequences:
        if rng.random() >= share:
            out.append(seq)
            continue
        chain = random_chain(rng)
        new: list[tuple[str, str]] = []
        i = 0
        while i < len(seq):
            label = seq[i][1][2:]
            if seq[i][1].startswith("B-") and label in label_index:
                j = i + 1
                while j < len(seq) and seq[j][1] == f"I-{label}":
                    j += 1
                tokens = tokenize(chain[label_index[label]])
                new += [(t, ("B-" if k == 0 else "I-") + label) for k, t in enumerate(tokens)]
                i = j
            else:
                new.append(seq[i])
                i += 1
        out.append(new)
    return out
