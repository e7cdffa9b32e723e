"""Address parser, neural half: the char BiLSTM tagger, the CRF + BiLSTM ensemble inside ``AddressTagger`` and
BIO-constrained decoding. Tiny models on generated text only; nothing here reads the third-party datasets."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the optional neural extra is not installed (pip install -e '.[neural]')")

from gridgov.address.decode import BioDecoder, is_legal_bio
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.neural import CharBiLSTMTagger, NeuralConfig
from gridgov.address.tagger import AddressTagger
from gridgov.address.tags import span_scores
from gridgov.demo.address_library import DemoLibrary, build_demo_library
from gridgov.demo.geography import DemoGeography
from gridgov.demo.variants import labelled_sequences

TINY = NeuralConfig(unigram_dim=16, bigram_dim=8, hidden=24, layers=1, dropout=0.1, max_epochs=12, patience=3, lr=1e-2)

_HAN = "福民华强新田景深南海东西中北金银山水龙岗安宁和平光明"


def _synthetic(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """Road name + 路, door number + 号, optional compound + 小区/花园, optional building + 栋."""
    rng = random.Random(seed)
    out: list[list[tuple[str, str]]] = []
    for _ in range(n):
        seq: list[tuple[str, str]] = []

        def span(label: str, tokens: list[str], seq: list[tuple[str, str]] = seq) -> None:
            seq.extend((t, ("B-" if k == 0 else "I-") + label) for k, t in enumerate(tokens))

        span("road", [*rng.sample(_HAN, rng.randint(2, 3)), "路"])
        span("roadno", [str(rng.randint(1, 999)), "号"])
        if rng.random() < 0.7:
            span("poi", [*rng.sample(_HAN, rng.randint(2, 4)), *rng.choice((["小", "区"], ["花", "园"]))])
        if rng.random() < 0.5:
            span("houseno", [str(rng.randint(1, 40)), "栋"])
        out.append(seq)
    return out


def _split(seqs: list[list[tuple[str, str]]]) -> tuple[list[list[str]], list[list[str]]]:
    return [[t for t, _ in s] for s in seqs], [[y for _, y in s] for s in seqs]


def test_bilstm_learns_a_small_task() -> None:
    tokens, tags = _split(_synthetic(240, seed=1))
    model = CharBiLSTMTagger(TINY).fit(tokens, tags)
    assert model.trained and 1 <= model.best_epoch <= model.epochs_run <= TINY.max_epochs
    assert model.best_held_out_f1 is not None and model.best_held_out_f1 > 0.9
    test_tokens, test_tags = _split(_synthetic(60, seed=2))
    probs = model.predict_proba(test_tokens)
    assert [p.shape for p in probs] == [(len(t), len(model.tags)) for t in test_tokens]
    assert all(np.allclose(p.sum(axis=1), 1.0, atol=1e-5) for p in probs)
    decoder = BioDecoder(model.tags)
    assert span_scores(test_tags, [decoder.decode(p) for p in probs])["f1"] > 0.9


def test_bilstm_is_seeded_and_round_trips(tmp_path: Path) -> None:
    tokens, tags = _split(_synthetic(60, seed=3))
    cfg = NeuralConfig(unigram_dim=8, bigram_dim=4, hidden=8, layers=1, max_epochs=2)
    a = CharBiLSTMTagger(cfg).fit(tokens, tags)
    b = CharBiLSTMTagger(cfg).fit(tokens, tags)
    probe = [*tokens[:5], ["未", "知", "X"], []]
    for pa, pb in zip(a.predict_proba(probe), b.predict_proba(probe), strict=True):
        assert np.array_equal(pa, pb)
    loaded = CharBiLSTMTagger.load(a.save(tmp_path / "m.pt"))
    assert loaded.tags == a.tags and loaded.config == a.config
    for pa, pl in zip(a.predict_proba(probe), loaded.predict_proba(probe), strict=True):
        assert np.array_equal(pa, pl)


@pytest.fixture(scope="module")
def library(geography: DemoGeography) -> DemoLibrary:
    return build_demo_library(geography, buildings_per_community=40)


@pytest.fixture(scope="module")
def ensemble(library: DemoLibrary) -> AddressTagger:
    train = labelled_sequences(library, 200, seed=7)
    gaz = Gazetteer.from_records(library.divisions, library.addresses)
    small = NeuralConfig(unigram_dim=16, bigram_dim=8, hidden=16, layers=1, max_epochs=3)
    return AddressTagger(max_iterations=30, neural_members=2, neural=small).fit(train, gaz)


def test_ensemble_tags_legal_bio_of_the_scheme(library: DemoLibrary, ensemble: AddressTagger) -> None:
    assert ensemble.is_ensemble and len(ensemble.members) == 2
    assert [m.config.seed for m in ensemble.members] == [0, 1]
    texts = [*("".join(t for t, _ in s) for s in labelled_sequences(library, 30, seed=11)), "福民路口垃圾堆了三天"]
    for tags in ensemble.tag_many([list(t) for t in texts]):
        assert is_legal_bio(tags)
        assert all(t == "O" or t in ensemble.bio_labels for t in tags)
    assert ensemble.tag([]) == []
    assert ensemble.parse("").components == []


def test_ensemble_save_load_round_trip(tmp_path: Path, library: DemoLibrary, ensemble: AddressTagger) -> None:
    path = tmp_path / "m.crfsuite"
    ensemble.save(path)
    assert (tmp_path / "m.crfsuite.neural.pt").exists()
    loaded = AddressTagger.load(path)
    assert loaded.is_ensemble and len(loaded.members) == 2
    assert (loaded.neural_weight, loaded.labels) == (ensemble.neural_weight, ensemble.labels)
    seqs = [[t for t, _ in s] for s in labelled_sequences(library, 40, seed=12)]
    assert loaded.tag_many(seqs) == ensemble.tag_many(seqs)
    assert [loaded.tag(s) for s in seqs[:5]] == [ensemble.tag(s) for s in seqs[:5]]
    text = "广东省深圳市福田区福民路123号门口垃圾堆了三天"
    assert loaded.parse(text) == ensemble.parse(text)


def test_crf_only_view_is_the_plain_crf(library: DemoLibrary, ensemble: AddressTagger, tmp_path: Path) -> None:
    crf = ensemble.crf_only()
    assert not crf.is_ensemble
    seqs = [[t for t, _ in s] for s in labelled_sequences(library, 20, seed=13)]
    tags = crf.tag_many(seqs)
    crf.save(tmp_path / "crf.crfsuite")
    assert not (tmp_path / "crf.crfsuite.neural.pt").exists()
    assert AddressTagger.load(tmp_path / "crf.crfsuite").tag_many(seqs) == tags


def test_geometric_mix_is_legal_and_round_trips(tmp_path: Path, library: DemoLibrary, ensemble: AddressTagger) -> None:
    ensemble.save(tmp_path / "m.crfsuite")
    geometric = AddressTagger.load(tmp_path / "m.crfsuite")
    geometric.neural_mix = "geometric"
    geometric.save(tmp_path / "g.crfsuite")
    loaded = AddressTagger.load(tmp_path / "g.crfsuite")
    assert loaded.neural_mix == "geometric"
    seqs = [[t for t, _ in s] for s in labelled_sequences(library, 30, seed=14)]
    tags = loaded.tag_many(seqs)
    assert tags == geometric.tag_many(seqs)
    assert all(is_legal_bio(t) for t in tags)
    with pytest.raises(ValueError):
        AddressTagger(neural_mix="max")


def test_bioes_crf_in_the_ensemble(tmp_path: Path, library: DemoLibrary) -> None:
    """A BIOES CRF's marginals are folded into BIO before the mix; the members learn BIO."""
    train = labelled_sequences(library, 200, seed=7)
    gaz = Gazetteer.from_records(library.divisions, library.addresses)
    small = NeuralConfig(unigram_dim=16, bigram_dim=8, hidden=16, layers=1, max_epochs=3)
    tagger = AddressTagger(max_iterations=30, neural_members=1, neural=small, scheme="bioes").fit(train, gaz)
    assert any(t.startswith(("E-", "S-")) for t in tagger.labels)
    assert not any(t.startswith(("E-", "S-")) for t in tagger.bio_labels)
    assert all(not t.startswith(("E-", "S-")) for t in tagger.members[0].tags)
    seqs = [[t for t, _ in s] for s in labelled_sequences(library, 40, seed=14)]
    probs = tagger._crf_marginals(seqs[0], tagger._gaz_marks(seqs[0], tagger.gazetteer))
    assert probs.shape == (len(seqs[0]), len(tagger.bio_labels))
    assert np.allclose(probs.sum(axis=1), 1.0)
    tags = tagger.tag_many(seqs)
    assert all(is_legal_bio(t) for t in tags)
    assert span_scores([[y for _, y in s] for s in labelled_sequences(library, 40, seed=14)], tags)["f1"] > 0.8
    tagger.save(tmp_path / "b.crfsuite")
    loaded = AddressTagger.load(tmp_path / "b.crfsuite")
    assert loaded.scheme == "bioes" and loaded.tag_many(seqs) == tags


def test_loading_an_ensemble_without_torch_says_what_to_install(
    tmp_path: Path, ensemble: AddressTagger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensemble.save(tmp_path / "m.crfsuite")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(RuntimeError, match=r"need torch: pip install -e '\.\[neural\]'"):
        AddressTagger.load(tmp_path / "m.crfsuite")
