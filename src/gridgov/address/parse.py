"""Free-text address parsing: a character-level CRF that labels address components in the NCAP scheme.

``AddressTagger`` wraps a linear-chain CRF (CRFsuite through ``sklearn-crfsuite``, L-BFGS with L1+L2
regularisation and all possible transitions) over hand-made token features: the token, its type and length, a
window of ±3 tokens with bigrams, trigrams and 4-grams, known address suffixes (路, 号, 栋, 单元, 小区, 工业区 …)
at the token and the nearest ones before and after it, the kinds of suffix seen before and after, runs repeated
elsewhere in the text (doubled divisions), the position from both ends and, optionally, a :class:`Gazetteer` of
known names per label (the standard address library's own road, compound and division names).

The CRF learns BIO tags, or BIOES (``scheme="bioes"``: the end of each component and one-token components get
tags of their own). With ``neural_members`` > 0 the tagger is an ensemble: the CRF's per-token marginals and the
mean softmax of that many character BiLSTMs (:mod:`gridgov.address.neural`) are mixed with a fixed weight and
decoded by BIO-constrained Viterbi (:mod:`gridgov.address.decode`), so no ``I-`` tag follows a different label.
The BiLSTMs need torch, an optional extra (``pip install -e '.[neural]'``, installed by ``make bench``); the
shipped parser (:mod:`gridgov.address.shipped`) is the CRF alone and needs none of it.

Tokens follow NCAP: each Chinese character is one token, each run of ASCII digits is one token, each run of
ASCII letters is one token and any other non-space character is a token of its own. Tags are BIO over
``NCAP_LABELS`` ("B-road", "I-road", …).

``AddressTagger.parse`` turns free text into a :class:`ParsedAddress` and never raises on bad input (empty,
very long, emoji, markup, SQL): the text is lightly cleaned (full-width ASCII to half-width, control
characters and runs of white space to one space, one character for one character so offsets stay
meaningful) and capped at ``MAX_INPUT_CHARS``. Post-processing merges adjacent pieces with the same label,
moves assist words (门口, 旁边, 附近 …) into ``assist`` and relabels the complaint text around an embedded
address ("福民路123号门口垃圾堆了三天") as ``redundant``, the label the training data gives such noise.

``read_bio_file`` reads the NCAP text format (one "token tag" per line, a blank line between addresses) and
``evaluate`` scores a tagger at the component (entity span) level, seqeval style.
"""

from __future__ import annotations

import inspect
import json
import logging
import random
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gridgov.address.decode import EPS, BioDecoder
from gridgov.address.features import (
    ASSIST_WORDS,
    FEATURE_VERSION,
    SUFFIXES,
    token_features,
    token_type,
    tokenize,
    tokenize_with_spans,
    words,
)
from gridgov.address.records import NCAP_LABELS, AddressRecord, DivisionRecord
from gridgov.address.tags import TAG_SCHEMES, bio_spans, bioes_to_bio, canon_tag, read_bio_file, span_scores, to_bioes

if TYPE_CHECKING:
    from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig

__all__ = [
    "ASSIST_WORDS",
    "MAX_INPUT_CHARS",
    "SUFFIXES",
    "AddressTagger",
    "Component",
    "Gazetteer",
    "ParsedAddress",
    "bio_spans",
    "clean_text",
    "evaluate",
    "read_bio_file",
    "span_scores",
    "tokenize_with_spans",
]

log = logging.getLogger(__name__)

MODEL_FORMAT = "gridgov-address-crf"
NEURAL_MIXES = ("linear", "geometric")
MODEL_VERSION = 2  # 2: optional BiLSTM members in a ".neural.pt" file beside the model (1 still loads)
MAX_INPUT_CHARS = 300
_MAX_RAW_CHARS = 4 * MAX_INPUT_CHARS  # bound the cleaning work on huge inputs
_SPACE_RE = re.compile(r"\s+")


