"""Stewards' decisions on clusters: a merge (these records are one person) and a split (this group is a person of
its own, never to be joined with the rest). They are kept as record ids, not cluster ids, so that every later
relink (a new batch, a retrained model, a full recluster) can honour them; a later decision overrides an earlier
one it contradicts. `apply_merge`/`apply_split` give the clusters right after the decision; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from gridgov.blockdata.linkage.stable_ids import next_ids
from gridgov.common.errors import InvalidInput


@dataclass(frozen=True)
class Merge:
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class Split:
    group: tuple[str, ...]
    rest: tuple[str, ...]


Decision = Merge | Split


def _crosses(merge: Merge, split: Split) -> bool:
    ids = set(merge.record_ids)
    return bool(ids & set(split.group)) and bool(ids & set(split.rest))


def effective(decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions still in force, oldest first: a decision drops every earlier one it contradicts."""
    kept: list[Decision] = []
    for decision in decisions:
        if isinstance(decision, Merge):
            kept = [d for d in kept if not (isinstance(d, Split) and _crosses(decision, d))]
        else:
            kept = [d for d in kept if not (isinstance(d, Merge) and _crosses(d, decision))]
        kept.append(decision)
    return kept


def apply_merge(clusters: pd.DataFrame, cluster_ids: Sequence[str]) -> tuple[pd.DataFrame, Merge]:
    """Merges the named clusters into the oldest of them (the smallest id): the clusters after, and the decision."""
    wanted = list(dict.fromkeys(cluster_ids))
    if len(wanted) < 2:
        raise InvalidInput("合并至少需要两个不同的聚类", field="cluster_ids")
    members = clusters[clusters["cluster_id"].isin(wanted)]
    missing = sorted(set(wanted) - set(members["cluster_id"]))
    if missing:
        raise InvalidInput(f"聚类不存在：{'、'.join(missing)}", field="cluster_ids")
    keep = min(wanted)
    out = clusters.copy()
    out.loc[out["cluster_id"].isin(wanted), "cluster_id"] = keep
    first = members.groupby("cluster_id", sort=True)["record_id"].first()
    return out, Merge(tuple(str(v) for v in first))


def apply_split(
    clusters: pd.DataFrame, record_ids: Sequence[str], issued: Iterable[str] = ()
) -> tuple[pd.DataFrame, Split]:
    """Moves the named records of one cluster into a new cluster: the clusters after, and the decision."""
    group = list(dict.fromkeys(str(r) for r in record_ids))
    rows = clusters[clusters["record_id"].isin(group)]
    if len(rows) != len(group):
        missing = sorted(set(group) - set(rows["record_id"]))
        raise InvalidInput(f"记录不存在：{'、'.join(missing)}", field="record_ids")
    source = rows["cluster_id"].unique()
    if len(source) != 1:
        raise InvalidInput("拆分的记录须属于同一个聚类", field="record_ids")
    cluster_id = str(source[0])
    rest = clusters.loc[(clusters["cluster_id"] == cluster_id) & ~clusters["record_id"].isin(group), "record_id"]
    if rest.empty:
        raise InvalidInput("拆分须留下至少一条记录在原聚类中", field="record_ids")
    out = clusters.copy()
    (new_id,) = next_ids([*clusters["cluster_id"], *issued], 1)
    out.loc[out["record_id"].isin(group), "cluster_id"] = new_id
    return out, Split(tuple(group), tuple(str(r) for r in rest))
