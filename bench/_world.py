"""The demo world the synthetic-data benchmarks draw from: grids (with their ancestry, area class, centre and
grid worker), active 小类 with their time limits, users by role, and memoised routing. Read once from a demo
database; shared by bench/dispatch.py and bench/dashboard.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


@dataclass(frozen=True)
class Cat:
    id: int
    code: str
    dept_type: str | None
    co_types: tuple[str, ...]
    level: str  # the 小类's default handling level
    limit_hours: dict[str, float]  # area class → working hours
    self_handle: bool
    urgency: str = "normal"  # the 小类's default urgency
    clock_basis: str = "working"  # what its limits run on: the working calendar or natural time (24×7)


@dataclass
class World:
    """What the synthetic data needs to know about the demo, read once from the base database."""

    snap: Any  # gridgov.org.cache.OrgSnapshot
    grid_ids: list[int]
    grid_codes: list[str]
    grid_paths: list[str]
    grid_area: list[str]
    grid_anc: list[dict[str, int]]  # level → division id, for each grid
    grid_lon: np.ndarray[Any, np.dtype[np.float64]]
    grid_lat: np.ndarray[Any, np.dtype[np.float64]]
    grid_worker: list[int | None]
    grid_weight: np.ndarray[Any, np.dtype[np.float64]]
    cats: list[Cat]
    cat_weight: np.ndarray[Any, np.dtype[np.float64]]
    residents: list[int]
    dispatcher_by_div: dict[int, int]
    dispatcher_name_by_div: dict[int, str]
    handler_by_dept: dict[int, int]
    _routes: dict[tuple[int, int, str], Any] = field(default_factory=dict)

    def route(self, cat_idx: int, grid_idx: int, level: str) -> Any:
        """The routing the service layer would choose (choose_route on the org snapshot), memoised."""
        from gridgov.dispatch.routing import choose_route

        key = (cat_idx, self.grid_anc[grid_idx][level], level)
        found = self._routes.get(key)
        if found is None:
            cat = self.cats[cat_idx]
            ancestry = self.snap.ancestry(self.grid_ids[grid_idx])
            found = choose_route(ancestry, cat.dept_type, cat.co_types, level, self.snap.departments)
            self._routes[key] = found
        return found

    def busiest_district(self) -> int:
        return Counter(a["district"] for a in self.grid_anc).most_common(1)[0][0]


def load_world(engine: Any, seed: int) -> World:
    """Read the demo from `engine`; `seed` draws the (lognormal) weights of grids and categories."""
    from sqlalchemy import select

    from gridgov.catalog.models import EventCategory
    from gridgov.db import session_factory
    from gridgov.org import cache
    from gridgov.org.models import Division, GridAssignment, User

    with session_factory(engine)() as s:
        cache.invalidate()
        snap = cache.snapshot(s)
        cat_rows = s.scalars(
            select(EventCategory)
            .where(EventCategory.parent_id.is_not(None), EventCategory.active.is_(True))
            .order_by(EventCategory.code)
        ).all()
        users = s.execute(select(User.id, User.username, User.role, User.division_id, User.department_id)).all()
        workers = dict(s.execute(select(GridAssignment.grid_id, GridAssignment.user_id)).all())
        centers = {
            r[0]: (r[1], r[2])
            for r in s.execute(
                select(Division.id, Division.center_lon, Division.center_lat).where(Division.level == "grid")
            )
        }
    rng = np.random.default_rng(seed)
    grids = sorted(d.id for d in snap.divisions.values() if d.level == "grid")
    anc = []
    for g in grids:
        levels = {p.level: p.id for p in snap.ancestry(g)}
        anc.append({lv: levels[lv] for lv in ("grid", "community", "street", "district")})
    cats = [
        Cat(
            c.id,
            c.code,
            c.dept_type,
            tuple(c.co_dept_types or ()),
            c.default_level,
            {a: float(c.limit_for(a)) * (7.0 if c.limit_unit == "working_days" else 1.0) for a in "ABC"},
            bool(c.self_handle),
            c.urgency,
            c.clock_basis,
        )
        for c in cat_rows
    ]
    gw, cw = rng.lognormal(0.0, 1.0, len(grids)), rng.lognormal(0.0, 1.2, len(cats))
    return World(
        snap=snap,
        grid_ids=grids,
        grid_codes=[snap.divisions[g].code for g in grids],
        grid_paths=[snap.divisions[g].path for g in grids],
        grid_area=[snap.divisions[g].area_class for g in grids],
        grid_anc=anc,
        grid_lon=np.array([centers.get(g, (114.05, 22.55))[0] or 114.05 for g in grids]),
        grid_lat=np.array([centers.get(g, (114.05, 22.55))[1] or 22.55 for g in grids]),
        grid_worker=[workers.get(g) for g in grids],
        grid_weight=gw / gw.sum(),
        cats=cats,
        cat_weight=cw / cw.sum(),
        residents=[u.id for u in users if u.role == "resident"],
        dispatcher_by_div={u.division_id: u.id for u in users if u.role == "dispatcher"},
        dispatcher_name_by_div={u.division_id: u.username for u in users if u.role == "dispatcher"},
        handler_by_dept={u.department_id: u.id for u in users if u.role == "handler" and u.department_id},
    )


def sqlite_times(us: np.ndarray[Any, np.dtype[np.int64]]) -> list[str]:
    """Microseconds since the epoch (UTC) → SQLAlchemy's SQLite DATETIME text ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    text = np.char.replace(np.datetime_as_string(_EPOCH + us.astype("timedelta64[us]"), unit="us"), "T", " ")
    out: list[str] = text.tolist()
    return out
