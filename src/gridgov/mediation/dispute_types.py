"""Dispute types as data (data/dispute_types.csv): code, Chinese label, colour, the mediator skill they need and the
event catalog's 小类 (矛盾纠纷, 07xxx) a dispute is filed under when it enters through the intake port."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gridgov.common.errors import InvalidInput


@dataclass(frozen=True)
class DisputeType:
    code: str
    label: str
    color: str
    skill: str
    category: str = ""  # the catalog's 小类 code; empty: the classifier suggests one


def parse_types(text: str) -> dict[str, DisputeType]:
    rows = csv.DictReader(io.StringIO(text))
    return {
        r["code"]: DisputeType(r["code"], r["label"], r["color"], r["skill"], r.get("category") or "") for r in rows
    }


@cache
def dispute_types() -> dict[str, DisputeType]:
    return parse_types(resources.files("gridgov.mediation").joinpath("data/dispute_types.csv").read_text("utf-8"))


def dispute_type(code: str) -> DisputeType:
    found = dispute_types().get(code)
    if found is None:
        listed = "、".join(t.label for t in dispute_types().values())
        raise InvalidInput(f"纠纷类型“{code}”不存在；可选：{listed}", field="dispute_type")
    return found


def type_for_category(category_code: str | None) -> str | None:
    """The dispute type a case's 小类 stands for (a report classified as a dispute), if one does."""
    if not category_code:
        return None
    return next((t.code for t in dispute_types().values() if t.category == category_code), None)
