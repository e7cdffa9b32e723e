"""The mypyc-compiled matcher (``make native``): the same answers as its sources, never older than them, and the
Makefile, ``native`` and the sources agreeing on which modules are compiled together and what they import.

The comparisons are skipped when the matcher runs as plain Python (no C compiler on the machine)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from gridgov.address import matcher, native
from gridgov.address.native import (
    COMPILED_MODULES,
    IMPORTED_MODULES,
    SOURCES,
    is_compiled,
    source_matcher_module,
    source_modules,
    stale_sources,
)
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import make_variants

needs_build = pytest.mark.skipif(not matcher.COMPILED, reason="the matcher runs as plain Python (not compiled)")
MAKEFILE = Path(__file__).resolve().parents[3] / "Makefile"


def _gridgov_imports(name: str) -> set[str]:
    tree = ast.parse((native.PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gridgov.address."):
            found.add(node.module.removeprefix("gridgov.address."))
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("gridgov.address.") for a in node.names if a.name.startswith("gridgov."))
    return found


def test_the_compiled_set_and_its_imports_are_listed_exactly() -> None:
    """Every gridgov module the compiled modules import (transitively) is either compiled with them or listed
    as imported, so that editing it makes the build stale; nothing else is listed."""
    seen: set[str] = set()
    todo = ["matcher", "gazetteer", "feature_ids", "components"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_gridgov_imports(name))
    assert set(COMPILED_MODULES) <= seen
    assert seen - set(COMPILED_MODULES) == set(IMPORTED_MODULES)
    assert len(SOURCES) == len(COMPILED_MODULES) + len(IMPORTED_MODULES)


def test_the_makefile_compiles_and_watches_the_same_modules() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")

    def listed(var: str) -> list[str]:
        found = re.search(rf"^{var} := (.+)$", text, re.M)
        assert found, var
        return found.group(1).split()

    assert sorted(listed("MATCHER")) == sorted(COMPILED_MODULES)
    assert sorted(listed("MATCHER_IMPORTS")) == sorted(IMPORTED_MODULES)


def test_source_modules_are_plain_and_import_one_another() -> None:
    copies = source_modules()
    assert sorted(copies) == sorted(COMPILED_MODULES)
    assert not any(is_compiled(m) for m in copies.values())
    assert source_matcher_module().COMPILED is False
    full = {f"gridgov.address.{name}": name for name in COMPILED_MODULES}
    for module in copies.values():  # every class or function a copy took from its set is that copy's own
        for value in vars(module).values():
            owner = full.get(getattr(value, "__module__", ""))
            if owner is not None and callable(value) and hasattr(copies[owner], value.__name__):
                assert getattr(copies[owner], value.__name__) is value, (module.__name__, value.__name__)
    # The loaded build is left in place.
    assert importlib.import_module("gridgov.address.matcher") is matcher
    assert importlib.import_module("gridgov.address").matcher is matcher


@needs_build
def test_every_module_of_the_set_is_compiled() -> None:
    plain = [n for n in COMPILED_MODULES if not is_compiled(importlib.import_module(f"gridgov.address.{n}"))]
    assert not plain, f"compiled with the matcher but loaded from source: {plain}"


@needs_build
def test_compiled_matcher_is_not_older_than_its_sources() -> None:
    stale = stale_sources()
    assert not stale, f"the compiled matcher is older than {stale}: run `make native`"


@needs_build
def test_compiled_and_source_give_the_same_results(geography: DemoGeography) -> None:
    lib = build_demo_library(geography)
    source = source_matcher_module()
    compiled_m = matcher.AddressMatcher.build(lib.divisions, lib.addresses)
    source_m = source.AddressMatcher.build(lib.divisions, lib.addresses)
    assert type(source_m) is source.AddressMatcher and type(source_m) is not type(compiled_m)
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


@needs_build
def test_compiled_parser_modules_give_the_same_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged parser with the compiled tokens and features, tags, gazetteer, feature ids and post-processing
    parses like one loaded with their plain-Python copies, batched and one at a time."""
    from gridgov.address import fast_tag, tagger
    from gridgov.address.shipped import packaged_model_path
    from gridgov.address.synth import AddressGenerator, NameLists

    texts = ["".join(tok for tok, _ in s) for s in AddressGenerator(NameLists(), seed=5).sequences(1500)]
    texts += ["广西柳州市城中区文昌路147-2号", "沿山村5组6号", "福民路123号门口垃圾堆了三天没人处理"]
    texts += [
        "浙江杭州市浙江省",
        "",
        " ",
        "\x00",
        "🏠",
        "1" * 400,
        "路" * 500,
        "ａｂｃ１２３号（全角）",
        "张三 13800138000 南山区",
    ]

    def spans(parsed: list[Any]) -> list[list[tuple[str, int, int, str]]]:
        return [[(c.label, c.start, c.end, c.text) for c in p.components] for p in parsed]

    def parses(t: tagger.AddressTagger) -> tuple[Any, ...]:
        return spans(t.parse_batch(texts)), spans(t.parse_batch(texts, False)), spans([t.parse(x) for x in texts[:300]])

    compiled_t = tagger.AddressTagger.load(packaged_model_path())
    compiled = parses(compiled_t)  # before the patches: the module globals the parser looks up are the builds
    assert compiled_t.gazetteer is not None and is_compiled(importlib.import_module("gridgov.address.components"))
    source = source_modules()
    monkeypatch.setattr(tagger, "components", source["components"].components)
    monkeypatch.setattr(tagger, "clean_text", source["components"].clean_text)
    monkeypatch.setattr(tagger, "tokenize_with_spans", source["features"].tokenize_with_spans)
    monkeypatch.setattr(tagger, "token_features", source["features"].token_features)
    monkeypatch.setattr(tagger, "bio_spans", source["tags"].bio_spans)
    monkeypatch.setattr(fast_tag, "FeatureIndex", source["feature_ids"].FeatureIndex)
    monkeypatch.setattr(fast_tag, "bioes_to_bio", source["tags"].bioes_to_bio)
    plain_t = tagger.AddressTagger.load(packaged_model_path())
    names = compiled_t.gazetteer.to_dict()
    plain_t.gazetteer = source["gazetteer"].Gazetteer.from_dict(names, min_chars=compiled_t.gazetteer.min_chars)
    plain = parses(plain_t)
    assert type(plain_t._fast().index) is source["feature_ids"].FeatureIndex
    assert type(compiled_t._fast().index) is not type(plain_t._fast().index)
    assert type(compiled_t.gazetteer) is not type(plain_t.gazetteer)
    assert compiled[0] == plain[0]
    assert compiled[1] == plain[1]
    assert compiled[2] == plain[2]
