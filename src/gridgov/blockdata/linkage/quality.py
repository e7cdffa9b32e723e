"""Pairwise precision, recall and F1 of a clustering against known truth (the pairs within clusters). Pure."""

from __future__ import annotations

import pandas as pd


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise(clusters: pd.DataFrame, truth: pd.Series) -> tuple[float, float]:
    """(precision, recall): clusters has record_id, cluster_id; truth maps record_id to the true person."""
    frame = clusters.assign(person=clusters["record_id"].map(truth))
    predicted = _pairs(frame.groupby("cluster_id").size())
    true = _pairs(frame.groupby("person").size())
    both = _pairs(frame.groupby(["cluster_id", "person"]).size())
    return (both / predicted if predicted else 1.0), (both / true if true else 1.0)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
