"""Enterprise risk grading (企业风险分级), the pure part (no I/O): an explainable score for one subject — a legal
entity, or the standard address of hazard sources where no entity is known — from its industry, the hazard
sources at its place (by risk level), its inspection findings (open ones weigh more than rectified ones) and the
cases reported at its place, graded low / medium / high. Every point comes with the factor that gave it, so the
grade can be shown with its reasons. The points, thresholds, regulators and inspection periods are data
(data/risk_grading.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from gridgov.common.choices import ChoiceSet, published


@published("hazard_risk_grade")
class RiskGrade(ChoiceSet):
    LOW = ("low", "低风险", "#52c41a")
    MEDIUM = ("medium", "中风险", "#faad14")
    HIGH = ("high", "高风险", "#cf1322")


RANK = {RiskGrade.LOW: 0, RiskGrade.MEDIUM: 1, RiskGrade.HIGH: 2}


@dataclass(frozen=True, slots=True)
class Factor:
    name: str  # 行业 / 隐患源 / 巡查发现 / 事件
    detail: str
    points: int


@dataclass(frozen=True, slots=True)
class Subject:
    """What the grading knows of one subject."""

    industry: str = ""  # empty: no legal entity known (graded by its address)
    sources: tuple[tuple[str, str, str, str], ...] = ()  # (source name, risk level, its label, class code)
    open_findings: int = 0
    rectified_findings: int = 0
    cases: int = 0


@dataclass(frozen=True, slots=True)
class Graded:
    score: int
    grade: RiskGrade
    factors: tuple[Factor, ...]
    regulators: tuple[str, ...]  # department types, sorted
    inspection_days: int = field(default=30)


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    text = resources.files("gridgov.hazards").joinpath("data/risk_grading.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def grade_of(score: int, t: dict[str, Any]) -> RiskGrade:
    if score >= int(t["grade"]["high"]):
        return RiskGrade.HIGH
    if score >= int(t["grade"]["medium"]):
        return RiskGrade.MEDIUM
    return RiskGrade.LOW


def score(subject: Subject, t: dict[str, Any] | None = None) -> Graded:
    t = t if t is not None else table()
    factors: list[Factor] = []
    regulators: set[str] = set()
    if subject.industry:
        ind = t["industry"].get(subject.industry, t["industry_default"])
        regulators.add(str(ind["regulator"]))
        if ind["points"]:
            factors.append(Factor("行业", subject.industry, int(ind["points"])))
    for name, level, label, klass in subject.sources:
        points = int(t["source_level"].get(level, t["source_level"]["medium"]))
        factors.append(Factor("隐患源", f"{name}（{label}）", points))
        if klass in t["class_regulator"]:
            regulators.add(str(t["class_regulator"][klass]))
    f = t["findings"]
    if subject.open_findings:
        factors.append(Factor("巡查发现", f"{subject.open_findings} 项未整改", subject.open_findings * int(f["open"])))
    if subject.rectified_findings:
        points = subject.rectified_findings * int(f["rectified"])
        factors.append(Factor("巡查发现", f"{subject.rectified_findings} 项已整改（{f['window_days']} 天内）", points))
    if subject.cases:
        c = t["cases"]
        points = min(int(c["cap"]), subject.cases * int(c["points"]))
        factors.append(Factor("事件", f"{subject.cases} 件（{f['window_days']} 天内）", points))
    total = sum(x.points for x in factors)
    grade = grade_of(total, t)
    days = int(t["inspection_days"][grade.value])
    return Graded(total, grade, tuple(factors), tuple(sorted(regulators)), days)


def inspection_days(plan_days: int, grade: RiskGrade | None, t: dict[str, Any] | None = None) -> int:
    """The period a source is inspected at: its own plan, shortened to what the grade of its place asks."""
    if grade is None:
        return plan_days
    t = t if t is not None else table()
    return min(plan_days, int(t["inspection_days"][grade.value]))
