"""Enumerations that carry a machine value, a Chinese label and a colour, so the UI and API agree, and the one
registry they are published from (`/api/choices` is generated from it)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Self, TypeVar


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


C = TypeVar("C", bound=type[ChoiceSet])
_REGISTRY: dict[str, list[type[ChoiceSet]]] = {}


def published(name: str) -> Callable[[C], C]:
    """Class decorator: publish this ChoiceSet under `name` in `/api/choices`. Several sets may share a name
    (each context declares its own audit actions under "audit_action"); their members are listed together."""

    def register(cls: C) -> C:
        sets = _REGISTRY.setdefault(name, [])
        if any(s.__qualname__ == cls.__qualname__ and s.__module__ == cls.__module__ for s in sets):
            return cls
        clash = {m.value for s in sets for m in s} & {m.value for m in cls}
        if clash:
            raise ValueError(f"choices {name!r}: values declared twice: {sorted(clash)}")
        sets.append(cls)
        return cls

    return register


def registry() -> dict[str, list[dict[str, Any]]]:
    """Every published ChoiceSet, by name (the sets of a shared name merged in declaration order)."""
    return {name: [item for s in sets for item in s.describe()] for name, sets in sorted(_REGISTRY.items())}


# --- names shared by several contexts (data, published like every other ChoiceSet) ------------------------


@published("urgency")
class Urgency(ChoiceSet):
    """How pressing a case is: its default comes from the 小类, a dispatcher may change it (with a reason).
    Urgent and 重特大 cases always run on natural time; 重特大 cases go to the leaders at once (fast track)."""

    NORMAL = ("normal", "一般", "#5b8ff9")
    URGENT = ("urgent", "紧急", "#fa8c16")
    MAJOR = ("major", "重特大", "#cf1322")


@published("clock_basis")
class ClockBasis(ChoiceSet):
    """What a 小类's time limits are counted on: the working calendar, or natural time (24×7)."""

    WORKING = ("working", "工作时间", "#5ad8a6")
    NATURAL = ("natural", "自然时间（24×7）", "#e8684a")
