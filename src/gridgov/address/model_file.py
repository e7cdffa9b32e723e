"""The address tagger's files: the CRFsuite model, its JSON sidecar (``path`` + ".json": format and feature
versions, training parameters, labels, gazetteer) and, for an ensemble, the BiLSTM members in ``path`` +
".neural.pt" (a plain dict for ``torch.save`` and a ``weights_only`` ``torch.load``: no pickled objects)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridgov.address.features import FEATURE_VERSION

if TYPE_CHECKING:
    from gridgov.address.neural import CharBiLSTMTagger

__all__ = ["MODEL_FORMAT", "MODEL_VERSION", "read_model", "write_model"]

MODEL_FORMAT = "gridgov-address-crf"
MODEL_VERSION = 2  # 2: optional BiLSTM members in a ".neural.pt" file beside the model (1 still loads)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _neural_file(path: Path) -> Path:
    return path.with_name(path.name + ".neural.pt")


def write_model(path: Path, model: bytes, fields: dict[str, Any], members: Sequence[CharBiLSTMTagger]) -> Path:
    """Write the CRFsuite ``model`` to ``path``, the members (if any) beside it and the sidecar with ``fields``
    (its "neural_file" set here). Returns the sidecar path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model)
    meta: dict[str, Any] = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "feature_version": FEATURE_VERSION}
    meta.update(fields)
    meta["neural_file"] = None
    if members:
        import torch

        neural_path = _neural_file(path)
        torch.save({"members": [m.to_state() for m in members]}, neural_path)
        meta["neural_file"] = neural_path.name
    sidecar = _sidecar(path)
    sidecar.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return sidecar


def read_model(path: Path) -> tuple[dict[str, Any], bytes, list[CharBiLSTMTagger]]:
    """The sidecar's fields, the CRFsuite model and the BiLSTM members of a model written by :func:`write_model`."""
    sidecar = _sidecar(path)
    if not sidecar.exists():
        raise FileNotFoundError(f"{sidecar}: the model's JSON sidecar is missing")
    meta: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
    if meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"{sidecar}: not a {MODEL_FORMAT} sidecar")
    if meta.get("feature_version") != FEATURE_VERSION:
        raise ValueError(
            f"{path}: model built with feature version {meta.get('feature_version')}, "
            f"this code uses {FEATURE_VERSION}; retrain it"
        )
    model = path.read_bytes()
    members: list[CharBiLSTMTagger] = []
    neural_file = meta.get("neural_file")
    if neural_file:
        try:
            import torch

            from gridgov.address.neural import CharBiLSTMTagger
        except ImportError as exc:
            raise RuntimeError(
                f"{path}: this model has BiLSTM members, which need torch: pip install -e '.[neural]'"
            ) from exc

        state = torch.load(path.with_name(neural_file), weights_only=True)
        members = [CharBiLSTMTagger.from_state(s) for s in state["members"]]
    return meta, model, members
