"""Where the `jionlp` package keeps its bundled dictionaries (china_location.txt, the pinyin tables), found
without importing jionlp (its import prints and loads far more). The phonetic matcher reads its pinyin table;
scripts/build_cn_gazetteer.py reads its division tree."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def jionlp_dictionary() -> Path:
    """jionlp's bundled dictionary folder, found without importing jionlp (its import prints a banner)."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jionlp is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary"
