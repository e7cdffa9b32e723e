"""Clustering of scored pairs into people under constraints: must-links (stewards' merges, the clusters an
incremental run keeps) and cannot-links (stewards' splits, two clusters an incremental run must not join).

Connected components (scipy) settle every component that holds no conflicting constraint; only the components that
do are rebuilt greedily, strongest pair first, refusing any union that would join two sides of a constraint. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

MUST = float("inf")


@dataclass
class Constraints:
    """must: groups of records that are one person; labels: (record_id, kind, value) rows - two records whose
    labels of one kind differ are never put together."""

    must: list[Sequence[str]] = field(default_factory=list)
    labels: list[tuple[str, str, str]] = field(default_factory=list)


def _pairs(groups: Sequence[Sequence[str]]) -> pd.DataFrame:
    left: list[str] = []
    right: list[str] = []
    for group in groups:
        members = list(group)
        left.extend(members[:1] * (len(members) - 1))
        right.extend(members[1:])
    return pd.DataFrame({"unique_id_l": left, "unique_id_r": right, "match_weight": MUST})


def cluster(record_ids: pd.Index, edges: pd.DataFrame, constraints: Constraints | None = None) -> pd.Series:
    """Component number per record (index: record_id). Edges: unique_id_l, unique_id_r, match_weight."""
    constraints = constraints or Constraints()
    ids = pd.Index(record_ids.astype(str))
    all_edges = pd.concat([edges[["unique_id_l", "unique_id_r", "match_weight"]], _pairs(constraints.must)])
    left = ids.get_indexer(pd.Index(all_edges["unique_id_l"].astype(str)))
    right = ids.get_indexer(pd.Index(all_edges["unique_id_r"].astype(str)))
    known = (left >= 0) & (right >= 0)
    left, right, weight = left[known], right[known], all_edges["match_weight"].to_numpy(dtype=float)[known]
    n = len(ids)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _count, component = connected_components(graph, directed=False)
    if constraints.labels:
        component = _resolve_conflicts(ids, component, left, right, weight, constraints.labels)
    return pd.Series(component, index=ids, name="component")


def _resolve_conflicts(
    ids: pd.Index,
    component: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    weight: np.ndarray,
    labels: list[tuple[str, str, str]],
) -> np.ndarray:
    table = pd.DataFrame(labels, columns=["record_id", "kind", "value"])
    table["node"] = ids.get_indexer(pd.Index(table["record_id"]))
    table = table[table["node"] >= 0]
    table["component"] = component[table["node"].to_numpy()]
    spread = table.groupby(["component", "kind"])["value"].nunique()
    bad = np.unique(spread[spread > 1].index.get_level_values("component").to_numpy())
    if not len(bad):
        return component
    out = component.copy()
    in_bad = np.isin(component[left], bad)
    order = np.argsort(-weight[in_bad], kind="stable")
    node_labels: dict[int, dict[str, str]] = {}
    for node, kind, value in table.loc[table["component"].isin(bad), ["node", "kind", "value"]].itertuples(index=False):
        node_labels.setdefault(int(node), {})[str(kind)] = str(value)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(left[in_bad][order].tolist(), right[in_bad][order].tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        la, lb = node_labels.get(ra, {}), node_labels.get(rb, {})
        if any(lb.get(kind, value) != value for kind, value in la.items()):
            continue
        parent[rb] = ra
        if lb:
            node_labels[ra] = {**lb, **la}
    offset = int(component.max()) + 1 if len(component) else 0
    for node in np.flatnonzero(np.isin(component, bad)).tolist():
        out[node] = offset + find(node)
    return out
