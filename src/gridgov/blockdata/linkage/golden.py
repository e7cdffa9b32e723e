"""The golden record of each cluster: for every field, which record wins and why. No I/O.

Rules (in this order for each field):
- 身份证号: a value that passes the GB 11643 checksum beats one that fails; then the most authoritative source
  (`SOURCE_PRIORITY`: 公安 first); then the value most records carry; then the most recently updated.
- 出生日期 and 性别: taken from the chosen valid 身份证号 (it encodes them); without one, as for the name.
- 姓名: the most authoritative source, then the most common value, then the most recent.
- 电话, 地址: the most recently updated record (people move and change numbers), then the most authoritative source.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

SOURCE_PRIORITY: Final = ("公安", "民政", "人社", "卫健", "住建", "市场监管", "教育")
FIELDS: Final = ("name", "id_number", "dob", "sex", "phone", "address_code", "address")


def _rank(source: pd.Series, priority: tuple[str, ...]) -> pd.Series:
    order = {name: i for i, name in enumerate(priority)}
    return source.map(order).fillna(len(priority)).astype(int)


def _sources(frame: pd.DataFrame) -> pd.Series:
    """The distinct sources of each cluster, joined in name order (a bit mask per cluster, then one string per
    distinct mask: there are few sources, so this stays vectorised)."""
    names = sorted(frame["source"].dropna().unique())
    bit = {name: 1 << i for i, name in enumerate(names)}
    marks = frame[["cluster_id", "source"]].dropna().drop_duplicates()
    masks = marks["source"].map(bit).groupby(marks["cluster_id"]).sum()
    text = {int(m): "、".join(n for n in names if int(m) & bit[n]) for m in masks.unique()}
    return masks.map(text)


def _pick(frame: pd.DataFrame, field: str, keys: list[str], ascending: list[bool]) -> pd.DataFrame:
    """The winning row per cluster for one field among the rows that have it."""
    rows = frame[frame[field].notna()].copy()
    rows["frequency"] = rows.groupby(["cluster_id", field])[field].transform("size")
    rows = rows.sort_values(["cluster_id", *keys, "unique_id"], ascending=[True, *ascending, True])
    return rows.drop_duplicates("cluster_id")


def golden_records(
    prepared: pd.DataFrame, clusters: pd.DataFrame, priority: tuple[str, ...] = SOURCE_PRIORITY
) -> pd.DataFrame:
    """One row per cluster: cluster_id, record_count, sources, and for each field its value, `<field>_from` (the
    winning record id) and `<field>_why` (the rule that chose it, in Chinese)."""
    frame = prepared.merge(clusters.rename(columns={"record_id": "unique_id"}), on="unique_id")
    frame["rank"] = _rank(frame["source"], priority)
    frame["updated"] = pd.to_datetime(frame["updated_at"], errors="coerce", format="mixed")
    frame["invalid"] = ~frame["id_valid"].astype(bool)
    out = frame.groupby("cluster_id").agg(record_count=("unique_id", "size"))
    out["sources"] = _sources(frame)

    def put(field: str, winners: pd.DataFrame, why: pd.Series) -> None:
        indexed = winners.set_index("cluster_id")
        out[field] = indexed[field].reindex(out.index)
        out[f"{field}_from"] = indexed["unique_id"].reindex(out.index)
        out[f"{field}_why"] = why.reindex(out.index) if len(why) else None

    ids = _pick(frame, "id_number", ["invalid", "rank", "frequency", "updated"], [True, True, False, False])
    why_id = pd.Series(
        [
            ("校验通过；" if not inv else "校验不通过（无可用的有效号码）；") + f"来源「{src}」优先"
            for inv, src in zip(ids["invalid"], ids["source"], strict=True)
        ],
        index=ids["cluster_id"],
    )
    put("id_number", ids, why_id)
    names = _pick(frame, "name", ["rank", "frequency", "updated"], [True, False, False])
    put(
        "name",
        names,
        pd.Series([f"来源「{s}」优先，其次为多数记录的写法" for s in names["source"]], index=names["cluster_id"]),
    )
    for field, label in (("dob", "出生日期"), ("sex", "性别")):
        from_id = ids[~ids["invalid"]].set_index("cluster_id")
        fallback = _pick(frame, field, ["rank", "frequency", "updated"], [True, False, False]).set_index("cluster_id")
        use_id = fallback.index.isin(from_id.index)
        chosen = pd.concat([from_id[[field, "unique_id"]], fallback.loc[~use_id, [field, "unique_id"]]])
        why = pd.Series(f"由有效身份证号推出{label}", index=from_id.index)
        why = pd.concat([why, pd.Series(f"无有效身份证号：按来源优先取{label}", index=fallback.index[~use_id])])
        put(field, chosen.reset_index(), why)
    for field in ("phone", "address_code", "address"):
        recent = _pick(frame, field, ["updated", "rank"], [False, True])
        why = pd.Series(
            [
                f"最近更新（{d:%Y-%m-%d}，来源「{s}」）" if pd.notna(d) else f"无更新日期：来源「{s}」优先"
                for d, s in zip(recent["updated"], recent["source"], strict=True)
            ],
            index=recent["cluster_id"],
        )
        put(field, recent, why)
    return out.reset_index()
