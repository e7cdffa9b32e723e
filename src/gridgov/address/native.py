"""The mypyc-compiled address matcher: which build is loaded, whether it is older than its sources, and a
plain-Python copy of it for comparison.

``make native`` (run by ``make install``/``run``/``test``/``bench``) compiles ``COMPILED_MODULES`` together, in one
mypyc invocation, into one shared library and an extension module beside each source, which Python then imports
instead of the source. The compiled and the source modules give the same answers (tested); the compiled ones
are about 1.4–2× faster."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

from gridgov.address import matcher

PACKAGE = Path(__file__).parent
# The modules compiled together (the Makefile's MATCHER): the matcher and what it imports, and the parser's modules.
COMPILED_MODULES = (
    "matcher",
    "match_types",
    "match_text",
    "match_phonetic",
    "match_index",
    "match_exact",
    "match_fuzzy",
    # the parser's per-token Python: tokens and their features, tags, gazetteer marks, sequence-wide feature ids,
    # post-processing
    "features",
    "tags",
    "gazetteer",
    "feature_ids",
    "components",
)
# The plain-Python modules they import, which the build was type-checked against (the Makefile's MATCHER_IMPORTS).
IMPORTED_MODULES = ("normalize", "records", "cn_divisions")
# A build older than one of these is stale: the Makefile rebuilds it.
SOURCES = tuple(f"{name}.py" for name in (*COMPILED_MODULES, *IMPORTED_MODULES))
_PREFIX = "gridgov.address."


def compiled() -> bool:
    return matcher.COMPILED


def is_compiled(module: ModuleType) -> bool:
    return not str(module.__file__).endswith(".py")


def stale_sources() -> list[str]:
    """Sources newer than the compiled build, and modules of the compiled set that run as plain Python beside a
    compiled matcher (both fixed by ``make native``); empty when the matcher runs as plain Python."""
    if not matcher.COMPILED:
        return []
    modules = [importlib.import_module(_PREFIX + name) for name in COMPILED_MODULES]
    plain = [Path(str(m.__file__)).name for m in modules if not is_compiled(m)]
    built = min(Path(str(m.__file__)).stat().st_mtime for m in modules if is_compiled(m))
    return plain + [name for name in SOURCES if name not in plain and (PACKAGE / name).stat().st_mtime > built]


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled set's modules as their ``.py`` sources, ahead of the extension modules."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        name = fullname.removeprefix(_PREFIX)
        if fullname.startswith(_PREFIX) and name in COMPILED_MODULES:
            return importlib.util.spec_from_file_location(fullname, PACKAGE / f"{name}.py")
        return None


def source_modules() -> dict[str, ModuleType]:
    """Fresh plain-Python copies of ``COMPILED_MODULES`` (by short name), loaded from their source files and
    importing one another, never the compiled build. ``sys.modules`` and the package are left as they were."""
    package = sys.modules[__package__ or "gridgov.address"]
    full_names = [_PREFIX + name for name in COMPILED_MODULES]
    saved = {n: sys.modules.pop(n) for n in full_names if n in sys.modules}
    saved_attrs = {name: getattr(package, name) for name in COMPILED_MODULES if hasattr(package, name)}
    finder = _SourceFinder()
    sys.meta_path.insert(0, finder)
    try:
        # Under their own names: dataclasses resolve their annotations through sys.modules while being built.
        return {name: importlib.import_module(_PREFIX + name) for name in COMPILED_MODULES}
    finally:
        sys.meta_path.remove(finder)
        for n in full_names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
        for name in COMPILED_MODULES:
            if name in saved_attrs:
                setattr(package, name, saved_attrs[name])
            elif hasattr(package, name):
                delattr(package, name)


def source_matcher_module() -> ModuleType:
    """A fresh, plain-Python copy of ``gridgov.address.matcher`` and of the modules compiled with it."""
    return source_modules()["matcher"]
