"""Build the address parser that ships in the package: src/gridgov/address/data/address_crf.crfsuite (+ .json).

    .venv/bin/python scripts/build_address_model.py [--sequences N]

The CRF of gridgov.address.training, trained on addresses generated from the national division file
(scripts/build_cn_gazetteer.py) and the names of the Shenzhen demo library (gridgov.demo, built from the packaged
division data); no third-party address data. Deterministic for a given N. `make parser` runs it (after the division file). Run it again after changing the
generator, its word lists, the features or the division file; `make test` and `make run` only load the result.
"""

from __future__ import annotations

import argparse
import time

from gridgov.address.shipped import packaged_model_path
from gridgov.address.training import DEFAULT_SEQUENCES
from gridgov.demo.address_library import build_demo_library
from gridgov.demo.geography import build_demo_geography
from gridgov.demo.parser_training import train_shipped_tagger


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=DEFAULT_SEQUENCES)
    args = ap.parse_args()
    t = time.perf_counter()
    lib = build_demo_library(build_demo_geography(None, 4000))
    print(f"demo library: {len(lib.addresses):,} addresses in {time.perf_counter() - t:.0f}s", flush=True)
    t = time.perf_counter()
    tagger = train_shipped_tagger(lib, args.sequences)
    path = packaged_model_path()
    tagger.save(path)
    print(f"{path}: {path.stat().st_size:,} bytes, trained in {time.perf_counter() - t:.0f}s on {args.sequences:,}")


if __name__ == "__main__":
    main()
