"""The plain CRF's tags for many token sequences at once, in numpy: attribute ids from
:class:`~gridgov.address.feature_ids.FeatureIndex`, emissions and Viterbi from
:class:`~gridgov.address.crf_decode.CrfDecoder` (the model's own weights and tie rule). The tags equal
CRFsuite's on the same features except where two paths tie to within the last bit of a sum
(tests/unit/address/test_fast_tag.py compares the parses)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from gridgov.address.crf_decode import CrfDecoder
from gridgov.address.feature_ids import FeatureIndex
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.tags import bioes_to_bio

__all__ = ["CHUNK", "FastTagger"]

CHUNK = 1024  # token lists tagged together: bounds the (tokens × labels) arrays


class FastTagger:
    """BIO tags of a plain CRF model, BIO or BIOES (its bytes and an open ``pycrfsuite.Tagger``), with its gazetteer."""

    def __init__(
        self,
        model: bytes,
        tagger: object,
        gazetteer: Gazetteer | None,
        canon: Mapping[str, str],
        *,
        bioes: bool = False,
    ) -> None:
        self.bioes = bioes  # a BIOES model: its tags are folded into BIO as AddressTagger.tag does
        self.decoder = CrfDecoder.from_model(model, tagger)
        self.index = FeatureIndex(self.decoder.attr_ids, self.decoder._zero)
        self.gazetteer = gazetteer
        self.tags = [canon.get(label, label) for label in self.decoder.labels]
        # per label id its BIO tag (bioes_to_bio maps tag by tag)
        self._bio_tags = bioes_to_bio(self.tags) if bioes else list(self.tags)
        # the summed weight rows of the index's variable-feature slots, extended as slots are added
        self._rows = np.zeros((0, len(self.tags)), dtype=np.float64)
        self._generation = 0
        self._lock = threading.Lock()  # the index's caches and the rows grow as texts come in

    def _slot_rows(self) -> npt.NDArray[np.float64]:
        """Per slot of the index: the summed rows of its variable features plus the bias row (the first,
        constant, column of :meth:`FeatureIndex.ids <gridgov.address.feature_ids.FeatureIndex.ids>`): the
        first addition of :meth:`emissions`, done once per slot."""
        slot_ids = self.index.slot_ids
        if self._generation != self.index.generation:  # the index started its slots afresh
            self._rows, self._generation = self._rows[:0], self.index.generation
        if len(slot_ids) > len(self._rows):
            rows = self.decoder.row_sums(slot_ids[len(self._rows) :]) + self.decoder.state[self.index.bias]
            self._rows = np.concatenate([self._rows, rows])
        return self._rows

    def emissions(self, fixed: npt.NDArray[np.int64], slots: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """(tokens × labels) scores of :meth:`FeatureIndex.ids`' output: the same sums, in the same order, as
        ``decoder.emissions_from_ids(fixed, row_sums(slot ids)[slots])``, the bias column taken from the slot rows."""
        return self.decoder.emissions_from_ids(fixed[:, 1:], self._slot_rows()[slots])

    def tag_many(self, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO tags of each token list (empty lists give empty tags), in chunks of ``CHUNK`` lists."""
        out: list[list[str]] = []
        with self._lock:
            for at in range(0, len(token_lists), CHUNK):
                out += self._tag_chunk(token_lists[at : at + CHUNK])
        return out

    def _tag_chunk(self, token_lists: Sequence[Sequence[str]]) -> list[list[str]]:
        gaz = self.gazetteer
        marks = [None if gaz is None else gaz.annotate(tokens) for tokens in token_lists]
        fixed, slots = self.index.ids(token_lists, marks)
        scores = self.emissions(fixed, slots)
        emissions = []
        at = 0
        for tokens in token_lists:
            emissions.append(scores[at : at + len(tokens)])
            at += len(tokens)
        tags = self._bio_tags
        return [[tags[i] for i in path] for path in self.decoder.decode_many(emissions)]
