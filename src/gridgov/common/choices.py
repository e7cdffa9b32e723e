"""Enumerations that carry a machine value, a Chinese label and a colour, so the UI and API agree."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class ChoiceSet(StrEnum):
    """Members are declared as ``NAME = ("value", "中文", "#colour")``."""

    label: str
    color: str

    def __new__(cls, value: str, label: str = "", color: str = "#888888") -> Self:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label or value
        obj.color = color
        return obj

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        return [{"value": m.value, "label": m.label, "color": m.color} for m in cls]