# An assist word directly followed by one of these is the head of a name (路口村, 门前街 …).
_NAME_AFTER_ASSIST: tuple[str, ...] = words("村 路 街 道 巷 弄 里 桥 镇 乡 社区 小区 花园 新村 大厦 广场 苑 园 城")
# Words that mark sentence (complaint) text rather than an address component.
_COMPLAINT_CUES: tuple[str, ...] = words(
    "了 吗 呢 啊 呀 哦 反映 投诉 举报 请求 希望 要求 麻烦 处理 解决 垃圾 噪音 扰民 占道 乱停 乱放 乱扔 乱倒 乱搭 "
    "违建 违章 漏水 积水 堵塞 破损 损坏 坏掉 没人 无人 有人 一直 经常 每天 晚上 已经 严重 影响 存在 发现 导致 "
    "很多 太多 不能 没有 堆放 堆满 施工 污水 臭味 油烟 丢失 危险 不亮"
)
_STRUCTURAL = frozenset(NCAP_LABELS) - {"assist", "redundant", "otherinfo"}

# --------------------------------------------------------------------------------------------------------------
# gazetteer


class Gazetteer:
    """Known names per NCAP label ("road" → {"福民路", …}), matched over token sequences (see :meth:`annotate`).

    A name listed under several labels reports all of them. Names shorter than ``min_chars`` are ignored.
    """

    def __init__(self, names: Mapping[str, Iterable[str]] | None = None, *, min_chars: int = 2) -> None:
        self.min_chars = min_chars
        self._labels: dict[str, set[str]] = {}
        self._max_tokens = 0
        for label, items in (names or {}).items():
            for name in items:
                self.add(label, name)

    def add(self, label: str, name: str) -> None:
        key = _SPACE_RE.sub("", name or "")
        if len(key) < self.min_chars or label not in NCAP_LABELS:
            return
        self._labels.setdefault(key, set()).add(label)
        self._max_tokens = max(self._max_tokens, len(tokenize(key)))

    def __len__(self) -> int:
        return len(self._labels)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._labels

    def labels_for(self, name: str) -> frozenset[str]:
        return frozenset(self._labels.get(name, ()))

    def annotate(self, tokens: Sequence[str]) -> list[tuple[str, ...]]:
        """Per token: "label|pos" marks (pos B/I/E, or S for a one-token name) of the names covering it; for
        each label only the longest covering name counts. Matches are over whole tokens, so "12" never
        matches inside "123"."""
        n = len(tokens)
        if not self._labels or not n:
            return [()] * n
        best: list[dict[str, tuple[int, str]]] = [{} for _ in range(n)]  # label -> (match length, pos)
        for i in range(n):
            acc = ""
            for j in range(i, min(n, i + self._max_tokens)):
                acc += tokens[j]
                labels = self._labels.get(acc)
                if labels is None:
                    continue
                length = j - i + 1
                for k in range(i, j + 1):
                    pos = "S" if length == 1 else ("B" if k == i else ("E" if k == j else "I"))
                    for label in labels:
                        if best[k].get(label, (0, ""))[0] < length:
                            best[k][label] = (length, pos)
        return [tuple(sorted(f"{label}|{pos}" for label, (_, pos) in marks.items())) for marks in best]

    def to_dict(self) -> dict[str, list[str]]:
        by_label: dict[str, list[str]] = {}
        for name, labels in self._labels.items():
            for label in labels:
                by_label.setdefault(label, []).append(name)
        return {label: sorted(names) for label, names in sorted(by_label.items())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]], *, min_chars: int = 2) -> Gazetteer:
        return cls(data, min_chars=min_chars)

    @classmethod
    def from_records(cls, divisions: Iterable[DivisionRecord], addresses: Iterable[AddressRecord]) -> Gazetteer:
        """The standard address library's own names and aliases: cities, districts, streets (town),
        communities, roads and compounds (poi). Door, building, unit, floor and room numbers are left to the
        CRF's features."""
        gaz = cls()
        division_labels = {"city": "city", "district": "district", "street": "town", "community": "community"}
        for d in divisions:
            label = division_labels.get(d.level)
            if label is not None:
                for name in (d.name, *d.aliases):
                    gaz.add(label, name)
        address_labels = {"road": "road", "compound": "poi"}
        for a in addresses:
            label = address_labels.get(a.level)
            if label is not None:
                for name in (a.name, *a.aliases):
                    gaz.add(label, name)
        return gaz

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[tuple[str, str]]], labels: Iterable[str]) -> Gazetteer:
        """Names of the given labels as they appear in labelled sequences."""
        wanted = set(labels)
        gaz = cls()
        for seq in sequences:
            tokens = [tok for tok, _ in seq]
            for label, start, end in bio_spans([tag for _, tag in seq]):
                if label in wanted:
                    gaz.add(label, "".join(tokens[start:end]))
        return gaz


