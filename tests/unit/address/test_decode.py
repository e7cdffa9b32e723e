"""BIO-constrained decoding of per-token tag probabilities (no torch needed)."""

from __future__ import annotations

import numpy as np

from gridgov.address.decode import BioDecoder, is_legal_bio


def test_constrained_decoding_never_emits_an_illegal_i_tag() -> None:
    tags = ["B-poi", "B-road", "I-poi", "I-road", "O"]
    decoder = BioDecoder(tags)
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 12))
        probs = rng.dirichlet(np.ones(len(tags)) * 0.3, size=n)
        probs[:, 2:4] *= 5  # favour I- tags so that the unconstrained arg-max is often illegal
        assert is_legal_bio(decoder.decode(probs / probs.sum(axis=1, keepdims=True)))
    assert decoder.decode(np.array([[0.0, 0.0, 1.0, 0.0, 0.0]])) != ["I-poi"]
    assert decoder.decode(np.zeros((0, len(tags)))) == []
    assert not is_legal_bio(["B-road", "I-poi"]) and not is_legal_bio(["I-road"])
    assert is_legal_bio(["B-road", "I-road", "O", "B-poi", "I-poi"])
