"""The house's import rules, checked on the code: no import circles among the modules of `src/gridgov`, and no
import from an inner layer to an outer one.

The order of the layers is written down once, in tests/house.py (inner first); a context may import its own
modules and those of any layer before it. Lazy imports inside functions and imports under TYPE_CHECKING count as well: a
circle that only runs at call time is still a circle in the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from house import PACKAGE, RANK, SRC


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """The gridgov modules `name` imports (resolved to modules of the tree), with the line of each import."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("gridgov") and target != "gridgov" and target != name:
                yield target, node.lineno


def graph() -> dict[str, dict[str, int]]:
    found = modules()
    known = set(found)
    return {name: dict(imports_of(name, path, known)) for name, path in found.items()}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_part_of_the_package_has_a_layer() -> None:
    unknown = sorted({layer_of(m) for m in modules()} - set(RANK) - {"gridgov"})
    assert not unknown, f"add these to LAYERS: {unknown}"


def test_imports_point_inward_only() -> None:
    wrong = []
    for module, targets in graph().items():
        if module == "gridgov":
            continue
        here = layer_of(module)
        for target, line in targets.items():
            there = layer_of(target)
            if there != here and RANK[there] > RANK[here]:
                wrong.append(f"{module}:{line} imports {target} ({here} is inside {there})")
    assert not wrong, "imports from an inner layer to an outer one:\n" + "\n".join(sorted(wrong))


def find_cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles() -> None:
    cycles = find_cycles(graph())
    assert not cycles, "modules that import each other:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_circle() -> None:
    assert find_cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b": 1}, "b": {}}) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from gridgov.org import cache\n", {"gridgov.org.cache"}),
        ("from gridgov.org.cache import snapshot\n", {"gridgov.org.cache"}),
        ("import gridgov.org.models\n", {"gridgov.org.models"}),
        ("def f():\n    from gridgov.org.cache import x\n", {"gridgov.org.cache"}),
    ],
)
def test_imports_are_resolved_to_modules(tmp_path: Path, source: str, expected: set[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    known = {"gridgov.org", "gridgov.org.cache", "gridgov.org.models", "gridgov.x.m"}
    assert set(dict(imports_of("gridgov.x.m", path, known))) == expected