# --------------------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Component:
    """One labelled piece of the parsed text; ``text == ParsedAddress.text[start:end]``."""

    label: str
    text: str
    start: int
    end: int


@dataclass
class ParsedAddress:
    text: str
    components: list[Component] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """Label → text of its first component."""
        out: dict[str, str] = {}
        for c in self.components:
            out.setdefault(c.label, c.text)
        return out

    def get(self, label: str) -> str | None:
        return self.as_dict().get(label)

    def address_text(self) -> str:
        """The address proper: structural components in order, without assist/redundant/otherinfo."""
        return "".join(c.text for c in self.components if c.label in _STRUCTURAL)


def clean_text(text: object) -> str:
    """Light, offset-friendly cleanup: full-width ASCII → half-width, ideographic and other spaces, control and
    format characters → one space per run, trimmed and capped at ``MAX_INPUT_CHARS``. Never raises."""
    if not isinstance(text, str):
        return ""
    out: list[str] = []
    for ch in text[:_MAX_RAW_CHARS]:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        elif ch == "\u3000":
            ch = " "
        else:
            cat = unicodedata.category(ch)
            if cat[0] in ("C", "Z"):
                ch = " "
        out.append(ch)
    s = _SPACE_RE.sub(" ", "".join(out)).strip()
    return s[:MAX_INPUT_CHARS].rstrip()


