"""The matcher's answer does not depend on the process's string-hash seed (set iteration order)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_SCRIPT = """
import json
from gridgov.demo.address_library import build_demo_library
from gridgov.address.matcher import AddressMatcher
from gridgov.demo.variants import make_variants
from gridgov.demo.geography import build_demo_geography

lib = build_demo_library(build_demo_geography(["福田区", "罗湖区"], grids_target=120))
matcher = AddressMatcher.build(lib.divisions, lib.addresses)
texts = [v.text for v in make_variants(lib, 4000, seed=5)]
print(json.dumps([
    [r.best.code if r.best else None, r.confidence, [c.code for c in r.candidates]]
    for r in matcher.match_batch(texts)
]))
"""


def _run(seed: str) -> list[object]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True)
    result: list[object] = json.loads(done.stdout)
    return result


def test_same_answers_under_different_hash_seeds() -> None:
    a, b = _run("1"), _run("2")
    assert len(a) == 4000
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert not differ, f"{len(differ)} answers depend on the hash seed, e.g. #{differ[:5]}"
