"""docs/architecture.md draws the house in one picture: it names every folder of `src/gridgov`, and nothing that is
gone, and draws them in the order of the layers that the import test enforces."""

from __future__ import annotations

import re
from pathlib import Path

from house import PACKAGE, RANK

DOC = Path(__file__).resolve().parents[3] / "docs" / "architecture.md"


def _picture() -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"```mermaid\n(.*?)```", text, flags=re.S)
    assert found, "docs/architecture.md has no mermaid picture of the house"
    return found.group(1)


def test_the_picture_names_every_folder_and_only_those() -> None:
    drawn = set(re.findall(r'\["(\w+)/:', _picture()))
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert drawn == folders, f"missing from the picture: {sorted(folders - drawn)}; gone: {sorted(drawn - folders)}"


def test_the_picture_draws_the_layers_in_their_order() -> None:
    arrows = re.findall(r'^\s*(\w+)\["[^"]*"\] --> (\w+)\s*$', _picture(), flags=re.M)
    assert arrows, "the picture draws no arrows between contexts"
    for outer, inner in arrows:
        assert RANK[outer] >= RANK[inner], f"{outer} --> {inner} runs outward"
