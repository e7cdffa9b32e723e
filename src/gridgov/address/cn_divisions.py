"""China's division names (province → town) from the tree that the `jionlp` package ships
(dictionary/china_location.txt), read without importing jionlp (its import prints and loads far more).

Used to teach the shipped address parser what other provinces' and cities' names look like: the demo
library only knows Shenzhen, and a parser trained on it alone would take every 省 to be 广东省."""

from __future__ import annotations

import importlib.util
import random
from functools import lru_cache
from pathlib import Path

LEVELS = ("prov", "city", "district", "town")


def jionlp_dictionary() -> Path:
    """jionlp's bundled dictionary folder, found without importing jionlp (its import prints a banner)."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("jionlp is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary"


def _tree_path() -> Path:
    return jionlp_dictionary() / "china_location.txt"


@lru_cache(maxsize=1)
def division_chains() -> tuple[tuple[str, str, str, str], ...]:
    """Every (province, city, district, town) path of the tree."""
    chains: list[tuple[str, str, str, str]] = []
    current = ["", "", "", ""]
    with _tree_path().open(encoding="utf-8") as fh:
        for line in fh:
            depth = len(line) - len(line.lstrip("\t"))
            if depth >= len(LEVELS):
                continue
            current[depth] = line.strip().split("\t")[0]
            for d in range(depth + 1, len(LEVELS)):
                current[d] = ""
            if depth == len(LEVELS) - 1 and all(current):
                chains.append((current[0], current[1], current[2], current[3]))
    return tuple(chains)


def random_chain(rng: random.Random) -> tuple[str, str, str, str]:
    chains = division_chains()
    return chains[rng.randrange(len(chains))]