def evaluate(tagger: AddressTagger, sequences: Sequence[Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """Tag the tokens of each labelled sequence and score against its tags at the span level.

    Returns ``precision``, ``recall``, ``f1`` (micro over all spans), ``support`` (gold spans), ``macro_f1``,
    ``token_accuracy``, ``sequences`` and ``per_label`` {label: {precision, recall, f1, support}}."""
    gold = [[canon_tag(tag) for _, tag in seq] for seq in sequences]
    pred = tagger.tag_many([[tok for tok, _ in seq] for seq in sequences])
    return span_scores(gold, pred)


# --------------------------------------------------------------------------------------------------------------
# the tagger


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
        self.labels: list[str] = []  # the CRF's tags (BIO or BIOES)
        self.bio_labels: list[str] = []  # the same in BIO: the columns of the ensemble's probabilities
        self._bio_column: list[int] = []  # CRF tag index → bio_labels index
        self.train_seconds: float | None = None
        self.crf_seconds: float | None = None
        self.members: list[CharBiLSTMTagger] = []
        self._model: bytes | None = None
        self._tagger: Any = None
        self._decoder: BioDecoder | None = None
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
            from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig

            base = self.neural_config or NeuralConfig()
            marks_arg = None if gazetteer is None else [m or [] for m in mark_lists]
            self.members = [
                CharBiLSTMTagger(base.with_seed(base.seed + k)).fit(token_lists, bio_ys, marks_arg)
                for k in range(self.neural_members)
            ]
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
        self.labels = sorted(tagger.labels())
        self.bio_labels = sorted(set(bioes_to_bio(self.labels)))
        self._bio_column = [self.bio_labels.index(tag) for tag in bioes_to_bio(self.labels)]
        self._decoder = BioDecoder(self.bio_labels)

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
        neural = self._neural_proba(lists, marks)
        out: list[list[str]] = []
        w = self.neural_weight
        for tokens, m, p_nn in zip(lists, marks, neural, strict=True):
            if not tokens:
                out.append([])
                continue
            p_crf = self._crf_marginals(tokens, m)
            if self.neural_mix == "geometric":
                out.append(self._decoder.decode_scores((1.0 - w) * np.log(p_crf + EPS) + w * np.log(p_nn + EPS)))
            else:
                out.append(self._decoder.decode((1.0 - w) * p_crf + w * p_nn))
        return out

    def _crf_tag(self, tokens: Sequence[str], marks: Sequence[tuple[str, ...]] | None) -> list[str]:
        feats = token_features(tokens, marks)
        with self._lock:
            tags: list[str] = self._tagger.tag(feats)
        return bioes_to_bio(tags) if self.scheme == "bioes" else tags

    def _crf_marginals(self, tokens: Sequence[str], marks: Sequence[tuple[str, ...]] | None) -> npt.NDArray[np.float64]:
        """(tokens × BIO labels) marginal probabilities of the CRF, columns in ``self.bio_labels`` order (a
        BIOES model's S-/E- marginals added to B-/I-)."""
        feats = token_features(tokens, marks)
        with self._lock:
            self._tagger.set(feats)
            raw = np.array(
                [[self._tagger.marginal(label, i) for label in self.labels] for i in range(len(tokens))],
                dtype=np.float64,
            )
        if len(self.bio_labels) == len(self.labels):
            return raw
        out = np.zeros((len(tokens), len(self.bio_labels)))
        np.add.at(out.T, self._bio_column, raw.T)
        return out

    def _neural_proba(
        self, token_lists: Sequence[Sequence[str]], marks: Sequence[Sequence[tuple[str, ...]] | None]
    ) -> list[npt.NDArray[np.float64]]:
        """Mean BiLSTM probabilities per sequence, columns in ``self.bio_labels`` order (a tag the members
        never saw gets 0)."""
        total = [np.zeros((len(tokens), len(self.bio_labels))) for tokens in token_lists]
        column = {label: j for j, label in enumerate(self.bio_labels)}
        mark_arg = None if self.gazetteer is None else [m or [] for m in marks]
        for member in self.members:
            cols = [column.get(t, -1) for t in member.tags]
            keep = [k for k, j in enumerate(cols) if j >= 0]
            target = [cols[k] for k in keep]
            for acc, p in zip(total, member.predict_proba(token_lists, mark_arg), strict=True):
                if len(p):
                    acc[:, target] += p[:, keep]
        return [acc / len(self.members) for acc in total]

    def parse(self, text: str) -> ParsedAddress:
        """Labelled components of free text. Bad input gives an empty or partial result, never an exception."""
        if self._tagger is None:
            raise RuntimeError("AddressTagger is not trained: call fit() or load()")
        cleaned = clean_text(text)
        try:
            return ParsedAddress(cleaned, self._components(cleaned))
        except Exception:  # defensive: parsing user text must never break the caller
            log.exception("address parse failed; returning an empty result")
            return ParsedAddress(cleaned, [])

    def parse_batch(self, texts: Iterable[str]) -> list[ParsedAddress]:
        return [self.parse(text) for text in texts]

    def _components(self, text: str) -> list[Component]:
        spans = tokenize_with_spans(text)
        if not spans:
            return []
        tags = self.tag([tok for tok, _, _ in spans])
        char_labels: list[str | None] = [None] * len(text)
        for label, s, e in bio_spans(tags):
            for k in range(spans[s][1], spans[e - 1][2]):
                char_labels[k] = label
        boundaries = {0, len(text)} | {b for _, a, z in spans for b in (a, z)}
        _mark_assist(text, char_labels, boundaries)
        return _relabel_complaint(text, _runs(text, char_labels))

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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self._model)
        neural_file: str | None = None
        if self.members:
            import torch

            neural_path = _neural_file(path)
            torch.save({"members": [m.to_state() for m in self.members]}, neural_path)
            neural_file = neural_path.name
        meta = {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "feature_version": FEATURE_VERSION,
            "params": self._params(),
            "labels": self.labels,
            "train_seconds": self.train_seconds,
            "crf_seconds": self.crf_seconds,
            "neural_file": neural_file,
            "gazetteer": None
            if self.gazetteer is None
            else {"min_chars": self.gazetteer.min_chars, "names": self.gazetteer.to_dict()},
        }
        sidecar = _sidecar(path)
        sidecar.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return sidecar

    @classmethod
    def load(cls, path: str | Path) -> AddressTagger:
        """Read a model written by :meth:`save` (the model file, its JSON sidecar and the BiLSTM members)."""
        path = Path(path)
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
        params = meta.get("params", {})
        # The constructor's own parameters (what _params() wrote); the BiLSTM config comes from the members' state.
        names = inspect.signature(cls).parameters
        tagger = cls(**{k: v for k, v in params.items() if k in names and k != "neural"})
        gaz = meta.get("gazetteer")
        if gaz is not None:
            tagger.gazetteer = Gazetteer.from_dict(gaz["names"], min_chars=int(gaz.get("min_chars", 2)))
        tagger.train_seconds = meta.get("train_seconds")
        tagger.crf_seconds = meta.get("crf_seconds", tagger.train_seconds)
        tagger._open(path.read_bytes())
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
            tagger.members = [CharBiLSTMTagger.from_state(s) for s in state["members"]]
            if tagger.members:
                tagger.neural_config = tagger.members[0].config
        return tagger


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _neural_file(path: Path) -> Path:
    return path.with_name(path.name + ".neural.pt")


# --------------------------------------------------------------------------------------------------------------
# post-processing


def _runs(text: str, char_labels: Sequence[str | None]) -> list[Component]:
    """Components from per-character labels: maximal runs of one label (so adjacent pieces of the same label
    merge); white space between two pieces of one label joins them, unlabelled characters are dropped."""
    out: list[Component] = []
    i, n = 0, len(text)
    while i < n:
        label = char_labels[i]
        if label is None:
            i += 1
            continue
        j = i + 1
        while j < n:
            if char_labels[j] == label:
                j += 1
                continue
            k = j
            while k < n and char_labels[k] is None and text[k].isspace():
                k += 1
            if k < n and k > j and char_labels[k] == label:
                j = k
                continue
            break
        out.append(Component(label, text[i:j], i, j))
        i = j
    return out


def _mark_assist(text: str, char_labels: list[str | None], boundaries: set[int]) -> None:
    """Relabel assist words that follow an address component as ``assist``.

    An occurrence counts when it lies on token boundaries right after a character labelled as an address
    component (not assist, redundant or otherinfo), is not the head of a name (路口村, 门前街) and, when the
    tagger ran that component on into the word, the part before it still ends like an address element
    ("123号" of "123号门口" does, "福民" of "福民路口" does not)."""
    i, n = 0, len(text)
    while i < n:
        word = next((w for w in ASSIST_WORDS if text.startswith(w, i)), None)
        if word is None:
            i += 1
            continue
        end = i + len(word)
        prev = char_labels[i - 1] if i > 0 else None
        ok = (
            i in boundaries
            and end in boundaries
            and prev in _STRUCTURAL
            and not any(text.startswith(s, end) for s in _NAME_AFTER_ASSIST)
        )
        if ok and char_labels[i] == prev:
            start = i
            while start > 0 and char_labels[start - 1] == prev:
                start -= 1
            ok = _ends_like_address(text[start:i])
        if ok:
            for k in range(i, end):
                char_labels[k] = "assist"
            i = end
        else:
            i += 1


def _has_cue(text: str) -> bool:
    return any(cue in text for cue in _COMPLAINT_CUES)


def _ends_like_address(text: str) -> bool:
    return any(text.endswith(s) for s in SUFFIXES) or (text[-1:].isascii() and text[-1:].isalnum())


def _is_foreign(text: str) -> bool:
    if len(text) <= 2:
        return False
    return not any(ch.isdigit() or token_type(ch) in ("han", "cnnum") for ch in text)


def _relabel_complaint(text: str, comps: list[Component]) -> list[Component]:
    """Complaint text around an embedded address becomes ``redundant`` (as in the training data):

    * an address component that contains a complaint cue (了, 垃圾, 反映, 噪音 …) and does not end like an
      address element (a known suffix or a number);
    * after an assist word, any address component that does not end like an address element;
    * an address component without a Chinese character or a digit and longer than two characters ("hello").

    Adjacent components that end up with the same label are merged."""
    out: list[Component] = []
    after_assist = False
    for c in comps:
        label = c.label
        if label == "assist":
            after_assist = True
        elif label in _STRUCTURAL and (
            (not _ends_like_address(c.text) and (after_assist or _has_cue(c.text))) or _is_foreign(c.text)
        ):
            label = "redundant"
        if out and out[-1].label == label and (out[-1].end == c.start or text[out[-1].end : c.start].isspace()):
            prev = out.pop()
            c = Component(label, text[prev.start : c.end], prev.start, c.end)
        elif label != c.label:
            c = Component(label, c.text, c.start, c.end)
        out.append(c)
    return out
