"""Small modules whose names say what they hold: none in `src/gridgov` passes 500 lines (the guide is ~400)."""

from __future__ import annotations

from house import PACKAGE

LIMIT = 500


def test_no_module_is_over_the_limit() -> None:
    sizes = {
        p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE.rglob("*.py")
    }
    assert sizes, "no modules found"
    over = {name: n for name, n in sizes.items() if n > LIMIT}
    assert not over, f"split these along their seams: {over}"
