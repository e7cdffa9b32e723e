"""Free-text address parsing: a character-level CRF that labels address components in the NCAP scheme.

``AddressTagger`` wraps a linear-chain CRF (CRFsuite through ``sklearn-crfsuite``, L-BFGS with L1+L2
regularisation and all possible transitions) over the token features of :mod:`gridgov.address.features`,
optionally with a :class:`~gridgov.address.gazetteer.Gazetteer` of known names per label (the standard address
library's own road, compound and division names).

The CRF learns BIO tags, or BIOES (``scheme="bioes"``: the end of each component and one-token components get
tags of their own; :mod:`gridgov.address.tags`). With ``neural_members`` > 0 the tagger is an ensemble: the
CRF's per-token marginals and the mean softmax of that many character BiLSTMs (:mod:`gridgov.address.neural`)
are mixed with a fixed weight and decoded by BIO-constrained Viterbi (:mod:`gridgov.address.ensemble`), so no
``I-`` tag follows a different label. The BiLSTMs need torch, an optional extra (``pip install -e
'.[neural]'``, installed by ``make bench``); the shipped parser (:mod:`gridgov.address.shipped`) is the CRF
alone and needs none of it.

``AddressTagger.parse`` turns free text into a :class:`~gridgov.address.components.ParsedAddress` and never
raises on bad input (empty, very long, emoji, markup, SQL): the text is cleaned and capped, tagged, and the
spans post-processed (:mod:`gridgov.address.components`). :func:`evaluate` scores a tagger at the component
(entity span) level, seqeval style. Models are saved and loaded through :mod:`gridgov.address.model_file`.
"""

from __future__ import annotations

import inspect
import logging
import random
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gridgov.address.components import Component, ParsedAddress, clean_text, components
from gridgov.address.decode import BioDecoder
from gridgov.address.ensemble import NEURAL_MIXES, mean_member_proba, mix_and_decode, train_members
from gridgov.address.fast_tag import FastTagger
from gridgov.address.features import token_features, tokenize_with_spans
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.model_file import read_model, write_model
from gridgov.address.tags import TAG_SCHEMES, bio_spans, bioes_to_bio, canon_tag, span_scores, to_bioes

if TYPE_CHECKING:
    from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig

__all__ = ["AddressTagger", "evaluate"]

log = logging.getLogger(__name__)


