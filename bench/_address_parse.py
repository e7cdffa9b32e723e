"""Address-parser figures on the NCAP address-element data (shared/data/addresses, never copied into the repo).

    python bench/_address_parse.py [--data DIR] [--c1 X] [--c2 X] [--max-iterations N] [--scheme bio|bioes]
                                   [--neural-members N]

Helpers for the benchmark runner:

* ``ncap_f1_shipped(tagger)``  span-level P/R/F1 of a given (e.g. the shipped) tagger on ncap_dev.
* ``ncap_f1_trained(train_path, dev_path)``  trains a fresh ``AddressTagger`` engine (the CRF + BiLSTM ensemble,
  ``NCAP_NEURAL_MEMBERS`` BiLSTMs, weight ``NCAP_NEURAL_WEIGHT`` fixed in advance) on ncap_train inside the run
  (nothing is saved) and scores it on ncap_dev; the dict also carries ``train_seconds`` (CRF + BiLSTMs),
  ``crf_seconds`` and ``crf_only`` (the scores of the same run's CRF alone, for comparison).

The data directory defaults to ``../shared/data/addresses`` beside the repository, or ``$GRIDGOV_NCAP_DIR``.
Both helpers return the dict of ``gridgov.address.tagger.evaluate``: ``precision``, ``recall``, ``f1`` (micro over
all components), ``macro_f1``, ``token_accuracy``, ``support``, ``sequences`` and ``per_label``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from gridgov.address.cn_divisions import jionlp_dictionary
from gridgov.address.gazetteer import Gazetteer
from gridgov.address.tagger import AddressTagger, evaluate
from gridgov.address.tags import read_bio_file

# Published BERT figure on this specification (span-level micro F1 on dev).
ANCHOR_BERT_F1 = 0.90
# The engine trained in the run: CRF marginals and the mean of this many BiLSTMs, mixed with this weight (fixed in
# advance, never fitted on dev), decoded by BIO-constrained Viterbi.
NCAP_NEURAL_MEMBERS = 2
NCAP_NEURAL_WEIGHT = 0.5
NCAP_NEURAL_MIX = "linear"

# Training settings of the engine for ncap_train, chosen on a held-out 10 % of ncap_train (seed 11; the CRF
# trained on the other 90 %), never on dev. Held-out span F1: BIO c1/c2 0.02/0.02 0.8832, 0.05/0.02 0.8839,
# 0.02/0.05 0.8883, 0.02/0.1 0.8855, 0.05/0.1 0.8863, 0.1/0.1 0.8846, 0.1/0.01 0.8822, 0.01/0.1 0.8860;
# BIOES 0.02/0.02 0.8864, 0.02/0.05 0.8869, 0.05/0.1 0.8899 (best), 0.05/0.2 0.8890.
NCAP_TRAINING = {"scheme": "bioes", "c1": 0.05, "c2": 0.1}


def ncap_dir() -> Path:
    env = os.environ.get("GRIDGOV_NCAP_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "addresses"


_DIVISION_LEVELS = ("prov", "city", "district", "town", "community")
_SHORT_SUFFIX = re.compile(r"(街道办事处|街道|镇|乡|社区居委会|居委会|村委会|社区|村)$")


def division_gazetteer(levels: tuple[str, ...] = _DIVISION_LEVELS) -> Gazetteer:
    """Names of China's divisions (province … village, with short forms) from jionlp's bundled
    china_location.txt, a dependency of the project: knowledge from a package, not from the NCAP data.

    The file is a tab-indented tree: depth 0 province, 1 city, 2 district, 3 town, 4 community/village;
    the first three levels carry "name<TAB>code<TAB>short name"."""
    path = jionlp_dictionary() / "china_location.txt"
    gaz = Gazetteer()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            depth = len(line) - len(line.lstrip("\t"))
            if depth >= len(_DIVISION_LEVELS) or _DIVISION_LEVELS[depth] not in levels:
                continue
            label = _DIVISION_LEVELS[depth]
            parts = line.strip().split("\t")
            gaz.add(label, parts[0])
            if len(parts) >= 3 and parts[2]:
                gaz.add(label, parts[2])
            if label in ("town", "community"):
                short = _SHORT_SUFFIX.sub("", parts[0])
                if len(short) >= 2 and short != parts[0]:
                    gaz.add(label, short)
    return gaz


def ncap_f1_shipped(tagger: AddressTagger, dev_path: str | Path | None = None) -> dict[str, Any]:
    """Score an already trained tagger on ncap_dev."""
    dev = read_bio_file(dev_path or ncap_dir() / "ncap_dev.txt")
    t0 = time.perf_counter()
    result = evaluate(tagger, dev)
    result["eval_seconds"] = time.perf_counter() - t0
    return result


def ncap_f1_trained(
    train_path: str | Path | None = None,
    dev_path: str | Path | None = None,
    *,
    gazetteer: bool = True,
    neural_members: int = NCAP_NEURAL_MEMBERS,
    neural_weight: float = NCAP_NEURAL_WEIGHT,
    neural_mix: str = NCAP_NEURAL_MIX,
    **params: Any,
) -> dict[str, Any]:
    """Train a fresh engine on ncap_train (in memory, nothing saved) and score it on ncap_dev. With
    ``gazetteer`` the engine also sees jionlp's division names (:func:`division_gazetteer`); its build time is
    reported apart (``gazetteer_seconds``) from the training time. ``crf_only`` holds the scores of the same
    run's CRF without the BiLSTM members (``neural_members=0`` trains the CRF alone)."""
    train = read_bio_file(train_path or ncap_dir() / "ncap_train.txt")
    dev = read_bio_file(dev_path or ncap_dir() / "ncap_dev.txt")
    skipped = None
    if neural_members and importlib.util.find_spec("torch") is None:
        skipped = "torch is not installed (pip install -e '.[neural]'): the CRF alone is trained"
        neural_members = 0
    tagger = AddressTagger(
        **{
            "gazetteer_dropout": 0.0,
            **NCAP_TRAINING,
            "neural_members": neural_members,
            "neural_weight": neural_weight,
            "neural_mix": neural_mix,
            **params,
        }
    )
    t0 = time.perf_counter()
    gaz = division_gazetteer() if gazetteer else None
    gaz_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    tagger.fit(train, gaz)
    fit_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = evaluate(tagger, dev)
    result["eval_seconds"] = time.perf_counter() - t1
    crf_only = evaluate(tagger.crf_only(), dev) if tagger.is_ensemble else result
    result["crf_only"] = {k: crf_only[k] for k in ("precision", "recall", "f1", "macro_f1", "token_accuracy")}
    result["train_seconds"] = fit_seconds
    result["neural_skipped"] = skipped
    result["crf_seconds"] = tagger.crf_seconds
    result["neural_seconds"] = [m.train_seconds for m in tagger.members]
    result["neural_epochs"] = [(m.best_epoch, m.epochs_run) for m in tagger.members]
    result["gazetteer_seconds"] = gaz_seconds
    result["gazetteer_names"] = len(gaz) if gaz is not None else 0
    result["train_sequences"] = len(train)
    result["params"] = {
        "c1": tagger.c1,
        "c2": tagger.c2,
        "max_iterations": tagger.max_iterations,
        "scheme": tagger.scheme,
        "min_freq": tagger.min_freq,
        "gazetteer": gazetteer,
        "neural_members": len(tagger.members),
        "neural_weight": tagger.neural_weight,
        "neural_mix": tagger.neural_mix,
        "neural": tagger.members[0].config.to_dict() if tagger.members else None,
    }
    return result


