"""Integration: the same pipeline on Splink's Spark backend (local[2]). Skips with a message when the optional
`spark` extra (pyspark) or a Java runtime is missing; takes about half a minute when they are there."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from gridgov.blockdata.linkage import engine, pipeline


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark (apt-get install openjdk-17-jre-headless)")
    from splink.backends.spark import similarity_jar_location

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("gridgov-linkage-test")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setCheckpointDir(str(os.path.join(os.environ.get("TMPDIR", "/tmp"), "gridgov-spark-ckpt")))
    yield session
    session.stop()


def test_spark_backend_links_like_duckdb(people: pd.DataFrame, spark: Any) -> None:
    batch = people[people["person"] < 150].drop(columns="person")
    on_duckdb = pipeline.link(batch)
    on_spark = pipeline.link(batch, trained=on_duckdb.model, runner=engine.Engine(spark=spark))
    duck = on_duckdb.clusters.set_index("record_id")["cluster_id"]
    sparked = on_spark.clusters.set_index("record_id")["cluster_id"].reindex(duck.index)
    assert (duck == sparked).all()
    assert len(on_spark.edges) == len(on_duckdb.edges) > 0
