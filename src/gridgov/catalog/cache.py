"""In-process snapshot of the event catalog and routing rules (read on every intake and dispatch).

Catalog services call `invalidate()` after each change; the snapshot also expires after a minute so that
several worker processes converge.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory, RoutingRule
from gridgov.common.snapshot import SharedSnapshot

TTL_SECONDS = 60.0


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: str
    parent_id: int | None
    kind: str
    dept_type: str | None
    co_dept_types: tuple[str, ...]
    default_level: str
    limit_a: int
    limit_b: int
    limit_c: int
    limit_unit: str
    self_handle: bool
    active: bool
    urgency: str = "normal"
    clock_basis: str = "working"

    def limit_for(self, area_class: str) -> int:
        return {"A": self.limit_a, "B": self.limit_b, "C": self.limit_c}.get(area_class, self.limit_b)


@dataclass(frozen=True)
class RuleInfo:
    id: int
    category_id: int | None
    division_id: int | None
    lead_dept_type: str
    co_dept_types: tuple[str, ...]
    level: str | None


@dataclass(frozen=True)
class CatalogSnapshot:
    by_id: dict[int, CategoryInfo]
    by_code: dict[str, CategoryInfo]
    rules: tuple[RuleInfo, ...]


def invalidate() -> None:
    _shared.invalidate()


def snapshot(session: Session) -> CatalogSnapshot:
    return _shared.get(session)


def _load(session: Session) -> CatalogSnapshot:
    cats = [
        CategoryInfo(
            c.id,
            c.code,
            c.name,
            c.parent_id,
            c.kind,
            c.dept_type,
            tuple(c.co_dept_types or ()),
            c.default_level,
            c.limit_a,
            c.limit_b,
            c.limit_c,
            c.limit_unit,
            c.self_handle,
            c.active,
            c.urgency,
            c.clock_basis,
        )
        for c in session.scalars(select(EventCategory))
    ]
    rules = tuple(
        RuleInfo(r.id, r.category_id, r.division_id, r.lead_dept_type, tuple(r.co_dept_types or ()), r.level)
        for r in session.scalars(select(RoutingRule).order_by(RoutingRule.id))
    )
    return CatalogSnapshot({c.id: c for c in cats}, {c.code: c for c in cats}, rules)


_shared = SharedSnapshot(_load, TTL_SECONDS)
