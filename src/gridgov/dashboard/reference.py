"""Reference data the figures are labelled with, read once and kept a minute: categories (大类 of each 小类),
department names, division geometry and representative points."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.dashboard.cache import REFERENCE
from gridgov.org.models import Department, Division

T = TypeVar("T")


@dataclass(frozen=True)
class Categories:
    names: dict[int, str]  # any category id → name
    major_of: dict[int, int]  # 小类 id → 大类 id (a 大类 maps to itself)
    codes: dict[int, str]


def categories(session: Session) -> Categories:
    def load() -> Categories:
        rows = session.execute(
            select(EventCategory.id, EventCategory.code, EventCategory.name, EventCategory.parent_id)
        ).all()
        return Categories(
            names={r[0]: r[2] for r in rows},
            major_of={r[0]: (r[3] if r[3] is not None else r[0]) for r in rows},
            codes={r[0]: r[1] for r in rows},
        )

    return REFERENCE.get_or_compute("categories", load)


def department_names(session: Session) -> dict[int, tuple[str, str]]:
    """department id → (code, name)."""

    def load() -> dict[int, tuple[str, str]]:
        rows = session.execute(select(Department.id, Department.code, Department.name)).all()
        return {r[0]: (r[1], r[2]) for r in rows}

    return REFERENCE.get_or_compute("departments", load)


@dataclass(frozen=True)
class Shape:
    geometry: dict[str, Any] | None
    lon: float | None
    lat: float | None


def shapes(session: Session, ids: Iterable[int]) -> dict[int, Shape]:
    """Geometry and representative point of divisions, loaded once per id and kept a minute."""
    store: dict[int, Shape] = REFERENCE.get_or_compute("shapes", dict)
    wanted = sorted(set(ids))
    missing = [i for i in wanted if i not in store]
    for chunk in _chunks(missing, 900):
        rows = session.execute(
            select(Division.id, Division.geometry, Division.center_lon, Division.center_lat).where(
                Division.id.in_(chunk)
            )
        ).all()
        for r in rows:
            store[r[0]] = Shape(r[1], r[2], r[3])
    return {i: store[i] for i in wanted if i in store}


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
