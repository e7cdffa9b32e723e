"""The shipped address parser: the CRF tagger trained on text generated from the standard address library
itself (never on third-party data), saved under var/models and loaded by the API."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Protocol

from gridgov.address.gazetteer import Gazetteer
from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.address.tagger import AddressTagger
from gridgov.address.variants import labelled_sequences

MODEL_NAME = "address_crf.crfsuite"
DEFAULT_SEQUENCES = 4000


class Library(Protocol):
    @property
    def divisions(self) -> list[DivisionRecord]: ...

    @property
    def addresses(self) -> list[AddressRecord]: ...


def model_path(var_dir: Path) -> Path:
    return var_dir / "models" / MODEL_NAME


def train_shipped_tagger(lib: Library, n: int = DEFAULT_SEQUENCES, seed: int = 20261121) -> AddressTagger:
    sequences = diversify_divisions(labelled_sequences(lib, n, seed))  # type: ignore[arg-type]
    return AddressTagger().fit(sequences, Gazetteer.from_records(lib.divisions, lib.addresses))


def train_and_save(lib: Library, var_dir: Path, n: int = DEFAULT_SEQUENCES) -> Path:
    path = model_path(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    train_shipped_tagger(lib, n).save(path)
    forget()
    return path


_lock = threading.Lock()
_taggers: dict[Path, AddressTagger] = {}


def load_tagger(var_dir: Path) -> AddressTagger | None:
    """The trained tagger, or None when `gridgov address train` (or the demo load) has not produced one."""
    path = model_path(var_dir)
    with _lock:
        if path in _taggers:
            return _taggers[path]
    if not path.exists():
        return None
    tagger = AddressTagger.load(path)
    with _lock:
        _taggers[path] = tagger
    return tagger


def forget() -> None:
    with _lock:
        _taggers.clear()


def diversify_divisions(
    sequences: list[list[tuple[str, str]]], share: float = 0.6, seed: int = 7
) -> list[list[tuple[str, str]]]:
    """Replace the Shenzhen province/city/district/street names at the head of a share of the generated
    sequences with another real chain of names (same levels kept), so the parser learns the shape of a
    division name rather than the few names of the demo city."""
    from gridgov.address.cn_divisions import random_chain
    from gridgov.address.features import tokenize

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
