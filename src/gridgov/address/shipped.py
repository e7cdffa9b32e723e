"""The address parser the API, intake and `gridgov address parse` use: the CRF tagger trained on addresses
generated from the national divisions and the standard library (never on third-party data; see
:mod:`gridgov.address.training`).

A deployment's own model (``gridgov address train``) lives under var/models; until there is one, the model that
ships in the package (``data/address_crf.crfsuite``, built by scripts/build_address_model.py from the demo
library) is used, so a fresh install parses without training anything."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from gridgov.address.tagger import AddressTagger

MODEL_NAME = "address_crf.crfsuite"


def model_path(var_dir: Path) -> Path:
    """Where `gridgov address train` saves a deployment's own model."""
    return var_dir / "models" / MODEL_NAME


def packaged_model_path() -> Path:
    """The model that ships with the package."""
    return Path(str(resources.files("gridgov.address").joinpath("data", MODEL_NAME)))


def current_model_path(var_dir: Path) -> Path | None:
    """The deployment's model if it has one, else the packaged one (None when neither exists)."""
    for path in (model_path(var_dir), packaged_model_path()):
        if path.exists():
            return path
    return None


_lock = threading.Lock()
_taggers: dict[Path, AddressTagger] = {}


def load_tagger(var_dir: Path) -> AddressTagger | None:
    """The current tagger (see :func:`current_model_path`), loaded once per file."""
    path = current_model_path(var_dir)
    if path is None:
        return None
    with _lock:
        if path in _taggers:
            return _taggers[path]
    tagger = AddressTagger.load(path)
    with _lock:
        _taggers[path] = tagger
    return tagger


def forget() -> None:
    with _lock:
        _taggers.clear()
