"""Escalation risk (民转刑), computed and explained (pure): threats and violence words in what the parties said, the
same party coming back again and again, a large debt. Words, weights and thresholds are data (data/risk.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from gridgov.common.choices import ChoiceSet, published


@published("dispute_risk")
class RiskLevel(ChoiceSet):
    LOW = ("low", "低风险", "#52c41a")
    MEDIUM = ("medium", "中风险", "#fa8c16")
    HIGH = ("high", "高风险", "#f5222d")


FLAG_LABELS = {"threat": "威胁言语", "violence": "暴力言行", "repeat": "反复来访", "debt": "大额欠款"}


@dataclass(frozen=True)
class RiskConfig:
    words: dict[str, tuple[str, ...]]
    weights: dict[str, int]
    high_at: int
    medium_at: int
    repeat_visits: int
    repeat_window_days: int
    debt_threshold: Decimal
    debt_types: frozenset[str]


def parse_config(text: str) -> RiskConfig:
    raw: dict[str, Any] = tomllib.loads(text)
    return RiskConfig(
        words={k: tuple(v) for k, v in raw["words"].items()},
        weights=dict(raw["weights"]),
        high_at=int(raw["high_at"]),
        medium_at=int(raw["medium_at"]),
        repeat_visits=int(raw["repeat_visits"]),
        repeat_window_days=int(raw["repeat_window_days"]),
        debt_threshold=Decimal(str(raw["debt_threshold"])),
        debt_types=frozenset(raw["debt_types"]),
    )


def builtin_config() -> RiskConfig:
    return parse_config(resources.files("gridgov.mediation").joinpath("data/risk.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    weight: int
    explanation: str  # why, in Chinese, naming the evidence

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "weight": self.weight, "explanation": self.explanation}


@dataclass(frozen=True)
class Assessment:
    level: RiskLevel
    score: int
    flags: tuple[Flag, ...]


def assess(config: RiskConfig, texts: Sequence[str], dispute_type: str, amount: Decimal, visits: int) -> Assessment:
    """`texts`: the description and session notes; `visits`: disputes the parties brought within the window,
    this one included."""
    joined = "\n".join(texts)
    flags: list[Flag] = []
    for code in ("threat", "violence"):
        hits = [w for w in config.words.get(code, ()) if w in joined]
        if hits:
            quoted = "、".join(f"“{w}”" for w in hits)
            flags.append(Flag(code, FLAG_LABELS[code], config.weights[code], f"陈述或调解记录中出现{quoted}"))
    if visits >= config.repeat_visits:
        flags.append(
            Flag(
                "repeat",
                FLAG_LABELS["repeat"],
                config.weights["repeat"],
                f"当事人 {config.repeat_window_days} 天内第 {visits} 次来访（阈值 {config.repeat_visits} 次）",
            )
        )
    if dispute_type in config.debt_types and amount >= config.debt_threshold:
        flags.append(
            Flag(
                "debt",
                FLAG_LABELS["debt"],
                config.weights["debt"],
                f"争议金额 {amount:,.0f} 元，达到 {config.debt_threshold:,.0f} 元的大额欠款阈值",
            )
        )
    score = sum(f.weight for f in flags)
    level = (
        RiskLevel.HIGH if score >= config.high_at else RiskLevel.MEDIUM if score >= config.medium_at else RiskLevel.LOW
    )
    return Assessment(level, score, tuple(flags))
