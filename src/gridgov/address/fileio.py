"""Reading address import files: CSV (UTF-8 or GBK), Excel (.xlsx) and GeoJSON (Point features)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from gridgov.common.errors import InvalidInput

Row = dict[str, Any]


def read_rows(filename: str, data: bytes) -> list[Row]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return _excel(data)
    if name.endswith((".geojson", ".json")):
        return _geojson(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _csv(data)
    raise InvalidInput("只支持 CSV、Excel(.xlsx) 和 GeoJSON 文件", field="file")


def _csv(data: bytes) -> list[Row]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput("无法识别文件编码（应为 UTF-8 或 GBK）", field="file")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "code" not in reader.fieldnames:
        raise InvalidInput(
            "CSV 表头须包含 code, level, name, parent_code, community_code, lon, lat, aliases", field="header"
        )
    return [dict(r) for r in reader]


def _excel(data: bytes) -> list[Row]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInput("无法读取 Excel 文件", field="file") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    if "code" not in header:
        raise InvalidInput("Excel 第一行须为表头，包含 code 等列", field="header")
    out = [dict(zip(header, r, strict=False)) for r in rows if any(v is not None and v != "" for v in r)]
    wb.close()
    return out


def _geojson(data: bytes) -> list[Row]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("GeoJSON 解析失败", field="file") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InvalidInput("GeoJSON 应为 FeatureCollection", field="file")
    out: list[Row] = []
    for feature in doc.get("features") or []:
        props = dict((feature or {}).get("properties") or {})
        geom = (feature or {}).get("geometry") or {}
        if geom.get("type") == "Point" and isinstance(geom.get("coordinates"), list) and len(geom["coordinates"]) >= 2:
            props["lon"], props["lat"] = geom["coordinates"][0], geom["coordinates"][1]
        aliases = props.get("aliases")
        if isinstance(aliases, list):
            props["aliases"] = ";".join(str(a) for a in aliases)
        out.append(props)
    return out
