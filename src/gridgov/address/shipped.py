"""The shipped address parser: the CRF tagger trained on text generated from the standard address library
itself (never on third-party data; the training lives in :mod:`gridgov.demo.parser_training`), saved under
var/models and loaded by the API."""

from __future__ import annotations

import threading
from pathlib import Path

from gridgov.address.tagger import AddressTagger

MODEL_NAME = "address_crf.crfsuite"


def model_path(var_dir: Path) -> Path:
    return var_dir / "models" / MODEL_NAME


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
