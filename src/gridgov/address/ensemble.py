"""The arithmetic of the CRF + BiLSTM ensemble: training the members, their mean tag probabilities in the CRF's
BIO columns, and the mix of both decoded by BIO-constrained Viterbi (:mod:`gridgov.address.decode`).

The mix is fixed, not fitted: per token ``(1 - weight)`` × the CRF's marginals plus ``weight`` × the members'
mean softmax ("linear"), or the same weights over log probabilities ("geometric"). The members need torch, an
optional extra (``pip install -e '.[neural]'``); it is imported only when members are trained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from gridgov.address.decode import EPS, BioDecoder

if TYPE_CHECKING:
    from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig

__all__ = ["NEURAL_MIXES", "mean_member_proba", "mix_and_decode", "train_members"]

NEURAL_MIXES = ("linear", "geometric")


def train_members(
    config: NeuralConfig | None,
    count: int,
    token_lists: Sequence[Sequence[str]],
    tag_lists: Sequence[Sequence[str]],
    marks: Sequence[Sequence[tuple[str, ...]]] | None,
) -> list[CharBiLSTMTagger]:
    """``count`` BiLSTMs trained on BIO tags, seeded ``config.seed``, ``config.seed + 1`` …"""
    from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig

    base = config or NeuralConfig()
    return [CharBiLSTMTagger(base.with_seed(base.seed + k)).fit(token_lists, tag_lists, marks) for k in range(count)]


def mean_member_proba(
    members: Sequence[CharBiLSTMTagger],
    bio_labels: Sequence[str],
    token_lists: Sequence[Sequence[str]],
    marks: Sequence[Sequence[tuple[str, ...]]] | None,
) -> list[npt.NDArray[np.float64]]:
    """Mean BiLSTM probabilities per sequence, columns in ``bio_labels`` order (a tag the members never saw
    gets 0)."""
    total = [np.zeros((len(tokens), len(bio_labels))) for tokens in token_lists]
    column = {label: j for j, label in enumerate(bio_labels)}
    for member in members:
        cols = [column.get(t, -1) for t in member.tags]
        keep = [k for k, j in enumerate(cols) if j >= 0]
        target = [cols[k] for k in keep]
        for acc, p in zip(total, member.predict_proba(token_lists, marks), strict=True):
            if len(p):
                acc[:, target] += p[:, keep]
    return [acc / len(members) for acc in total]


def mix_and_decode(
    decoder: BioDecoder,
    p_crf: npt.NDArray[np.float64],
    p_members: npt.NDArray[np.float64],
    weight: float,
    mix: str,
) -> list[str]:
    """The best legal BIO sequence for the weighted mix of the CRF's and the members' probabilities."""
    if mix == "geometric":
        return decoder.decode_scores((1.0 - weight) * np.log(p_crf + EPS) + weight * np.log(p_members + EPS))
    return decoder.decode((1.0 - weight) * p_crf + weight * p_members)
