"""BIO-constrained Viterbi decoding of per-token tag distributions (numpy only).

A BIO sequence is legal when every ``I-x`` tag follows ``B-x`` or ``I-x``; in particular no sequence starts with
an ``I-`` tag. :class:`BioDecoder` finds the legal tag sequence with the highest sum of log probabilities, so
the decoded output of an ensemble (or of a softmax tagger) never contains an orphan or relabelled ``I-`` tag.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["EPS", "BioDecoder", "is_legal_bio"]

_NEG = -1e9
EPS = 1e-9  # added to probabilities before their log


def _allowed_after(prev: str, tag: str) -> bool:
    if not tag.startswith("I-"):
        return True
    return prev[:2] in ("B-", "I-") and prev[2:] == tag[2:]


def is_legal_bio(tags: Sequence[str]) -> bool:
    """True when every ``I-x`` tag continues an ``x`` entity (the sequence starts with no ``I-`` tag)."""
    prev = "O"
    for tag in tags:
        if not _allowed_after(prev, tag):
            return False
        prev = tag
    return True


class BioDecoder:
    """Viterbi over a fixed tag set with the BIO constraints as hard transitions."""

    def __init__(self, tags: Sequence[str]) -> None:
        self.tags = list(tags)
        self._start = np.array([0.0 if _allowed_after("O", t) else _NEG for t in self.tags])
        self._trans = np.array([[0.0 if _allowed_after(a, b) else _NEG for b in self.tags] for a in self.tags])

    def decode(self, probs: npt.NDArray[np.floating]) -> list[str]:
        """Best legal tag sequence for ``probs`` (tokens × tags, columns in ``self.tags`` order)."""
        return self.decode_scores(np.log(np.asarray(probs, dtype=np.float64) + EPS))

    def decode_scores(self, scores: npt.NDArray[np.floating]) -> list[str]:
        """Best legal tag sequence for per-token log scores (tokens × tags; any per-token offset is harmless)."""
        n = scores.shape[0]
        if n == 0:
            return []
        if scores.shape[1] != len(self.tags):
            raise ValueError(f"expected {len(self.tags)} tag columns, got {scores.shape[1]}")
        logp = np.asarray(scores, dtype=np.float64)
        score = self._start + logp[0]
        back = np.zeros((n, len(self.tags)), dtype=np.int64)
        for i in range(1, n):
            cand = score[:, None] + self._trans
            back[i] = cand.argmax(axis=0)
            score = cand.max(axis=0) + logp[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        return [self.tags[k] for k in reversed(path)]
