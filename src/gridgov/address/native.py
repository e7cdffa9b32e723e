"""The mypyc-compiled address matcher: which one is loaded, and its plain-Python source for comparison.

``make native`` (run by ``make install``/``run``/``test``/``bench``) compiles ``gridgov/address/matcher.py``
into an extension module beside it, which Python then imports instead of the source. The compiled and the
source module give the same answers (tested); the compiled one is about 1.4–2× faster."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from gridgov.address import matcher

PACKAGE = Path(__file__).parent
# The modules the compiled matcher was type-checked against: rebuilt when one of them is newer (Makefile).
SOURCES = ("matcher.py", "normalize.py", "features.py", "records.py", "cn_divisions.py")


def compiled() -> bool:
    return matcher.COMPILED


def stale_sources() -> list[str]:
    """Sources newer than the compiled matcher (empty when it runs as plain Python)."""
    if not matcher.COMPILED:
        return []
    built = Path(matcher.__file__).stat().st_mtime
    return [name for name in SOURCES if (PACKAGE / name).stat().st_mtime > built]


def source_matcher_module() -> ModuleType:
    """A fresh, plain-Python copy of ``gridgov.address.matcher`` loaded from its source file."""
    spec = importlib.util.spec_from_file_location("gridgov_address_matcher_source", PACKAGE / "matcher.py")
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the package
        raise ImportError("gridgov/address/matcher.py not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module
