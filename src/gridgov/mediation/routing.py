"""Routing a dispute (pure): the rule table (data/routing.csv) chooses, by type, place and amount, the tier of the lead
mediator and the agencies of a joint mediation (联调); the agencies are then found walking up from the dispute's
place, and the lead mediator is the least loaded one whose area holds the place and whose skills fit the type."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources

from gridgov.common.errors import Conflict
from gridgov.common.levels import LEVEL_ORDER, Place
from gridgov.mediation.rules import AgencyKind

ANY = "*"


@dataclass(frozen=True)
class RoutingRule:
    line: int  # its line in the file: the decision names it
    dispute_type: str
    district: str
    min_amount: Decimal
    max_amount: Decimal | None
    level: str
    agencies: tuple[AgencyKind, ...]
    deadline_days: int

    def matches(self, dispute_type: str, district_code: str, amount: Decimal) -> bool:
        return (
            self.dispute_type in (ANY, dispute_type)
            and self.district in (ANY, district_code)
            and amount >= self.min_amount
            and (self.max_amount is None or amount < self.max_amount)
        )


def parse_rules(text: str) -> tuple[RoutingRule, ...]:
    """The rule table from its CSV text (lines starting with # are comments); a bad line is named."""
    lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(line for _i, line in lines)))
    rules: list[RoutingRule] = []
    for (number, _line), row in zip(lines[1:], reader, strict=True):
        try:
            rule = RoutingRule(
                line=number,
                dispute_type=row["type"].strip(),
                district=row["district"].strip(),
                min_amount=Decimal(row["min_amount"] or "0"),
                max_amount=Decimal(row["max_amount"]) if row["max_amount"] else None,
                level=row["level"].strip(),
                agencies=tuple(AgencyKind(k.strip()) for k in row["agencies"].split(";") if k.strip()),
                deadline_days=int(row["deadline_days"]),
            )
        except (ValueError, KeyError, InvalidOperation) as exc:
            raise ValueError(f"routing rule on line {number}: {exc}") from None
        if rule.level not in LEVEL_ORDER:
            raise ValueError(f"routing rule on line {number}: unknown level {rule.level!r}")
        rules.append(rule)
    return tuple(rules)


def builtin_rules() -> tuple[RoutingRule, ...]:
    return parse_rules(resources.files("gridgov.mediation").joinpath("data/routing.csv").read_text("utf-8"))


def choose_rule(rules: Sequence[RoutingRule], dispute_type: str, district_code: str, amount: Decimal) -> RoutingRule:
    for rule in rules:
        if rule.matches(dispute_type, district_code, amount):
            return rule
    raise Conflict(f"没有适用于“{dispute_type}”纠纷的分派规则，请先配置分派规则", field="dispute_type")


@dataclass(frozen=True)
class MediatorInfo:
    id: int
    division_path: str  # the mediator's area
    skills: frozenset[str]
    load: int  # open disputes he leads


@dataclass(frozen=True)
class Decision:
    rule: RoutingRule
    lead_division_id: int  # the tier the lead mediator works at
    mediator_id: int | None
    agency_ids: tuple[tuple[AgencyKind, int], ...]  # one per agency kind found above the place
    missing: tuple[AgencyKind, ...]  # kinds of the rule with no agency above the place


def route(
    rule: RoutingRule,
    ancestry: Sequence[Place],
    paths: Mapping[int, str],
    agencies: Mapping[tuple[int, AgencyKind], int],
    mediators: Sequence[MediatorInfo],
    skill: str,
) -> Decision:
    """`ancestry`: the place's divisions, lowest first; `paths`: their materialized paths; `agencies`: (division id,
    kind) → agency id. The lead tier is the rule's level or the lowest above the place; each agency kind is taken
    at the lowest division from the place up that has one."""
    floor = LEVEL_ORDER[rule.level]
    up = [p for p in ancestry if LEVEL_ORDER[p.level] >= floor] or list(ancestry[-1:])
    lead = up[0]
    lead_path = paths[lead.id]
    fitting = [m for m in mediators if lead_path.startswith(m.division_path) and (skill in m.skills or not m.skills)]
    # the narrowest area first (a community's own mediator before the street's), then the lightest load
    best = min(fitting, key=lambda m: (-len(m.division_path), m.load, m.id), default=None)
    found: list[tuple[AgencyKind, int]] = []
    missing: list[AgencyKind] = []
    for kind in rule.agencies:
        hit = next((agencies[(p.id, kind)] for p in ancestry if (p.id, kind) in agencies), None)
        if hit is None:
            missing.append(kind)
        else:
            found.append((kind, hit))
    return Decision(rule, lead.id, best.id if best else None, tuple(found), tuple(missing))
