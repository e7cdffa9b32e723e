"""Why two records match: the waterfall of a scored pair - the prior, then each comparison's level and its
Bayes factor, the running match weight after each step, and the final probability. Pure over a scored row."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    column: str
    label: str  # the comparison level (Chinese), or 先验 for the prior
    left: str | None
    right: str | None
    bayes_factor: float
    log2_bayes_factor: float
    cumulative_weight: float


@dataclass(frozen=True)
class Waterfall:
    steps: list[Step]
    match_weight: float
    match_probability: float


def waterfall(scored: dict[str, Any], trained: dict[str, Any]) -> Waterfall:
    """The steps of a scored pair (a row from `engine.score_pair`) under the trained model it was scored with."""
    prior = float(trained["probability_two_random_records_match"])
    prior_bf = prior / (1 - prior)
    total = math.log2(prior_bf)
    steps = [Step("prior", "先验（两条随机记录为同一人的概率）", None, None, prior_bf, total, total)]
    for comparison in trained["comparisons"]:
        column = str(comparison["output_column_name"])
        gamma = int(scored[f"gamma_{column}"])
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        label = "缺失（不计分）" if gamma < 0 else str(levels[len(levels) - 1 - gamma]["label_for_charts"])
        log2 = float(scored[f"mw_{column}"])  # Splink's partial match weight: log2 of the Bayes factor
        tf_weight = scored.get(f"mw_tf_adj_{column}")
        if tf_weight is not None:
            log2 += float(tf_weight)  # the term-frequency adjustment (a rare name weighs more)
        factor = 2**log2
        total += log2
        left, right = scored.get(f"{column}_l"), scored.get(f"{column}_r")
        steps.append(Step(column, label, _text(left), _text(right), factor, log2, total))
    return Waterfall(steps, total, 2**total / (1 + 2**total))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
