"""Entity resolution of person records with Splink (DuckDB by default, Spark as an optional extra).

The pipeline takes and returns pandas DataFrames (the columns are documented in `records.py`) and knows nothing of
the block-data tables: `pipeline.link` clusters a batch (optionally against the clusters of earlier runs, keeping
their ids), `golden.golden_records` chooses each cluster's fields, `explain.waterfall` explains any pair's weight,
`decisions` holds the stewards' split and merge decisions that every relink honours.

`store` (tables in `tables.py`) is the stored side over bd_person: link runs, the stewards' merge and split
services, and the clusters' golden records; `waterfall` explains two stored records; `api` and `cli` are its
entrypoints.
"""