def evaluate(tagger: AddressTagger, sequences: Sequence[Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """Tag the tokens of each labelled sequence and score against its tags at the span level.

    Returns ``precision``, ``recall``, ``f1`` (micro over all spans), ``support`` (gold spans), ``macro_f1``,
    ``token_accuracy``, ``sequences`` and ``per_label`` {label: {precision, recall, f1, support}}."""
    gold = [[canon_tag(tag) for _, tag in seq] for seq in sequences]
    pred = tagger.tag_many([[tok for tok, _ in seq] for seq in sequences])
    return span_scores(gold, pred)


class AddressTagger:
    """Address tagger: a CRF, optionally ensembled with BiLSTM members. Train with :meth:`fit`, or :meth:`load`
    a saved one; then :meth:`tag` token lists or :meth:`parse` free text.

    With ``neural_members`` > 0 the engine is an ensemble: per token, ``(1 - neural_weight)`` × the CRF's
    marginal tag probabilities plus ``neural_weight`` × the mean softmax of the BiLSTM members
    (:class:`~gridgov.address.neural.CharBiLSTMTagger`, seeds ``neural.seed``, ``neural.seed + 1`` …), decoded
    by BIO-constrained Viterbi (:class:`~gridgov.address.decode.BioDecoder`); with ``neural_mix="geometric"``
    the same weights mix log probabilities instead. Weight and rule are fixed settings, not fitted. With
    ``neural_members`` = 0 it is the plain CRF with its own Viterbi.

    ``scheme`` is the tag set the CRF learns: "bio", or "bioes" (a span's last token and one-token spans get
    their own tags, so the model learns where a component ends as well as where it starts; twice the labels,
    about twice the training time). In an ensemble the CRF's BIOES marginals are folded into BIO (B+S, I+E);
    the BiLSTM members always learn BIO. :meth:`tag` returns BIO tags either way."""

    def __init__(
        self,
        *,
        c1: float = 0.02,
        c2: float = 0.02,
        max_iterations: int = 150,
        gazetteer_dropout: float = 0.3,
        min_freq: int = 0,
        seed: int = 20260601,
        neural_members: int = 0,
        neural_weight: float = 0.5,
        neural_mix: str = "linear",
        neural: NeuralConfig | None = None,
        scheme: str = "bio",
    ) -> None:
        if neural_members < 0 or not 0.0 <= neural_weight <= 1.0:
            raise ValueError("neural_members must be >= 0 and neural_weight in [0, 1]")
        if neural_mix not in NEURAL_MIXES:
            raise ValueError(f"neural_mix must be one of {NEURAL_MIXES}")
        if scheme not in TAG_SCHEMES:
            raise ValueError(f"scheme: {scheme!r} is not one of {', '.join(TAG_SCHEMES)}")
        self.scheme = scheme
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.min_freq = min_freq
        self.gazetteer_dropout = gazetteer_dropout
        self.seed = seed
        self.neural_members = neural_members
        self.neural_weight = neural_weight
        self.neural_mix = neural_mix
        self.neural_config = neural
        self.gazetteer: Gazetteer | None = None
        self.labels: list[str] = []  # the CRF's tags (BIO or BIOES), in the NCAP_LABELS spelling
        self._model_tags: list[str] = []  # the same as the model file spells them (an older model: "B-devzone")
        self._canon: dict[str, str] = {}  # model file's tag → NCAP_LABELS spelling
        self.bio_labels: list[str] = []  # the same in BIO: the columns of the ensemble's probabilities
        self._bio_column: list[int] = []  # CRF tag index → bio_labels index
        self.train_seconds: float | None = None
        self.crf_seconds: float | None = None
        self.members: list[CharBiLSTMTagger] = []
        self._model: bytes | None = None
        self._tagger: Any = None
        self._decoder: BioDecoder | None = None
        self._fast_tagger: FastTagger | None = None
        self._lock = threading.Lock()

    # -- training ------------------------------------------------------------------------------------------

    def fit(self, sequences: Sequence[Sequence[tuple[str, str]]], gazetteer: Gazetteer | None = None) -> AddressTagger:
        """Train on labelled token sequences [(token, "B-road"), …]. With a gazetteer, each name match in the
        training data is hidden with probability ``gazetteer_dropout`` so that the model also learns to label
        names it does not know. The BiLSTM members (if any) see the same token marks as the CRF."""
        import sklearn_crfsuite  # type: ignore[import-untyped, unused-ignore]

        seqs = [list(s) for s in sequences if s]
        if not seqs:
            raise ValueError("no training sequences")
        rng = random.Random(self.seed)
        token_lists: list[list[str]] = []
        mark_lists: list[list[tuple[str, ...]] | None] = []
        xs: list[list[list[str]]] = []
        ys: list[list[str]] = []
        bio_ys: list[list[str]] = []
        for seq in seqs:
            tokens = [tok for tok, _ in seq]
            marks = self._gaz_marks(tokens, gazetteer, rng)
            token_lists.append(tokens)
            mark_lists.append(marks)
            xs.append(token_features(tokens, marks))
            tags = [canon_tag(tag) for _, tag in seq]
            bio_ys.append(tags)
            ys.append(to_bioes(tags) if self.scheme == "bioes" else tags)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="gridgov-crf-") as tmp:
            model_path = Path(tmp) / "model.crfsuite"
            crf = sklearn_crfsuite.CRF(
                algorithm="lbfgs",
                c1=self.c1,
                c2=self.c2,
                max_iterations=self.max_iterations,
                min_freq=self.min_freq,
                all_possible_transitions=True,
                model_filename=str(model_path),
            )
            crf.fit(xs, ys)
            model = model_path.read_bytes()
        self.crf_seconds = time.perf_counter() - t0
        self.gazetteer = gazetteer
        self._open(model)
        self.members = []
        if self.neural_members:
            marks_arg = None if gazetteer is None else [m or [] for m in mark_lists]
            self.members = train_members(self.neural_config, self.neural_members, token_lists, bio_ys, marks_arg)
        self.train_seconds = time.perf_counter() - t0
        return self

    def _gaz_marks(
        self, tokens: Sequence[str], gazetteer: Gazetteer | None, rng: random.Random | None = None
    ) -> list[tuple[str, ...]] | None:
        if gazetteer is None:
            return None
        marks = gazetteer.annotate(tokens)
        if rng is not None and self.gazetteer_dropout > 0:
            # hide whole name matches at random: a match runs from a token marked B or S to the next one
            n, i = len(marks), 0
            while i < n:
                if not marks[i]:
                    i += 1
                    continue
                j = i + 1
                while j < n and marks[j] and not any(m.endswith(("|B", "|S")) for m in marks[j]):
                    j += 1
                if rng.random() < self.gazetteer_dropout:
                    marks[i:j] = [()] * (j - i)
                i = j
        return marks

    def _open(self, model: bytes) -> None:
        import pycrfsuite  # type: ignore[import-untyped, unused-ignore]

        tagger = pycrfsuite.Tagger()
        tagger.open_inmemory(model)
        self._model = model
        self._tagger = tagger
        self._model_tags = sorted(tagger.labels())
        self._canon = {tag: canon_tag(tag) for tag in self._model_tags}
        self.labels = [self._canon[tag] for tag in self._model_tags]
        self.bio_labels = sorted(set(bioes_to_bio(self.labels)))
        self._bio_column = [self.bio_labels.index(tag) for tag in bioes_to_bio(self.labels)]
        self._decoder = BioDecoder(self.bio_labels)
        self._fast_tagger = None

    @property
    def trained(self) -> bool:
        return self._tagger is not None

    @property
    def is_ensemble(self) -> bool:
        return bool(self.members)

    def crf_only(self) -> AddressTagger:
        """The same trained CRF (and gazetteer) without the BiLSTM members."""
        if self._model is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        other = AddressTagger(**self._params())
        other.neural_members = 0
        other.gazetteer = self.gazetteer
        other.train_seconds = self.crf_seconds
        other.crf_seconds = self.crf_seconds
        other._open(self._model)
        return other

    # -- tagging -------------------------------------------------------------------------------------------

    def tag(self, tokens: Sequence[str]) -> list[str]:
        """BIO tags for a token sequence (NCAP tokens)."""
        if self._tagger is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        if not tokens:
            return []
        if self.members:
            return self.tag_many([tokens])[0]
        return self._crf_tag(tokens, self._gaz_marks(tokens, self.gazetteer))

    def tag_many(self, token_lists: Iterable[Sequence[str]]) -> list[list[str]]:
        """BIO tags for many token sequences (the BiLSTM members run batched)."""
        if not self.members:
            return [self.tag(tokens) for tokens in token_lists]
        if self._decoder is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        lists = [list(tokens) for tokens in token_lists]
        marks = [self._gaz_marks(tokens, self.gazetteer) if tokens else None for tokens in lists]
        mark_arg = None if self.gazetteer is None else [m or [] for m in marks]
        neural = mean_member_proba(self.members, self.bio_labels, lists, mark_arg)
        out: list[list[str]] = []
        for tokens, m, p_nn in zip(lists, marks, neural, strict=True):
            if not tokens:
                out.append([])
                continue
            p_crf = self._crf_marginals(tokens, m)
            out.append(mix_and_decode(self._decoder, p_crf, p_nn, self.neural_weight, self.neural_mix))
        return out

    def _crf_tag(self, tokens: Sequence[str], marks: Sequence[tuple[str, ...]] | None) -> list[str]:
        feats = token_features(tokens, marks)
        with self._lock:
            raw: list[str] = self._tagger.tag(feats)
        canon = self._canon
        tags = [canon[tag] for tag in raw]
        return bioes_to_bio(tags) if self.scheme == "bioes" else tags

    def _crf_marginals(self, tokens: Sequence[str], marks: Sequence[tuple[str, ...]] | None) -> npt.NDArray[np.float64]:
        """(tokens × BIO labels) marginal probabilities of the CRF, columns in ``self.bio_labels`` order (a
        BIOES model's S-/E- marginals added to B-/I-)."""
        feats = token_features(tokens, marks)
        with self._lock:
            self._tagger.set(feats)
            raw = np.array(
                [[self._tagger.marginal(tag, i) for tag in self._model_tags] for i in range(len(tokens))],
                dtype=np.float64,
            )
        if len(self.bio_labels) == len(self.labels):
            return raw
        out = np.zeros((len(tokens), len(self.bio_labels)))
        np.add.at(out.T, self._bio_column, raw.T)
        return out

    def parse(self, text: str, postprocess: bool = True) -> ParsedAddress:
        """Labelled components of free text. Bad input gives an empty or partial result, never an exception.
        ``postprocess=False`` skips the post-processing rules of :mod:`gridgov.address.components`."""
        if self._tagger is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        cleaned = clean_text(text)
        try:
            return ParsedAddress(cleaned, self._components(cleaned, postprocess))
        except Exception:  # defensive: parsing user text must never break the caller
            log.exception("address parse failed; returning an empty result")
            return ParsedAddress(cleaned, [])

    def parse_batch(self, texts: Iterable[str], postprocess: bool = True) -> list[ParsedAddress]:
        """:meth:`parse` of many texts; a plain CRF tags them together through the numpy path
        (:mod:`gridgov.address.fast_tag`), with the same output."""
        if self._tagger is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        cleaned = [clean_text(text) for text in texts]
        if self.members:
            return [self.parse(text, postprocess) for text in cleaned]
        try:
            tokens = [tokenize_with_spans(text) for text in cleaned]
            tags = self._fast().tag_many([[tok for tok, _, _ in toks] for toks in tokens])
        except Exception:  # defensive: parsing user text must never break the caller
            log.exception("batched address parse failed; parsing one by one")
            return [self.parse(text, postprocess) for text in cleaned]
        out: list[ParsedAddress] = []
        for text, toks, tg in zip(cleaned, tokens, tags, strict=True):
            try:
                comps = components(text, toks, bio_spans(tg), postprocess) if toks else []
                out.append(ParsedAddress(text, comps))
            except Exception:
                log.exception("address parse failed; returning an empty result")
                out.append(ParsedAddress(text, []))
        return out

    def _fast(self) -> FastTagger:
        """The numpy tagger of this CRF, built on first use (reading the model's dictionaries takes ~1 s)."""
        with self._lock:
            if self._fast_tagger is None:
                self._fast_tagger = FastTagger(
                    self._model,  # type: ignore[arg-type]
                    self._tagger,
                    self.gazetteer,
                    self._canon,
                    bioes=self.scheme == "bioes",
                )
            return self._fast_tagger

    def _components(self, text: str, postprocess: bool = True) -> list[Component]:
        tokens = tokenize_with_spans(text)
        if not tokens:
            return []
        return components(text, tokens, bio_spans(self.tag([tok for tok, _, _ in tokens])), postprocess)

    # -- persistence ---------------------------------------------------------------------------------------

    def _params(self) -> dict[str, Any]:
        return {
            "min_freq": self.min_freq,
            "c1": self.c1,
            "c2": self.c2,
            "max_iterations": self.max_iterations,
            "gazetteer_dropout": self.gazetteer_dropout,
            "seed": self.seed,
            "neural_members": self.neural_members,
            "neural_weight": self.neural_weight,
            "neural_mix": self.neural_mix,
            "scheme": self.scheme,
        }

    def save(self, path: str | Path) -> Path:
        """Write the CRFsuite model to ``path``, the BiLSTM members (if any) to ``path`` + ".neural.pt" and a
        JSON sidecar (``path`` + ".json") with the format version, training parameters and gazetteer. Returns
        the sidecar path."""
        if self._model is None:
            raise RuntimeError("AddressTagger is not trained: nothing to save")
        fields = {
            "params": self._params(),
            "labels": self.labels,
            "train_seconds": self.train_seconds,
            "crf_seconds": self.crf_seconds,
            "neural_file": None,  # filled in by write_model
            "gazetteer": None if self.gazetteer is None else _gazetteer_fields(self.gazetteer),
        }
        return write_model(Path(path), self._model, fields, self.members)

    @classmethod
    def load(cls, path: str | Path) -> AddressTagger:
        """Read a model written by :meth:`save` (the model file, its JSON sidecar and the BiLSTM members)."""
        meta, model, members = read_model(Path(path))
        params = meta.get("params", {})
        # The constructor's own parameters (what _params() wrote); the BiLSTM config comes from the members' state.
        names = inspect.signature(cls).parameters
        tagger = cls(**{k: v for k, v in params.items() if k in names and k != "neural"})
        gaz = meta.get("gazetteer")
        if gaz is not None:
            tagger.gazetteer = Gazetteer.from_dict(gaz["names"], min_chars=int(gaz.get("min_chars", 2)))
            if gaz.get("base") == "national":
                from gridgov.address.cn_gazetteer import national_gazetteer

                tagger.gazetteer = national_gazetteer().merged(tagger.gazetteer, base="national")
        tagger.train_seconds = meta.get("train_seconds")
        tagger.crf_seconds = meta.get("crf_seconds", tagger.train_seconds)
        tagger._open(model)
        tagger.members = members
        if members:
            tagger.neural_config = members[0].config
        return tagger


def _gazetteer_fields(gaz: Gazetteer) -> dict[str, Any]:
    """The sidecar's gazetteer: its names, or, for one built on the national division file, only the names it
    adds (the division file ships with the package)."""
    if gaz.base == "national":
        from gridgov.address.cn_gazetteer import national_gazetteer

        return {"min_chars": gaz.min_chars, "base": "national", "names": gaz.without(national_gazetteer()).to_dict()}
    return {"min_chars": gaz.min_chars, "names": gaz.to_dict()}
