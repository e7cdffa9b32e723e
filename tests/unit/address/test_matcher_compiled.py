"""The mypyc-compiled matcher (``make native``): the same answers as its source, and never older than it.

Skipped when the matcher runs as plain Python (no C compiler on the machine)."""

from __future__ import annotations

import pytest

from gridgov.address import matcher
from gridgov.address.native import source_matcher_module, stale_sources
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import make_variants

pytestmark = pytest.mark.skipif(not matcher.COMPILED, reason="the matcher runs as plain Python (not compiled)")


def test_compiled_matcher_is_not_older_than_its_sources() -> None:
    stale = stale_sources()
    assert not stale, f"the compiled matcher is older than {stale}: run `make native`"


def test_source_module_is_plain_python() -> None:
    assert source_matcher_module().COMPILED is False


def test_compiled_and_source_give_the_same_results(geography: DemoGeography) -> None:
    lib = build_demo_library(geography)
    source = source_matcher_module()
    compiled_m = matcher.AddressMatcher.build(lib.divisions, lib.addresses)
    source_m = source.AddressMatcher.build(lib.divisions, lib.addresses)
    texts: list[object] = [v.text for v in make_variants(lib, 1500, seed=23)]
    texts += ["", "   ", "😀🏠", "x" * 2000, "福田区" * 700, "'; DROP TABLE address; --", "<script>", None, 12345]
    for text in texts:
        a, b = compiled_m.match(text), source_m.match(text)
        assert (a.best and a.best.code, a.confidence, a.level, a.needs_review, a.remainder) == (
            b.best and b.best.code,
            b.confidence,
            b.level,
            b.needs_review,
            b.remainder,
        ), text
        assert [(c.code, c.score) for c in a.candidates] == [(c.code, c.score) for c in b.candidates], text
        assert a.explanation == b.explanation, text
        assert a.normalized == b.normalized, text