def format_report(result: dict[str, Any]) -> str:
    lines = [
        f"micro P/R/F1 {result['precision']:.4f} / {result['recall']:.4f} / {result['f1']:.4f}   "
        f"macro F1 {result['macro_f1']:.4f}   token acc {result['token_accuracy']:.4f}   "
        f"spans {int(result['support'])}",
    ]
    for label, m in sorted(result["per_label"].items(), key=lambda kv: -kv[1]["support"]):
        lines.append(
            f"  {label:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  n={int(m['support'])}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--c1", type=float, default=None)
    ap.add_argument("--c2", type=float, default=None)
    ap.add_argument("--max-iterations", type=int, default=None)
    ap.add_argument("--scheme", choices=("bio", "bioes"), default=None)
    ap.add_argument("--neural-members", type=int, default=NCAP_NEURAL_MEMBERS, help="BiLSTMs beside the CRF")
    ap.add_argument("--no-gazetteer", action="store_true", help="character features only")
    args = ap.parse_args(argv)
    data = args.data or ncap_dir()
    params = {
        k: v
        for k, v in (
            ("c1", args.c1),
            ("c2", args.c2),
            ("max_iterations", args.max_iterations),
            ("scheme", args.scheme),
        )
        if v is not None
    }
    result = ncap_f1_trained(
        data / "ncap_train.txt",
        data / "ncap_dev.txt",
        gazetteer=not args.no_gazetteer,
        neural_members=args.neural_members,
        **params,
    )
    print(format_report(result), file=sys.stderr)
    print(
        f"train {result['train_seconds']:.1f}s (CRF {result['crf_seconds']:.1f}s, BiLSTMs "
        f"{', '.join(f'{s:.1f}s' for s in result['neural_seconds']) or '-'}) on {result['train_sequences']} "
        f"addresses, eval {result['eval_seconds']:.1f}s; CRF alone F1 {result['crf_only']['f1']:.4f}",
        file=sys.stderr,
    )
    suffix = "_nogaz" if args.no_gazetteer else ""
    engine = "crf" if not result["neural_seconds"] else f"crf_bilstm{len(result['neural_seconds'])}"
    lines = [
        (f"ncap_dev_span_f1_trained_{engine}{suffix}", round(result["f1"], 4), "F1", "published BERT", ANCHOR_BERT_F1),
        (
            f"ncap_dev_span_f1_crf_trained{suffix}",
            round(result["crf_only"]["f1"], 4),
            "F1",
            "published BERT",
            ANCHOR_BERT_F1,
        ),
        (
            f"ncap_train_seconds_{engine}{suffix}",
            round(result["train_seconds"], 1),
            "s",
            "crf_only_train_seconds",
            round(result["crf_seconds"], 1),
        ),
    ]
    for metric, value, unit, anchor, anchor_value in lines:
        print(
            json.dumps(
                {"metric": metric, "value": value, "unit": unit, "anchor": anchor, "anchor_value": anchor_value},
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
