"""The golden record of each cluster: for every field, which record wins and why. No I/O.

Rules (in this order for each field):
- 身份证号: a value that passes the GB 11643 checksum beats one that fails; then the most authoritative source
  (`SOURCE_PRIORITY`: 公安 first); then the value most records carry; then the most recently updated.
- 出生日期 and 性别: taken from the chosen valid 身份证号 (it encodes them); without one, as for the name.
- 姓名: the most authoritative source, then the most common value, then the most recent.
- 电话, 地址: the most recently updated record (people move and change numbers), then the most authoritative source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pandas as pd

from gridgov.blockdata.linkage.records import NONE

SOURCE_PRIORITY: Final = ("公安", "民政", "人社", "卫健", "住建", "市场监管", "教育")
FIELDS: Final = ("name", "id_number", "dob", "sex", "phone", "address_code", "address")


def _codes(values: pd.Series, *, sort: bool = False) -> np.ndarray:
    codes, _uniques = pd.factorize(values, sort=sort)
    return np.asarray(codes, dtype=np.int64)


def _label(keys: pd.DataFrame, make: Callable[..., str]) -> pd.Series:
    """`make(*row)` for each row of keys, computed once per distinct row (few distinct rows: fast at any size)."""
    combined = np.zeros(len(keys), dtype=np.int64)
    for column in keys.columns:
        codes, uniques = pd.factorize(keys[column], use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
    _u, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    rows = keys.iloc[first].astype(object).where(keys.iloc[first].notna(), NONE)
    labels = np.array([make(*row) for row in rows.itertuples(index=False)], dtype=object)
    return pd.Series(labels[inverse.reshape(-1)] if len(keys) else [], index=keys.index, dtype=object)


def _sources(frame: pd.DataFrame, clusters: int) -> np.ndarray:
    """The distinct sources of each cluster, joined in name order (a bit mask per cluster, then one string per
    distinct mask: there are few sources, so this stays vectorised)."""
    names = sorted(frame["source"].dropna().unique())
    bit = {name: 1 << i for i, name in enumerate(names)}
    bits = frame["source"].map(bit).fillna(0).to_numpy(dtype=np.int64)
    masks = np.zeros(clusters, dtype=np.int64)
    np.bitwise_or.at(masks, frame["cluster"].to_numpy(), bits)
    text = {int(m): "、".join(n for n in names if int(m) & bit[n]) for m in np.unique(masks)}
    return pd.Series(masks).map(text).to_numpy(dtype=object)


def _pick(frame: pd.DataFrame, field: str, keys: list[str], ascending: list[bool]) -> pd.DataFrame:
    """The winning row per cluster for one field among the rows that have it (integer keys, one lexsort)."""
    rows = frame[frame[field].notna()]
    value = _codes(rows[field])
    cluster = rows["cluster"].to_numpy()
    pair = cluster * (int(value.max(initial=0)) + 1) + value
    _u, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    columns = {"frequency": counts[inverse], **{k: rows[k].to_numpy() for k in keys if k != "frequency"}}
    order_keys = [rows["order"].to_numpy()]
    for key, up in zip(reversed(keys), reversed(ascending), strict=True):
        column = np.asarray(columns[key], dtype=np.int64)
        order_keys.append(column if up else -column)
    order_keys.append(cluster)
    order = np.lexsort(order_keys)
    sorted_cluster = cluster[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_cluster[1:] != sorted_cluster[:-1]
    return rows.iloc[order[first]]


def golden_records(
    prepared: pd.DataFrame, clusters: pd.DataFrame, priority: tuple[str, ...] = SOURCE_PRIORITY
) -> pd.DataFrame:
    """One row per cluster: cluster_id, record_count, sources, and for each field its value, `<field>_from` (the
    winning record id) and `<field>_why` (the rule that chose it, in Chinese)."""
    frame = prepared.merge(clusters.rename(columns={"record_id": "unique_id"}), on="unique_id")
    cluster_codes, cluster_ids = pd.factorize(frame["cluster_id"], sort=True)
    frame["cluster"] = cluster_codes
    frame["order"] = _codes(frame["unique_id"], sort=True)
    order = {name: i for i, name in enumerate(priority)}
    frame["rank"] = frame["source"].map(order).fillna(len(priority)).astype(np.int64)
    updated = pd.to_datetime(frame["updated_at"], errors="coerce", format="%Y-%m-%d")
    frame["updated"] = np.where(
        updated.isna(), np.iinfo(np.int64).min // 2, updated.to_numpy(dtype="datetime64[D]").astype(np.int64)
    )
    frame["updated_day"] = updated.dt.strftime("%Y-%m-%d")
    frame["invalid"] = (~frame["id_valid"].astype(bool)).astype(np.int64)
    out = pd.DataFrame(index=pd.Index(cluster_ids, name="cluster_id"))
    out["record_count"] = np.bincount(cluster_codes, minlength=len(cluster_ids))
    out["sources"] = _sources(frame, len(cluster_ids))

    def put(field: str, winners: pd.DataFrame, why: pd.Series) -> None:
        where = winners["cluster"].to_numpy()
        for column, values in ((field, winners[field]), (f"{field}_from", winners["unique_id"]), (f"{field}_why", why)):
            filled = np.full(len(cluster_ids), None, dtype=object)
            filled[where] = values.to_numpy(dtype=object)
            out[column] = filled

    ids = _pick(frame, "id_number", ["invalid", "rank", "frequency", "updated"], [True, True, False, False])
    put(
        "id_number",
        ids,
        _label(
            ids[["invalid", "source"]],
            lambda inv, src: ("校验通过；" if not inv else "校验不通过（无可用的有效号码）；") + f"来源「{src}」优先",
        ),
    )
    names = _pick(frame, "name", ["rank", "frequency", "updated"], [True, False, False])
    put("name", names, _label(names[["source"]], lambda s: f"来源「{s}」优先，其次为多数记录的写法"))
    valid_ids = ids[ids["invalid"] == 0]
    for field, label in (("dob", "出生日期"), ("sex", "性别")):
        fallback = _pick(frame, field, ["rank", "frequency", "updated"], [True, False, False])
        fallback = fallback[~fallback["cluster"].isin(valid_ids["cluster"])]
        chosen = pd.concat([valid_ids, fallback])
        why = np.where(
            np.arange(len(chosen)) < len(valid_ids),
            f"由有效身份证号推出{label}",
            f"无有效身份证号：按来源优先取{label}",
        )
        put(field, chosen, pd.Series(why, index=chosen.index))
    for field in ("phone", "address_code", "address"):
        recent = _pick(frame, field, ["updated", "rank"], [False, True])
        why = _label(
            recent[["updated_day", "source"]],
            lambda d, s: f"最近更新（{d}，来源「{s}」）" if d is not None else f"无更新日期：来源「{s}」优先",
        )
        put(field, recent, why)
    return out.reset_index()
