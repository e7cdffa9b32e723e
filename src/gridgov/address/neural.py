"""Character BiLSTM address tagger (torch), the neural half of the :class:`~gridgov.address.tagger.AddressTagger`
ensemble.

Each token is fed as the embedding of its normalised form (as in the CRF features), the embeddings of the
character bigrams ending and starting at it, and a multi-hot vector of its gazetteer marks ("road|B", …). A
stacked bidirectional LSTM and a linear layer give per-token tag scores; :meth:`CharBiLSTMTagger.predict_proba`
returns their softmax.

:meth:`CharBiLSTMTagger.fit` holds out a seeded slice of the training sequences, trains with Adam on the rest
(unigram dropout to the unknown index, gradient clipping), scores the held-out slice after each epoch
(span-level micro F1 of the arg-max tags) and keeps the weights of the best epoch, stopping early after
``patience`` epochs without improvement. All randomness comes from the configured seed; the global torch RNG is
left as it was.

Persistence is a plain dict (configuration, vocabularies as lists of strings, tag list, state dict) for
``torch.save`` and a ``weights_only`` ``torch.load``: no pickled objects.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from gridgov.address.features import norm_token
from gridgov.address.tags import span_scores

__all__ = ["CharBiLSTMTagger", "NeuralConfig"]

STATE_FORMAT = "gridgov-address-bilstm"
STATE_VERSION = 1
_PAD, _UNK = 0, 1
_BOS, _EOS = "<S>", "</S>"
Marks = Sequence[Sequence[str]]


@dataclass(frozen=True)
class NeuralConfig:
    """Size and training schedule of one BiLSTM."""

    unigram_dim: int = 128
    bigram_dim: int = 64
    hidden: int = 160
    layers: int = 2
    dropout: float = 0.3
    max_epochs: int = 15
    patience: int = 4
    held_out: float = 0.1
    batch_size: int = 32
    lr: float = 2e-3
    clip: float = 5.0
    unk_dropout: float = 0.05
    min_bigram_count: int = 2
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeuralConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_seed(self, seed: int) -> NeuralConfig:
        return replace(self, seed=seed)


class _Net(nn.Module):  # type: ignore[misc, unused-ignore]  # nn.Module is Any when torch is absent
    def __init__(self, n_unigrams: int, n_bigrams: int, n_marks: int, n_tags: int, cfg: NeuralConfig) -> None:
        super().__init__()
        self.unigram = nn.Embedding(n_unigrams, cfg.unigram_dim, padding_idx=_PAD)
        self.bigram = nn.Embedding(n_bigrams, cfg.bigram_dim, padding_idx=_PAD)
        self.lstm = nn.LSTM(
            cfg.unigram_dim + 2 * cfg.bigram_dim + n_marks,
            cfg.hidden,
            num_layers=cfg.layers,
            bidirectional=True,
            batch_first=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(2 * cfg.hidden, n_tags)

    def forward(self, batch: _Batch) -> torch.Tensor:
        x = torch.cat(
            [self.unigram(batch.unigrams), self.bigram(batch.left), self.bigram(batch.right), batch.marks], dim=-1
        )
        packed = pack_padded_sequence(self.drop(x), batch.lengths, batch_first=True, enforce_sorted=False)
        hidden, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(hidden, batch_first=True, total_length=x.shape[1])
        logits: torch.Tensor = self.out(self.drop(out))
        return logits


@dataclass(frozen=True)
class _Encoded:
    unigrams: torch.Tensor  # (n,) long
    left: torch.Tensor  # (n,) long: bigram ending at the token
    right: torch.Tensor  # (n,) long: bigram starting at the token
    marks: torch.Tensor  # (n, n_marks) float


@dataclass(frozen=True)
class _Batch:
    unigrams: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor
    marks: torch.Tensor
    lengths: torch.Tensor

    @classmethod
    def of(cls, items: Sequence[_Encoded]) -> _Batch:
        return cls(
            unigrams=pad_sequence([e.unigrams for e in items], batch_first=True, padding_value=_PAD),
            left=pad_sequence([e.left for e in items], batch_first=True, padding_value=_PAD),
            right=pad_sequence([e.right for e in items], batch_first=True, padding_value=_PAD),
            marks=pad_sequence([e.marks for e in items], batch_first=True),
            lengths=torch.tensor([len(e.unigrams) for e in items], dtype=torch.long),
        )


def _bigrams(norm: Sequence[str]) -> list[str]:
    """The n+1 bigrams of a normalised token sequence, from (<S>, t0) to (t_{n-1}, </S>)."""
    padded = [_BOS, *norm, _EOS]
    return [a + "\x1f" + b for a, b in itertools.pairwise(padded)]


class CharBiLSTMTagger:
    """BiLSTM tagger over NCAP tokens. ``fit`` it on (tokens, gazetteer marks, tags) triples, then
    ``predict_proba``; ``tags`` gives the column order of the returned arrays."""

    def __init__(self, config: NeuralConfig | None = None) -> None:
        self.config = config or NeuralConfig()
        self.tags: list[str] = []
        self.unigrams: list[str] = []
        self.bigrams: list[str] = []
        self.marks: list[str] = []
        self.train_seconds: float | None = None
        self.epochs_run = 0
        self.best_epoch = 0
        self.best_held_out_f1: float | None = None
        self._uni: dict[str, int] = {}
        self._bi: dict[str, int] = {}
        self._mark: dict[str, int] = {}
        self._net: _Net | None = None

    @property
    def trained(self) -> bool:
        return self._net is not None

    # -- vocabularies and encoding ---------------------------------------------------------------------------

    def _build_vocabularies(self, token_lists: Sequence[Sequence[str]], marks: Sequence[Marks]) -> None:
        uni: Counter[str] = Counter()
        bi: Counter[str] = Counter()
        seen_marks: set[str] = set()
        for tokens, seq_marks in zip(token_lists, marks, strict=True):
            norm = [norm_token(t) for t in tokens]
            uni.update(norm)
            bi.update(_bigrams(norm))
            for token_marks in seq_marks:
                seen_marks.update(token_marks)
        self.unigrams = sorted(uni)
        self.bigrams = sorted(b for b, c in bi.items() if c >= self.config.min_bigram_count)
        self.marks = sorted(seen_marks)
        self._index_vocabularies()

    def _index_vocabularies(self) -> None:
        self._uni = {w: i + 2 for i, w in enumerate(self.unigrams)}
        self._bi = {w: i + 2 for i, w in enumerate(self.bigrams)}
        self._mark = {m: i for i, m in enumerate(self.marks)}

    def _encode(self, tokens: Sequence[str], marks: Marks | None) -> _Encoded:
        norm = [norm_token(t) for t in tokens]
        bigram_ids = [self._bi.get(b, _UNK) for b in _bigrams(norm)]
        multi_hot = torch.zeros(len(tokens), len(self.marks))
        if marks is not None:
            for i, token_marks in enumerate(marks):
                for m in token_marks:
                    k = self._mark.get(m)
                    if k is not None:
                        multi_hot[i, k] = 1.0
        return _Encoded(
            unigrams=torch.tensor([self._uni.get(w, _UNK) for w in norm], dtype=torch.long),
            left=torch.tensor(bigram_ids[:-1], dtype=torch.long),
            right=torch.tensor(bigram_ids[1:], dtype=torch.long),
            marks=multi_hot,
        )

    def _new_net(self) -> _Net:
        return _Net(len(self.unigrams) + 2, len(self.bigrams) + 2, len(self.marks), len(self.tags), self.config)

    # -- training ------------------------------------------------------------------------------------------

    def fit(
        self,
        token_lists: Sequence[Sequence[str]],
        tag_lists: Sequence[Sequence[str]],
        marks: Sequence[Marks] | None = None,
    ) -> CharBiLSTMTagger:
        """Train on token sequences with their BIO tags and (optionally) per-token gazetteer marks."""
        cfg = self.config
        pairs = [(list(t), list(y)) for t, y in zip(token_lists, tag_lists, strict=True) if t]
        if not pairs:
            raise ValueError("no training sequences")
        mark_lists: list[Marks] = (
            [m for t, m in zip(token_lists, marks, strict=True) if t] if marks is not None else [[] for _ in pairs]
        )
        t0 = time.perf_counter()
        rng = random.Random(cfg.seed)
        order = list(range(len(pairs)))
        rng.shuffle(order)
        n_held = int(len(pairs) * cfg.held_out) if len(pairs) >= 20 else 0
        held, train = order[:n_held], order[n_held:]

        self.tags = sorted({tag for _, tags in pairs for tag in tags})
        tag_index = {t: i for i, t in enumerate(self.tags)}
        self._build_vocabularies([pairs[i][0] for i in train], [mark_lists[i] for i in train])
        encoded = [self._encode(tokens, m or None) for (tokens, _), m in zip(pairs, mark_lists, strict=True)]
        targets = [torch.tensor([tag_index[t] for t in tags], dtype=torch.long) for _, tags in pairs]

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            net = self._new_net()
            self._net = net
            optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
            loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
            best_f1, best_state, stale = -1.0, _copy_state(net), 0
            for epoch in range(1, cfg.max_epochs + 1):
                net.train()
                for batch_ids in _length_buckets(train, [len(pairs[i][0]) for i in range(len(pairs))], cfg, rng):
                    batch = _Batch.of([encoded[i] for i in batch_ids])
                    if cfg.unk_dropout > 0:
                        hide = (torch.rand(batch.unigrams.shape) < cfg.unk_dropout) & (batch.unigrams != _PAD)
                        batch = replace(batch, unigrams=batch.unigrams.masked_fill(hide, _UNK))
                    gold = pad_sequence([targets[i] for i in batch_ids], batch_first=True, padding_value=-100)
                    logits = net(batch)
                    loss = loss_fn(logits.reshape(-1, len(self.tags)), gold.reshape(-1))
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(net.parameters(), cfg.clip)
                    optimizer.step()
                self.epochs_run = epoch
                if not held:
                    best_state, self.best_epoch = _copy_state(net), epoch
                    continue
                probs = self._predict_encoded([encoded[i] for i in held])
                pred = [[self.tags[k] for k in p.argmax(axis=1)] for p in probs]
                f1 = float(span_scores([pairs[i][1] for i in held], pred)["f1"])
                if f1 > best_f1:
                    best_f1, best_state, stale, self.best_epoch = f1, _copy_state(net), 0, epoch
                else:
                    stale += 1
                    if stale >= cfg.patience:
                        break
            net.load_state_dict(best_state)
            net.eval()
        self.best_held_out_f1 = best_f1 if held else None
        self.train_seconds = time.perf_counter() - t0
        return self

    # -- prediction ----------------------------------------------------------------------------------------

    def predict_proba(
        self, token_lists: Sequence[Sequence[str]], marks: Sequence[Marks] | None = None, *, batch_size: int = 256
    ) -> list[npt.NDArray[np.float32]]:
        """Per sequence, a (tokens × tags) array of tag probabilities, columns in ``self.tags`` order."""
        if self._net is None:
            raise RuntimeError("CharBiLSTMTagger is not trained: call fit() or from_state()")
        mark_lists: Sequence[Marks | None] = marks if marks is not None else [None] * len(token_lists)
        out: list[npt.NDArray[np.float32]] = [np.zeros((0, len(self.tags)), dtype=np.float32)] * len(token_lists)
        nonempty = [i for i, t in enumerate(token_lists) if len(t)]
        encoded = [self._encode(token_lists[i], mark_lists[i]) for i in nonempty]
        for i, p in zip(nonempty, self._predict_encoded(encoded, batch_size), strict=True):
            out[i] = p
        return out

    def _predict_encoded(self, encoded: Sequence[_Encoded], batch_size: int = 256) -> list[npt.NDArray[np.float32]]:
        assert self._net is not None
        net = self._net
        was_training = net.training
        net.eval()
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].unigrams))
        out: list[npt.NDArray[np.float32]] = [np.zeros((0, 0), dtype=np.float32)] * len(encoded)
        with torch.inference_mode():
            for k in range(0, len(order), batch_size):
                ids = order[k : k + batch_size]
                probs = torch.softmax(net(_Batch.of([encoded[i] for i in ids])), dim=-1).numpy()
                for row, i in enumerate(ids):
                    out[i] = probs[row, : len(encoded[i].unigrams)].astype(np.float32, copy=True)
        net.train(was_training)
        return out

    # -- persistence ---------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Plain dict (numbers, strings, lists, tensors) for ``torch.save``."""
        if self._net is None:
            raise RuntimeError("CharBiLSTMTagger is not trained: nothing to save")
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "config": self.config.to_dict(),
            "tags": list(self.tags),
            "unigrams": list(self.unigrams),
            "bigrams": list(self.bigrams),
            "marks": list(self.marks),
            "train_seconds": self.train_seconds,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "weights": _copy_state(self._net),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> CharBiLSTMTagger:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} state")
        tagger = cls(NeuralConfig.from_dict(state["config"]))
        tagger.tags = list(state["tags"])
        tagger.unigrams = list(state["unigrams"])
        tagger.bigrams = list(state["bigrams"])
        tagger.marks = list(state["marks"])
        tagger.train_seconds = state.get("train_seconds")
        tagger.epochs_run = int(state.get("epochs_run", 0))
        tagger.best_epoch = int(state.get("best_epoch", 0))
        tagger._index_vocabularies()
        net = tagger._new_net()
        net.load_state_dict(state["weights"])
        net.eval()
        tagger._net = net
        return tagger

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.to_state(), path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> CharBiLSTMTagger:
        return cls.from_state(torch.load(path, weights_only=True))


def _copy_state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def _length_buckets(
    ids: Sequence[int], lengths: Sequence[int], cfg: NeuralConfig, rng: random.Random
) -> Iterator[list[int]]:
    """Batches of sequences of similar length (sorted with a little jitter), in random order."""
    ordered = sorted(ids, key=lambda i: lengths[i] + rng.random() * 4)
    batches = [ordered[k : k + cfg.batch_size] for k in range(0, len(ordered), cfg.batch_size)]
    rng.shuffle(batches)
    yield from batches
