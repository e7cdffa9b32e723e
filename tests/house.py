"""The order of the house's layers, written down once (inner first): the import test enforces it and the picture in
docs/architecture.md is checked against it. A name is a context package (gridgov/<name>/) or a top-level module
(gridgov/<name>.py); a layer may import itself and the layers before it."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "gridgov"

# Inner to outer. A name is a context package (gridgov/<name>/) or a top-level module (gridgov/<name>.py).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config", "db", "migrate", "common"),  # the kernel: settings, engine, pure helpers, audit, bus, scope
    ("org",),  # divisions, people and their scopes; org/deps.py: the caller's principal for every router
    ("catalog",),
    ("address",),
    ("blockdata", "classify"),
    ("dispatch",),
    ("notify",),  # notifications: planned from the outbox, sent by channel
    ("hazards", "mediation", "participation", "open311"),
    ("dashboard",),
    ("demo",),  # demo geography, synthetic library, simulator: imported by no core module
    ("web", "app", "cli", "wiring", "models", "migrations", "route_scopes"),  # entrypoints, wiring, schema, scopes
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
