"""Stable cluster ids: a cluster keeps the id most of its records had before; new clusters get the next ids.
Pure functions over pandas objects."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

PREFIX = "P"
WIDTH = 9


def format_id(number: int) -> str:
    return f"{PREFIX}{number:0{WIDTH}d}"


def next_ids(existing: Iterable[str], count: int) -> list[str]:
    """`count` fresh ids after the largest existing one."""
    numbers = [int(v[len(PREFIX) :]) for v in existing if isinstance(v, str) and v.startswith(PREFIX)]
    start = max(numbers, default=0) + 1
    return [format_id(start + i) for i in range(count)]


def assign(components: pd.Series, previous: pd.Series | None, issued: Iterable[str] = ()) -> pd.Series:
    """Cluster ids for `components` (record_id -> component number). Each earlier id (from `previous`,
    record_id -> cluster_id) goes to the component holding most of its records (ties: the component with the
    smallest record id); a component keeps at most one earlier id, the one it holds most records of (ties: the
    oldest id). The other components are numbered after the largest earlier id, in order of their smallest record
    id, so the same input gives the same ids. `issued` names ids given out before that no record holds any more
    (merged away): they are never given again."""
    frame = pd.DataFrame({"record_id": components.index.astype(str), "component": components.to_numpy()})
    first = frame.sort_values("record_id").drop_duplicates("component").set_index("component")["record_id"]
    chosen: dict[int, str] = {}
    if previous is not None and len(previous):
        frame["previous"] = frame["record_id"].map(previous)
        counts = frame.dropna(subset=["previous"]).groupby(["component", "previous"]).size().rename("n").reset_index()
        counts["first"] = counts["component"].map(first)
        counts = counts.sort_values(["n", "previous", "first"], ascending=[False, True, True])
        taken: set[str] = set()
        for component, old, _n, _first in counts.itertuples(index=False):
            if component in chosen or old in taken:
                continue
            chosen[int(component)] = str(old)
            taken.add(str(old))
    fresh = [c for c in first.sort_values().index if int(c) not in chosen]
    known = [*issued, *([] if previous is None else previous.astype(str).unique())]
    for component, new_id in zip(fresh, next_ids(known, len(fresh)), strict=True):
        chosen[int(component)] = new_id
    return pd.Series(frame["component"].map(chosen).to_numpy(), index=components.index, name="cluster_id")
