"""In-process snapshot of the org tree and departments, used by routing on the hot path.

Org data changes rarely; services that change it call `invalidate()`, and the snapshot also expires after
a minute so that several worker processes converge.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.levels import Place
from gridgov.common.snapshot import SharedSnapshot
from gridgov.org.models import Department, Division

TTL_SECONDS = 60.0


@dataclass(frozen=True)
class DivisionInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    area_class: str


@dataclass(frozen=True)
class OrgSnapshot:
    divisions: dict[int, DivisionInfo]
    departments: dict[tuple[int, str], int]
    by_code: dict[str, int]
    dept_names: dict[int, str]
    department_places: dict[int, int]  # active department id → its division id

    def ancestry(self, division_id: int) -> list[Place]:
        out: list[Place] = []
        current: int | None = division_id
        while current is not None:
            info = self.divisions[current]
            out.append(Place(info.id, info.level))
            current = info.parent_id
        return out

    @property
    def root_id(self) -> int:
        """The city: the one division without a parent."""
        return next(d.id for d in self.divisions.values() if d.parent_id is None)

    def ancestor_at(self, division_id: int, level: str) -> int | None:
        for place in self.ancestry(division_id):
            if place.level == level:
                return place.id
        return None


def invalidate() -> None:
    _shared.invalidate()


def snapshot(session: Session) -> OrgSnapshot:
    return _shared.get(session)


def _load(session: Session) -> OrgSnapshot:
    rows = session.execute(
        select(
            Division.id,
            Division.code,
            Division.name,
            Division.level,
            Division.parent_id,
            Division.path,
            Division.area_class,
        )
    ).all()
    divisions = {r[0]: DivisionInfo(*r) for r in rows}
    deps = session.execute(
        select(Department.division_id, Department.dept_type, Department.id, Department.name).where(
            Department.active.is_(True)
        )
    ).all()
    snap = OrgSnapshot(
        divisions,
        {(d[0], d[1]): d[2] for d in deps},
        {d.code: d.id for d in divisions.values()},
        {d[2]: d[3] for d in deps},
        {d[2]: d[0] for d in deps},
    )
    return snap


_shared = SharedSnapshot(_load, TTL_SECONDS)
