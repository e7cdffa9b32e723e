"""Viterbi decoding of a CRFsuite model in numpy, with the model's own weights (pure after loading).

:class:`CrfDecoder` reads the state and transition weights of a CRFsuite (CRF1d) model once, from the binary
model file itself (``FEAT`` chunk: 64-bit weights, not the 6-decimal text of ``Tagger.info()``), and maps each
attribute string to its row. Tagging then needs no ``ItemSequence``: the emission of a token is the sum of the
weight rows of its known attributes (numpy may group the additions otherwise than CRFsuite's loop does, so a
score can differ in its last bit), and Viterbi runs on those scores with CRFsuite's tie rule (the first best
predecessor and the first best last label win). The paths equal ``pycrfsuite.Tagger.tag``'s except where two
paths tie to within that last bit (tests/unit/address/test_crf_decode.py compares them on thousands of texts).

:meth:`CrfDecoder.decode_many` decodes many sequences at once: sorted by length, blocks of them go through
Viterbi together, one numpy step per position for all the sequences still running. The forward pass keeps
only the best scores and skips the predecessors that provably cannot be the best (a bound from the transition
weights); the backward pass takes the first best predecessor over all labels, so the paths are those of the
full Viterbi, ties included (tests/unit/address/test_crf_decode.py checks it on random and tied scores).

:meth:`CrfDecoder.emissions_from_ids` sums the rows of ready attribute ids: what
:mod:`gridgov.address.fast_tag` (``AddressTagger.parse_batch``) uses, with the ids of
:mod:`gridgov.address.feature_ids` built without feature strings. ``parse`` of one text stays on CRFsuite's C
tagger, which is faster for a batch of one.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from itertools import pairwise, repeat

import numpy as np
import numpy.typing as npt

__all__ = ["CrfDecoder"]

_HEADER = struct.Struct("<4sI4sIIIIIIIII")
_FEATURE = np.dtype([("type", "<i4"), ("src", "<i4"), ("dst", "<i4"), ("weight", "<f8")])

Floats = npt.NDArray[np.float64]

ROWS = 64  # sequences decoded together: their (rows × candidates × labels) scores stay in cache


class CrfDecoder:
    """The weights of a CRFsuite model: ``state`` (attributes × labels), ``trans`` (labels × labels, from → to),
    ``attr_ids`` (attribute string → row) and ``labels`` (in the model's label-id order)."""

    def __init__(self, state: Floats, trans: Floats, attr_ids: Mapping[str, int], labels: Sequence[str]) -> None:
        self.state = state
        self.trans = trans
        self.trans_t = np.ascontiguousarray(trans.T)  # to × from: a row per target label
        self.attr_ids = dict(attr_ids)
        self.labels = list(labels)
        self._zero = len(state) - 1  # the row of zeros an unknown attribute maps to
        # dom[i*, i] = max over j of trans[i, j] - trans[i*, j]: how far label i can gain on i* in one step
        self._dom = np.empty_like(trans)  # a row at a time: labels² memory, not labels³
        for a in range(len(trans)):
            self._dom[a] = (trans - trans[a]).max(axis=1)
        # a margin (relative to the scores' size) far above the rounding of a few float64 additions
        self._slack = 1e-9 * (1.0 + float(np.abs(trans).max(initial=0.0)))

    @classmethod
    def from_model(cls, model: bytes, tagger: object) -> CrfDecoder:
        """From the model file's bytes and an open ``pycrfsuite.Tagger`` on it (for the attribute and label
        dictionaries, which the file holds as constant databases)."""
        magic, _size, kind, _version, _nf, n_labels, n_attrs, off_features, *_ = _HEADER.unpack_from(model, 0)
        if magic != b"lCRF" or kind != b"FOMC":
            raise ValueError("not a CRFsuite CRF1d model file")
        chunk, _chunk_size, n_features = struct.unpack_from("<4sII", model, off_features)
        if chunk != b"FEAT":
            raise ValueError("CRFsuite model file without a FEAT chunk")
        feats = np.frombuffer(model, dtype=_FEATURE, count=n_features, offset=off_features + 12)
        info = tagger.info()  # type: ignore[attr-defined]
        labels = [""] * n_labels
        for name, lid in info.labels.items():
            labels[int(lid)] = name
        attr_ids = {name: int(aid) for name, aid in info.attributes.items()}
        state = np.zeros((n_attrs + 1, n_labels), dtype=np.float64)  # the last row: an unknown attribute
        trans = np.zeros((n_labels, n_labels), dtype=np.float64)
        st = feats[feats["type"] == 0]
        tr = feats[feats["type"] == 1]
        state[st["src"], st["dst"]] = st["weight"]
        trans[tr["src"], tr["dst"]] = tr["weight"]
        return cls(state, trans, attr_ids, labels)

    def emissions(self, feats: Sequence[Sequence[str]]) -> Floats:
        """(tokens × labels) state scores: per token, its attributes' weight rows summed in order."""
        return self.emissions_many([feats])[0]

    def emissions_many(self, sequences: Sequence[Sequence[Sequence[str]]]) -> list[Floats]:
        """The state scores of many sequences, gathered and summed in one pass.

        An attribute the model does not know maps to an extra row of zeros (CRFsuite drops it; adding 0.0
        changes no sum)."""
        flat: list[str] = []
        starts: list[int] = []
        for feats in sequences:
            for tok in feats:
                starts.append(len(flat))
                flat.extend(tok)
        if not flat:
            return [np.zeros((len(feats), len(self.labels)), dtype=np.float64) for feats in sequences]
        get, zero = self.attr_ids.get, self._zero
        ids = np.fromiter(map(get, flat, repeat(zero, len(flat))), dtype=np.intp, count=len(flat))
        if all(a < b for a, b in pairwise(starts)) and starts[-1] < len(flat):
            scores = np.add.reduceat(self.state[ids], starts, axis=0)
        else:  # a token without attributes: score it apart (reduceat needs non-empty runs)
            scores = np.zeros((len(starts), len(self.labels)), dtype=np.float64)
            for i, (lo, hi) in enumerate(pairwise([*starts, len(flat)])):
                if lo < hi:
                    scores[i] = np.add.reduce(self.state[ids[lo:hi]], axis=0)
        out: list[Floats] = []
        at = 0
        for feats in sequences:
            out.append(scores[at : at + len(feats)])
            at += len(feats)
        return out

    def emissions_from_ids(self, fixed: npt.NDArray[np.int64], extra: Floats | None = None) -> Floats:
        """(tokens × labels) state scores from a (tokens × templates) matrix of attribute ids
        (:meth:`FeatureIndex.ids <gridgov.address.feature_ids.FeatureIndex.ids>`), the rows summed, plus
        ``extra`` (tokens × labels) if given."""
        state = self.state
        scores: Floats = state[fixed[:, 0]] if extra is None else extra + state[fixed[:, 0]]
        for col in range(1, fixed.shape[1]):
            scores += state[fixed[:, col]]
        return scores

    def row_sums(self, id_lists: Sequence[Sequence[int]]) -> Floats:
        """Per list of attribute ids, the sum of their weight rows (a row of zeros for an empty list)."""
        out = np.zeros((len(id_lists), len(self.labels)), dtype=np.float64)
        for i, ids in enumerate(id_lists):
            if ids:
                out[i] = self.state[list(ids)].sum(axis=0)
        return out

    def decode(self, emission: Floats) -> list[int]:
        """The best label-id path for one sequence's (tokens × labels) scores."""
        return self.decode_many([emission])[0]

    def decode_many(self, emissions: Sequence[Floats]) -> list[list[int]]:
        """The best paths of many sequences: sorted by length and decoded ``ROWS`` at a time, one numpy step
        per position for all the rows still running (see :meth:`_viterbi`)."""
        out: list[list[int]] = [[] for _ in emissions]
        order = sorted((i for i, e in enumerate(emissions) if len(e)), key=lambda i: -len(emissions[i]))
        for at in range(0, len(order), ROWS):
            idx = order[at : at + ROWS]
            lens = [len(emissions[i]) for i in idx]
            block = np.zeros((lens[0], len(idx), len(self.labels)), dtype=np.float64)
            for row, i in enumerate(idx):
                block[: lens[row], row] = emissions[i]
            for i, path in zip(idx, self._viterbi(block, lens), strict=True):
                out[i] = path
        return out

    def _viterbi(self, score: Floats, lens: Sequence[int]) -> list[list[int]]:
        """Viterbi over a (tokens × rows × labels) block of emissions, rows sorted by length (longest first;
        ``lens``): CRFsuite's sums and tie rule, the scores overwritten in place by the best path scores.

        The forward pass keeps only the best score per label, max over i of ``alpha[i] + trans[i, j]``, and
        skips the predecessors i that cannot reach it: with i* the best-scoring label,
        ``alpha[i] + trans[i, j] <= alpha[i] + trans[i*, j] + dom[i*, i] < alpha[i*] + trans[i*, j]``
        whenever ``alpha[i] < alpha[i*] - dom[i*, i]`` (less a margin far above rounding), so i is never the
        max for any j. The max of the remaining candidates is the same number (a max does not depend on the
        order or on dropped smaller values). The backward pass then takes, for the label chosen at t, the first
        best predecessor over all labels — the argmax the full Viterbi stores — so the paths are the same."""
        # rows running at t (lengths > t): all rows less those of length <= t
        active = (len(lens) - np.cumsum(np.bincount(lens))[:-1]).tolist() if lens else []
        rows_all = np.arange(len(lens))
        trans, dom, slack = self.trans, self._dom, self._slack
        for t in range(1, len(active)):
            k = active[t]
            alpha = score[t - 1, :k]
            rows = rows_all[:k]
            best = alpha.argmax(axis=1)
            top = alpha[rows, best]
            keep = alpha >= (top - slack * (1.0 + np.abs(top)))[:, None] - dom[best]
            cand_row, cand = np.nonzero(keep)  # row-major: each row's candidates together, the best among them
            values = alpha[cand_row, cand][:, None] + trans[cand]
            score[t, :k] += np.maximum.reduceat(values, np.searchsorted(cand_row, rows), axis=0)
        trans_t = self.trans_t
        paths = np.zeros((len(active), len(lens)), dtype=np.intp)
        cur = np.zeros(len(lens), dtype=np.intp)
        for t in range(len(active) - 1, -1, -1):
            k = active[t]
            k_next = active[t + 1] if t + 1 < len(active) else 0
            if k_next:  # rows going on: the first best predecessor of the label chosen at t + 1
                cur[:k_next] = (score[t, :k_next] + trans_t[cur[:k_next]]).argmax(axis=1)
            if k > k_next:  # rows ending at t: the first best last label
                cur[k_next:k] = score[t, k_next:k].argmax(axis=1)
            paths[t, :k] = cur[:k]
        by_row: list[list[int]] = paths.T.tolist()
        return [path[:n] for path, n in zip(by_row, lens, strict=True)]
