"""The linkage pipeline over DataFrames: prepare -> (train) -> score candidate pairs -> cluster under the stewards'
decisions -> stable ids -> golden records.

`link` (re)links a whole population; `link_new` links a new batch against the clusters of earlier runs without
touching them: a new record joins the existing cluster it matches best (it never joins two existing clusters -
such a bridge is reported for a steward), or starts a cluster with a fresh id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from gridgov.blockdata.linkage import clustering, engine, golden, model, records, stable_ids
from gridgov.blockdata.linkage.decisions import Decision, Merge, Split, effective


@dataclass
class LinkResult:
    """clusters: record_id, cluster_id; golden: one row per cluster (see golden.py); edges: the scored pairs at or
    above the threshold; bridges: pairs that would have joined two clusters kept apart; model: the trained model."""

    clusters: pd.DataFrame
    golden: pd.DataFrame
    edges: pd.DataFrame
    model: dict[str, Any]
    prepared: pd.DataFrame
    bridges: pd.DataFrame = field(default_factory=pd.DataFrame)


def constraints_for(decisions: Iterable[Decision]) -> clustering.Constraints:
    """Must-links and cannot-links from the decisions in force."""
    out = clustering.Constraints()
    for number, decision in enumerate(effective(decisions)):
        if isinstance(decision, Merge):
            out.must.append(decision.record_ids)
        elif isinstance(decision, Split):
            out.labels.extend((r, f"split{number}", "group") for r in decision.group)
            out.labels.extend((r, f"split{number}", "rest") for r in decision.rest)
    return out


# A valid 身份证号 names one person by law: records that share one are linked whatever the trained weights say (a
# model trained on a small or lopsided population can weigh the agreement wrongly); a steward's split still holds.
SAME_ID_WEIGHT = 30.0


def same_id_edges(prepared: pd.DataFrame, new: set[str] | None = None) -> pd.DataFrame:
    """Each record with a valid 身份证号 paired with the first record of that number; with `new`, only the pairs
    that involve one of those records (an incremental run never re-links the existing ones). Pure."""
    valid = prepared.loc[prepared["id_valid"].fillna(False).astype(bool), ["unique_id", "id_number"]]
    first = valid.groupby("id_number")["unique_id"].transform("first")
    keep = valid["unique_id"] != first
    if new is not None:
        keep &= valid["unique_id"].isin(new) | first.isin(new)
    return pd.DataFrame(
        {
            "unique_id_l": first[keep].astype(str).to_numpy(),
            "unique_id_r": valid.loc[keep, "unique_id"].astype(str).to_numpy(),
            "match_weight": SAME_ID_WEIGHT,
            "match_probability": 1.0,
        }
    )


def _with_same_id(edges: pd.DataFrame, prepared: pd.DataFrame, new: set[str] | None = None) -> pd.DataFrame:
    extra = same_id_edges(prepared, new)
    return pd.concat([edges, extra], ignore_index=True) if len(extra) else edges


def _frame(assigned: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"record_id": assigned.index.astype(str), "cluster_id": assigned.to_numpy()})


def link(
    batch: pd.DataFrame,
    *,
    trained: dict[str, Any] | None = None,
    previous: pd.DataFrame | None = None,
    decisions: Sequence[Decision] = (),
    issued: Iterable[str] = (),
    runner: engine.Engine | None = None,
    threshold: float = model.MATCH_THRESHOLD,
) -> LinkResult:
    """Links every record of `batch` (the columns of records.py). `previous` (record_id, cluster_id) keeps the ids
    of an earlier run; `decisions` are honoured; without `trained` the model is trained on the batch."""
    prepared = records.prepare(batch)
    trained = trained or engine.train(prepared, runner)
    edges = _with_same_id(engine.predict_all(prepared, trained, runner, threshold=threshold), prepared)
    components = clustering.cluster(pd.Index(prepared["unique_id"]), edges, constraints_for(decisions))
    before = None if previous is None else previous.set_index("record_id")["cluster_id"].astype(str)
    clusters = _frame(stable_ids.assign(components, before, issued))
    return LinkResult(clusters, golden.golden_records(prepared, clusters), edges, trained, prepared)


def link_new(
    batch: pd.DataFrame,
    existing: pd.DataFrame,
    existing_clusters: pd.DataFrame,
    *,
    trained: dict[str, Any],
    decisions: Sequence[Decision] = (),
    issued: Iterable[str] = (),
    runner: engine.Engine | None = None,
    threshold: float = model.MATCH_THRESHOLD,
) -> LinkResult:
    """Links a new batch against records already clustered (`existing` with `existing_clusters`): the existing
    records keep their cluster ids; each new record joins the cluster it matches best or a new one."""
    new = records.prepare(batch)
    old = records.prepare(existing)
    clash = set(new["unique_id"]) & set(old["unique_id"])
    if clash:
        from gridgov.common.errors import InvalidInput

        raise InvalidInput(f"新批次的记录编号已存在：{sorted(clash)[0]}", field="record_id")
    prepared = pd.concat([old, new], ignore_index=True)
    edges = engine.predict_new(old, new, trained, runner, threshold=threshold)
    edges = _with_same_id(edges, prepared, set(new["unique_id"].astype(str)))
    keep = existing_clusters.set_index("record_id")["cluster_id"].astype(str)
    constraints = constraints_for(decisions)
    groups = existing_clusters.groupby("cluster_id")["record_id"].agg(list)
    constraints.must.extend(groups.tolist())
    constraints.labels.extend((str(r), "cluster", str(c)) for r, c in keep.items())
    ids = pd.Index(pd.concat([old["unique_id"], new["unique_id"]], ignore_index=True))
    components = clustering.cluster(ids, edges, constraints)
    clusters = _frame(stable_ids.assign(components, keep, issued))
    joined = clusters.set_index("record_id")["cluster_id"]
    across = edges[joined.reindex(edges["unique_id_l"]).to_numpy() != joined.reindex(edges["unique_id_r"]).to_numpy()]
    return LinkResult(clusters, golden.golden_records(prepared, clusters), edges, trained, prepared, across)
