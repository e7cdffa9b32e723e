"""Dispute types as data (data/dispute_types.csv): code, Chinese label, colour and the mediator skill they need."""

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


def parse_types(text: str) -> dict[str, DisputeType]:
    rows = csv.DictReader(io.StringIO(text))
    return {r["code"]: DisputeType(r["code"], r["label"], r["color"], r["skill"]) for r in rows}


@cache
def dispute_types() -> dict[str, DisputeType]:
    return parse_types(resources.files("gridgov.mediation").joinpath("data/dispute_types.csv").read_text("utf-8"))


def dispute_type(code: str) -> DisputeType:
    found = dispute_types().get(code)
    if found is None:
        listed = "、".join(t.label for t in dispute_types().values())
        raise InvalidInput(f"纠纷类型“{code}”不存在；可选：{listed}", field="dispute_type")
    return found
