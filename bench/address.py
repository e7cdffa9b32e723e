"""Standard-address engine benchmarks on the full Shenzhen demo library (~183k addresses, ~110k buildings).

    python bench/address.py [--quick] [--only NAME ...]

NAME is one of: parse, translate, grid. One JSON line per figure on stdout, progress on stderr.

* parse      span micro-F1 on NCAP dev (../shared/data/addresses; skipped with a message when absent),
             every address joined into its text and parsed as /api/addresses/parse parses it (characters
             spans, label and both ends exact), for (1) the shipped parser: the packaged model, trained on
             generated addresses only (scripts/build_address_model.py), over all labels and on
             prov/city/district, with and without the post-processing rules, and its single-core
             throughput one text at a time (parse) and batched (parse_batch, the batch route and CLI path;
             warm caches: its spans are first checked equal to parse); (2) the same CRF code trained on
             ncap_train inside this run (nothing kept; not with --quick). Anchor: cpca on prov/city/district,
             scored on the same spans, and its throughput.
* translate  accuracy @1 / @5 of AddressMatcher on 20,000 noisy variants generated from the library
             (dropped levels, aliases, typos, number formats, sentences), against a naive baseline (exact
             lookup of the normalized text among normalized full names); then single-core throughput against
             cpca.transform (which only resolves province/city/district) on the same texts.
* grid       point → grid for 1,000,000 points over the ~4,000 demo grids with GridLocator (shapely STRtree,
             vectorized) against geopandas.sjoin in the same run. Target ≥ 1.5× the anchor.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, load_note, log

BENCHES = ("parse", "translate", "grid")


def world(quick: bool) -> tuple[Any, Any]:
    from gridgov.demo.address_library import build_demo_library
    from gridgov.demo.geography import build_demo_geography

    t = time.perf_counter()
    geo = build_demo_geography(["福田区", "罗湖区"] if quick else None, 600 if quick else 4000)
    lib = build_demo_library(geo)
    log(
        f"demo geography + library: {len(geo.divisions)} divisions, {len(lib.addresses):,} addresses "
        f"({lib.counts().get('building', 0):,} buildings) in {time.perf_counter() - t:.1f}s"
    )
    return geo, lib


# --- parse ------------------------------------------------------------------------------------------------


def bench_parse(lib: Any, quick: bool) -> None:
    """The shipped parser (the packaged model, loaded and called as /api/addresses/parse does) on ncap_dev,
    scored on character spans of the parsed text, beside cpca and beside the same CRF code trained on
    ncap_train in this run (nothing kept)."""
    import tempfile

    import _address_parse as ap

    data = ap.ncap_dir()
    if not (data / "ncap_dev.txt").exists() or not (data / "ncap_train.txt").exists():
        log(f"parse: skipped — NCAP data not found in {data} (set GRIDGOV_NCAP_DIR)")
        return
    from gridgov.address.records import NCAP_LABELS
    from gridgov.address.scoring import from_sequence, score_spans
    from gridgov.address.shipped import load_tagger, packaged_model_path
    from gridgov.address.tagger import AddressTagger
    from gridgov.address.tags import read_bio_file

    dev_seqs = read_bio_file(data / "ncap_dev.txt")
    dev = [from_sequence(s) for s in dev_seqs]
    covered = ("prov", "city", "district")
    with tempfile.TemporaryDirectory() as empty_var:  # no deployment model: the packaged one serves
        shipped = load_tagger(Path(empty_var))
    if shipped is None:
        log(f"parse: skipped — no packaged model at {packaged_model_path()} (scripts/build_address_model.py)")
        return

    def spans(tagger: AddressTagger, postprocess: bool = True) -> list[list[tuple[str, int, int]]]:
        return [[(c.label, c.start, c.end) for c in tagger.parse(x.text, postprocess).components] for x in dev]

    predicted = spans(shipped)
    res = score_spans(dev, predicted)
    pcd = score_spans(dev, predicted, labels=covered)
    raw = score_spans(dev, spans(shipped, postprocess=False))
    missing = sorted(set(NCAP_LABELS) - set(res["labels_produced"]))
    log(
        f"parse: shipped parser (packaged, trained on generated addresses only) on ncap_dev through the API path: "
        f"micro F1 {res['f1']:.4f} (target ≥ 0.85), prov/city/district {pcd['f1']:.4f} (target ≥ 0.95); "
        f"without the post-processing rules {raw['f1']:.4f}; labels never produced: {missing or 'none'}"
    )
    for label, m in sorted(res["per_label"].items(), key=lambda kv: -kv[1]["support"]):
        log(f"parse:   {label:<10} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} n={int(m['support'])}")

    cpca_items = [
        from_sequence(list(zip([t for t, _ in s], tags, strict=True)))
        for s, tags in zip(dev_seqs, _cpca_tags(dev_seqs), strict=True)
    ]
    cpca_f1 = score_spans(dev, [item.spans for item in cpca_items], labels=covered)["f1"]
    log(f"parse: on prov/city/district only — cpca F1 {cpca_f1:.4f}, shipped parser {pcd['f1']:.4f}")

    texts = [item.text for item in dev]
    cpu = time.process_time()
    best = min(_timed(lambda: [shipped.parse(t) for t in texts]) for _ in range(2))
    cpu_rate = 2 * len(texts) / (time.process_time() - cpu)
    with contextlib.redirect_stdout(io.StringIO()):
        import cpca
    cpca_s = min(_timed(lambda: cpca.transform(texts)) for _ in range(2))
    # parse_batch: what /api/addresses/parse/batch and `gridgov address parse` use (same spans, checked here)
    if [[(c.label, c.start, c.end) for c in p.components] for p in shipped.parse_batch(texts)] != predicted:
        raise SystemExit("parse: parse_batch disagrees with parse on ncap_dev")
    cpu = time.process_time()
    best_batch = min(_timed(lambda: shipped.parse_batch(texts)) for _ in range(2))
    batch_cpu_rate = 2 * len(texts) / (time.process_time() - cpu)
    log(
        f"parse: one at a time {len(texts) / best:,.0f} addresses/s single core, wall clock ({cpu_rate:,.0f}/s of "
        f"CPU time); parse_batch {len(texts) / best_batch:,.0f}/s wall ({batch_cpu_rate:,.0f}/s of CPU time); "
        f"target ≥ 5,000; {load_note()}; cpca.transform {len(texts) / cpca_s:,.0f}/s"
    )

    emit("ncap_dev_f1_shipped_parser", res["f1"], "F1", "cpca_prov_city_district_f1", cpca_f1)
    emit("ncap_dev_f1_prov_city_district_shipped", pcd["f1"], "F1", "cpca_prov_city_district_f1", cpca_f1)
    emit("ncap_dev_f1_shipped_without_postprocessing", raw["f1"], "F1", "ncap_dev_f1_shipped_parser", res["f1"])
    emit("ncap_dev_labels_produced_shipped", len(res["labels_produced"]), "labels", "ncap_labels", len(NCAP_LABELS))
    emit(
        "parse_addresses_per_s", len(texts) / best, "addresses/s", "cpca_transform_addresses_per_s", len(texts) / cpca_s
    )
    emit(
        "parse_batch_addresses_per_s",
        len(texts) / best_batch,
        "addresses/s",
        "cpca_transform_addresses_per_s",
        len(texts) / cpca_s,
    )
    emit("parse_batch_addresses_per_cpu_s", batch_cpu_rate, "addresses/s", "parse_addresses_per_cpu_s", cpu_rate)
    if quick:
        return
    t = time.perf_counter()
    training: dict[str, Any] = dict(ap.NCAP_TRAINING)
    ncap_crf = AddressTagger(gazetteer_dropout=0.0, **training).fit(
        read_bio_file(data / "ncap_train.txt"), ap.division_gazetteer()
    )
    trained_spans = spans(ncap_crf)
    trained = score_spans(dev, trained_spans)
    trained_pcd = score_spans(dev, trained_spans, labels=covered)
    log(
        f"parse: the same CRF code trained on ncap_train in {time.perf_counter() - t:.0f}s: micro F1 "
        f"{trained['f1']:.4f}, prov/city/district {trained_pcd['f1']:.4f} through the same path"
    )
    emit("ncap_dev_f1_crf_trained_on_ncap_train", trained["f1"], "F1", "ncap_dev_f1_shipped_parser", res["f1"])
    emit(
        "ncap_dev_f1_prov_city_district_crf_trained_on_ncap_train",
        trained_pcd["f1"],
        "F1",
        "cpca_prov_city_district_f1",
        cpca_f1,
    )


def _cpca_tags(dev: list[list[tuple[str, str]]]) -> list[list[str]]:
    """cpca finds province/city/district names in the text; tag the tokens of the first occurrence."""
    with contextlib.redirect_stdout(io.StringIO()):
        import cpca
    texts = ["".join(tok for tok, _ in seq) for seq in dev]
    df = cpca.transform(texts)
    out: list[list[str]] = []
    for seq, (_i, row) in zip(dev, df.iterrows(), strict=True):
        toks = [tok for tok, _ in seq]
        starts, pos = [], 0
        for tok in toks:
            starts.append(pos)
            pos += len(tok)
        text = "".join(toks)
        tags = ["O"] * len(toks)
        for label, col in (("prov", "省"), ("city", "市"), ("district", "区")):
            name = row.get(col)
            if not isinstance(name, str) or not name:
                continue
            at = text.find(name)
            if at < 0:  # cpca fills in implied levels that the text does not contain
                for short in (name[:-1], name[:2]):
                    at = text.find(short) if len(short) >= 2 else -1
                    if at >= 0:
                        name = short
                        break
            if at < 0:
                continue
            inside = [i for i, s in enumerate(starts) if at <= s < at + len(name)]
            for k, i in enumerate(inside):
                if tags[i] == "O":
                    tags[i] = ("B-" if k == 0 else "I-") + label
        out.append(tags)
    return out


# --- translate --------------------------------------------------------------------------------------------


def bench_translate(lib: Any, quick: bool) -> None:
    from gridgov.address import native
    from gridgov.address.matcher import AddressMatcher
    from gridgov.address.normalize import normalize
    from gridgov.demo.variants import make_variants

    t = time.perf_counter()
    matcher = AddressMatcher.build(lib.divisions, lib.addresses)
    log(f"translate: matcher built in {time.perf_counter() - t:.1f}s")
    variants = make_variants(lib, 2000 if quick else 20000, seed=11)
    texts = [v.text for v in variants]
    at1 = at5 = 0
    results = matcher.match_batch(texts)
    for v, r in zip(variants, results, strict=True):
        codes = [c.code for c in r.candidates]
        at1 += bool(r.best and r.best.code == v.target_code)
        at5 += v.target_code in codes[:5]
    n = len(variants)
    full = {normalize(a.full_name): a.code for a in lib.addresses}
    naive1 = sum(full.get(normalize(v.text)) == v.target_code for v in variants)
    log(
        f"translate: @1 {at1 / n:.4f}  @5 {at5 / n:.4f} on {n:,} variants (target @1 ≥ 0.97); "
        f"naive exact full-name lookup @1 {naive1 / n:.4f}"
    )
    emit("translate_accuracy_at1", at1 / n, "share", "naive_exact_fullname_lookup_at1", naive1 / n)
    emit("translate_accuracy_at5", at5 / n, "share", "naive_exact_fullname_lookup_at1", naive1 / n)

    # single-core throughput, best of three passes over the same texts
    best = min(_timed(lambda: matcher.match_batch(texts)) for _ in range(3))
    with contextlib.redirect_stdout(io.StringIO()):
        import cpca
    sample = texts[: min(len(texts), 5000)]
    cpca.transform(sample[:100])  # load its dictionaries outside the timing
    cpca_s = min(_timed(lambda: cpca.transform(sample)) for _ in range(2))
    rate, cpca_rate = n / best, len(sample) / cpca_s
    build = "compiled with mypyc" if native.compiled() else "plain Python (not compiled)"
    log(
        f"translate: {rate:,.0f} addresses/s single core, matcher {build} (target ≥ 20,000); "
        f"cpca.transform {cpca_rate:,.0f}/s"
    )
    if native.compiled():  # the same matcher from its source, for the record
        source = native.source_matcher_module().AddressMatcher.build(lib.divisions, lib.addresses)
        plain = min(_timed(lambda: source.match_batch(texts)) for _ in range(2))
        log(f"translate: the same matcher as plain Python {n / plain:,.0f} addresses/s")
    emit("translate_addresses_per_s", rate, "addresses/s", "cpca_transform_addresses_per_s", cpca_rate)


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# --- point → grid -----------------------------------------------------------------------------------------


def bench_grid(geo: Any, quick: bool) -> None:
    import geopandas as gpd
    import shapely
    from shapely.geometry import shape

    from gridgov.org.spatial import GridLocator

    grids = [(i, d.geometry) for i, d in enumerate(geo.divisions) if d.level == "grid"]
    loc = GridLocator.from_rows(grids)
    n = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(5)
    polys = [shape(g) for _, g in grids]
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(polys, dtype=object))
    lons, lats = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    ours = min(_timed(lambda: loc.locate_many(lons, lats)) for _ in range(3))
    found = loc.locate_many(lons, lats)

    gdf = gpd.GeoDataFrame({"grid": [i for i, _ in grids]}, geometry=polys, crs="EPSG:4326")

    def anchor() -> Any:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
        return gpd.sjoin(pts, gdf, how="left", predicate="within")

    theirs = min(_timed(anchor) for _ in range(3))
    joined = anchor()
    joined = joined[~joined.index.duplicated(keep="first")]
    agree = float(np.mean(joined["grid"].fillna(-1).to_numpy(dtype=np.int64) == found))
    log(
        f"grid: {n:,} points: GridLocator {n / ours:,.0f}/s, geopandas.sjoin {n / theirs:,.0f}/s "
        f"({theirs / ours:.2f}×, target ≥ 1.5×); answers agree on {agree:.4%} of points"
    )
    emit("point_to_grid_points_per_s", n / ours, "points/s", "geopandas_sjoin_points_per_s", n / theirs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", action="append", choices=BENCHES)
    args = ap.parse_args(argv)
    only = set(args.only or BENCHES)
    log(load_note())
    geo, lib = world(args.quick)
    if "translate" in only:
        bench_translate(lib, args.quick)
    if "grid" in only:
        bench_grid(geo, args.quick)
    if "parse" in only:
        bench_parse(lib, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
