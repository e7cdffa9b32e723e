"""Who verifies a handled case (复核), as data: `data/verifiers.csv` names a verifier per catalog item (小类 code,
大类 code or "*") and tier (grid / community / street / district or "*"); the most specific row wins, a 小类
before its 大类 before "*", and within those a named tier before "*". Pure: the file is read once."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.levels import TIERS

DATA = Path(__file__).parent / "data" / "verifiers.csv"


@published("verifier")
class Verifier(ChoiceSet):
    GRID = ("grid", "本网格网格员", "#5ad8a6")
    GRID_PEER = ("grid_peer", "本社区其他网格员", "#6dc8ec")
    COMMUNITY = ("community", "社区工作站", "#9270ca")
    REPORTER = ("reporter", "上报人", "#5b8ff9")
    DISPATCHER = ("dispatcher", "分拨中心", "#f6bd16")


@dataclass(frozen=True)
class VerifierRule:
    category: str  # a 小类 code (5 digits), a 大类 code (2 digits) or "*"
    tier: str  # a tier or "*"
    verifier: Verifier
    why: str

    @property
    def rank(self) -> tuple[int, int]:
        """Specificity: (category, tier), higher first."""
        return (len(self.category) if self.category != "*" else 0, 0 if self.tier == "*" else 1)

    def applies(self, category_code: str, tier: str) -> bool:
        cat_ok = self.category == "*" or category_code == self.category or category_code[:2] == self.category
        return cat_ok and self.tier in ("*", tier)


def parse_rules(rows: list[dict[str, str]]) -> tuple[VerifierRule, ...]:
    """Rules from CSV rows; a bad row is named with its line. There must be a catch-all ("*", "*") row, so
    that every item and tier has a verifier."""
    out: list[VerifierRule] = []
    for line, row in enumerate(rows, start=2):
        category, tier, kind = (row.get(k, "").strip() for k in ("category", "tier", "verifier"))
        if not (category == "*" or (category.isdigit() and len(category) in (2, 5))):
            raise ValueError(f"verifiers.csv line {line}: category {category!r} is not '*', a 大类 or a 小类 code")
        if tier != "*" and tier not in TIERS:
            raise ValueError(f"verifiers.csv line {line}: tier {tier!r} is not one of {', '.join(TIERS)} or '*'")
        try:
            verifier = Verifier(kind)
        except ValueError as exc:
            raise ValueError(
                f"verifiers.csv line {line}: verifier {kind!r} is not one of {[v.value for v in Verifier]}"
            ) from exc
        out.append(VerifierRule(category, tier, verifier, row.get("why", "").strip()))
    if not any(r.category == "*" and r.tier == "*" for r in out):
        raise ValueError("verifiers.csv needs a catch-all row (category '*', tier '*')")
    return tuple(sorted(out, key=lambda r: r.rank, reverse=True))


@lru_cache(maxsize=1)
def rules() -> tuple[VerifierRule, ...]:
    with DATA.open(encoding="utf-8", newline="") as fh:
        return parse_rules(list(csv.DictReader(fh)))


def rule_for(category_code: str | None, tier: str, table: tuple[VerifierRule, ...] | None = None) -> VerifierRule:
    """The most specific rule for a 小类 at a tier (an unclassified case takes the catch-all)."""
    for rule in table if table is not None else rules():
        if rule.applies(category_code or "", tier):
            return rule
    raise LookupError("no catch-all verifier rule")  # parse_rules guarantees one
