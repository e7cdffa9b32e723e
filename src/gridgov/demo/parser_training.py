"""Training the address parser from the demo library: :func:`gridgov.address.training.train_parser` with the
library's roads, compounds and communities as the deployment's own names (never third-party data), saved where
:func:`gridgov.address.shipped.load_tagger` finds it. scripts/build_address_model.py uses the same function to
build the model that ships in the package."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.address.shipped import forget, model_path
from gridgov.address.synth import NameLists
from gridgov.address.tagger import AddressTagger
from gridgov.address.training import DEFAULT_SEQUENCES, train_parser

__all__ = ["DEFAULT_SEQUENCES", "Library", "train_and_save", "train_shipped_tagger"]


class Library(Protocol):
    @property
    def divisions(self) -> list[DivisionRecord]: ...

    @property
    def addresses(self) -> list[AddressRecord]: ...


def train_shipped_tagger(lib: Library, n: int = DEFAULT_SEQUENCES, seed: int = 20261206) -> AddressTagger:
    return train_parser(NameLists.from_records(lib.divisions, lib.addresses), n, seed=seed)


def train_and_save(lib: Library, var_dir: Path, n: int = DEFAULT_SEQUENCES) -> Path:
    path = model_path(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    train_shipped_tagger(lib, n).save(path)
    forget()
    return path
