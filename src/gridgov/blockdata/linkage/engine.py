"""Splink runs: a backend per run (DuckDB in memory by default, Spark when given a session), training, scoring of
all pairs, of a new batch against earlier records, and of any one pair."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from splink import Linker
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.splink_dataframe import SplinkDataFrame

from gridgov.blockdata.linkage import model as person_model
from gridgov.blockdata.linkage.records import with_none

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Backend = Literal["duckdb", "spark"]
Frames = pd.DataFrame | Sequence[pd.DataFrame]
EDGE_COLUMNS = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
_QUIET = logging.WARNING  # Splink logs every step at INFO
log = logging.getLogger(__name__)


class Engine:
    """Where Splink runs: `Engine()` is DuckDB in memory; `Engine(spark=session)` is Splink's Spark backend."""

    def __init__(self, spark: SparkSession | None = None) -> None:
        self.spark = spark

    @property
    def backend(self) -> Backend:
        return "duckdb" if self.spark is None else "spark"

    def api(self) -> DatabaseAPISubClass:
        if self.spark is None:
            from splink import DuckDBAPI

            return DuckDBAPI()
        from splink import SparkAPI

        return SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]

    def register(self, api: DatabaseAPISubClass, frame: pd.DataFrame, name: str) -> SplinkDataFrame:
        table: Any = frame
        if self.spark is not None:
            table = self.spark.createDataFrame(with_none(frame))
        return api.register(table, dataset_display_name=name)


def _linker(engine: Engine, api: DatabaseAPISubClass, frames: Frames, settings: dict[str, Any]) -> Linker:
    parts = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    tables = [engine.register(api, frame, f"records{i}") for i, frame in enumerate(parts)]
    chosen = person_model.for_dialect(settings, engine.backend)
    return Linker(tables[0] if len(tables) == 1 else tables, chosen, log_level=_QUIET)


def train(
    prepared: Frames,
    engine: Engine | None = None,
    *,
    settings: dict[str, Any] | None = None,
    deterministic_rules: Sequence[str] = person_model.DETERMINISTIC_RULES,
    training_rules: Sequence[str] = person_model.TRAINING_RULES,
    deterministic_recall: float = 0.7,
    u_max_pairs: float = 1e6,
    em_max_pairs: float = 2.5e5,
    seed: int = 42,
) -> dict[str, Any]:
    """Trains a model (the person model unless `settings` says otherwise) on prepared records (one frame, or one
    per source for link_only): the match prior from deterministic rules, u by random sampling, m by EM on each
    training rule. Returns the trained model (Splink's JSON settings)."""
    engine = engine or Engine()
    linker = _linker(engine, engine.api(), prepared, settings or person_model.person_settings())
    linker.training.estimate_probability_two_random_records_match(
        list(deterministic_rules), recall=deterministic_recall
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    trained_by = 0
    for rule in training_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_max_pairs)
        except ValueError as exc:
            # Splink 5 refuses an m or u that EM drove below 1e-300 (a level almost never seen among the pairs of
            # that rule, as in a small or lopsided batch); the session then leaves the model as it was, and the
            # other rules' passes still estimate those comparisons.
            if "below the minimum allowed" not in str(exc):
                raise
            log.warning("linkage: EM pass on %s skipped: %s", rule, exc)
            continue
        trained_by += 1
    if training_rules and not trained_by:
        raise ValueError("no EM pass could estimate the model: every training rule drove a probability to zero")
    return linker.misc.save_model_to_json()


def _edges(frame: SplinkDataFrame) -> pd.DataFrame:
    edges: pd.DataFrame = frame.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    return edges[EDGE_COLUMNS].astype({"unique_id_l": str, "unique_id_r": str})


def predict_all(
    prepared: Frames, trained: dict[str, Any], engine: Engine | None = None, *, threshold: float
) -> pd.DataFrame:
    """Every candidate pair of the batch scoring at or above the threshold: unique_id_l/r, match_weight/probability."""
    engine = engine or Engine()
    linker = _linker(engine, engine.api(), prepared, trained)
    return _edges(linker.inference.predict(threshold_match_probability=threshold))


def predict_new(
    existing: pd.DataFrame,
    new: pd.DataFrame,
    trained: dict[str, Any],
    engine: Engine | None = None,
    *,
    threshold: float,
) -> pd.DataFrame:
    """The pairs that involve the new batch: within it and between it and the existing records (never among the
    existing ones, which were linked before)."""
    engine = engine or Engine()
    api = engine.api()
    linker = _linker(engine, api, pd.concat([existing, new], ignore_index=True), trained)
    for column in _tf_columns(trained):
        linker.table_management.compute_tf_table(column)
    left = engine.register(api, existing, "existing")
    right = engine.register(api, new, "new")
    parts: list[pd.DataFrame] = [_edges(linker.inference.predict_within(right, threshold_match_probability=threshold))]
    if len(existing):
        parts.append(_edges(linker.inference.predict_between(left, right, threshold_match_probability=threshold)))
    return pd.concat(parts, ignore_index=True)


def score_pair(
    prepared_pair: pd.DataFrame, trained: dict[str, Any], context: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The scored comparison of two prepared records (the first two rows), with every level's gamma and Bayes
    factor. Term frequencies come from `context` (the batch the records belong to), else from the pair itself."""
    api = Engine().api()
    pool = prepared_pair if context is None else context
    linker = Linker(Engine().register(api, pool, "records"), copy.deepcopy(trained), log_level=_QUIET)
    for column in _tf_columns(trained):
        linker.table_management.compute_tf_table(column)
    rows = [{str(k): v for k, v in row.items()} for row in with_none(prepared_pair).to_dict("records")]
    left, right = rows[0], rows[1]
    result = linker.inference.score_pair(left, right).as_record_list()
    return dict(result[0])


def _tf_columns(trained: dict[str, Any]) -> list[str]:
    return sorted(
        {
            str(level["tf_adjustment_column"])
            for comparison in trained["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )
