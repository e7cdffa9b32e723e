"""IOC (指挥大屏) data API latency with 1,000,000 cases in SQLite.

    python bench/dashboard.py [--quick] [--reps N] [--keep | --reuse DIR] [--stats app|full|none] [--until-now]

Builds a throwaway database (the full Shenzhen demo: ~4,000 grids, 10 buildings per community), bulk-inserts
a year of synthetic cases with plain Core INSERTs (statuses mostly closed or rated, the recent ones often
still open, ratings, first deadlines and handling times, some late, returned, reopened and escalated cases,
the lead/co task rows the routing would create, and the escalate / warn_red / rate transitions the dashboard
reads; the schema's composite indexes serve the dashboard's period-bounded queries), then measures every
/api/dashboard endpoint through the FastAPI app (TestClient, result cache disabled, so the SQL is measured)
for the leader of the busiest district. Anchors, timed in the same run on the same table:

    SELECT status, count(*) FROM event GROUP BY status          (counters, rankings, map, warnings, trend)
    SELECT category_id, count(*) FROM event GROUP BY category_id  (breakdowns, hotspots)

The synthetic year ends where the current week or month (Asia/Shanghai) ends, whichever is later, so that
today, this week and this month hold a full period of cases whatever the day of the run (the worst case of the
month-to-date figures; --until-now ends it at the moment of the run instead, which on the 1st of a month leaves
"this month" nearly empty). The planner's statistics are those the application itself writes (`gridgov init`
and the demo loader run gridgov.migrate.analyze, a sampled ANALYZE); --stats full or none measures the plans
under a complete ANALYZE or none at all.

Prints one JSON line per figure on stdout ({"metric","value","unit","anchor","anchor_value"}); progress on
stderr. --quick: 100,000 cases. The temporary directory is removed at exit unless --keep; --reuse DIR measures
the database an earlier --keep run left in DIR (migrated to the current schema first) without building it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BenchEnv,
    build_demo_db,
    emit,
    install_sigterm_handler,
    load_note,
    log,
    percentile,
    prepare_env,
    reuse_env,
)
from _world import World, load_world, sqlite_times

OPEN_STATUSES = ["reported", "filed", "dispatched", "accepted", "handled", "returned", "on_hold"]
OPEN_WEIGHTS = [0.06, 0.04, 0.20, 0.50, 0.12, 0.03, 0.05]
DONE_STATUSES = ["rated", "closed", "rejected"]
DONE_WEIGHTS = [0.45, 0.49, 0.06]
CHANNELS = ["grid_patrol", "photo", "hotline_12345", "dispute", "iot"]
CHANNEL_WEIGHTS = [0.55, 0.2, 0.17, 0.05, 0.03]
LEAD_TASK_STATUS = {
    "dispatched": "pending",
    "accepted": "accepted",
    "on_hold": "accepted",
    "handled": "reported",
    "closed": "done",
    "rated": "done",
    "returned": "cancelled",
}
TIER_UP = {"grid": "community", "community": "street", "street": "district", "district": "district"}
MIN_US = 60_000_000
HOUR_US = 3600_000_000
DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Sizes:
    events: int
    reps: int

    @classmethod
    def for_mode(cls, quick: bool, reps: int | None) -> Sizes:
        return cls(100_000, reps or 15) if quick else cls(1_000_000, reps or 30)


EVENT_COLS = [
    "id",
    "number",
    "title",
    "description",
    "channel",
    "category_id",
    "status",
    "level",
    "grid_id",
    "division_path",
    "owner_division_id",
    "area_class",
    "address_text",
    "lon",
    "lat",
    "reporter_id",
    "self_handled",
    "reported_at",
    "filed_at",
    "dispatched_at",
    "handled_at",
    "closed_at",
    "updated_at",
    "clock_started_at",
    "warn_at",
    "deadline_at",
    "first_deadline_at",
    "sla_state",
    "ever_overdue",
    "extension_granted_hours",
    "supervised_count",
    "escalation_count",
    "return_count",
    "reopen_count",
    "rating",
]
TASK_COLS = ["id", "event_id", "role", "department_id", "grid_id", "status", "created_at", "done_at"]
TRANSITION_COLS = [
    "event_id",
    "action",
    "from_status",
    "to_status",
    "actor_id",
    "actor_role",
    "attachments",
    "data",
    "at",
]


def _sql(table: str, cols: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


class Generator:
    """A year of synthetic but valid cases over the real grids, categories and routing; ids follow time."""

    def __init__(self, world: World, now_us: int, seed: int) -> None:
        self.w, self.now_us = world, now_us
        self.rng = np.random.default_rng(seed)
        self.event_id = self.task_id = 1
        self.statuses: Counter[str] = Counter()

    def batch(
        self, age_us: np.ndarray[Any, np.dtype[np.int64]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        w, rng, n = self.w, self.rng, len(age_us)
        gi = rng.choice(len(w.grid_ids), size=n, p=w.grid_weight)
        ci = rng.choice(len(w.cats), size=n, p=w.cat_weight)
        chan = rng.choice(len(CHANNELS), size=n, p=CHANNEL_WEIGHTS)
        reported = self.now_us - age_us
        age_days = age_us / DAY_US
        is_open = rng.random(n) < 0.01 + 0.9 * np.exp(-age_days / 3.0)
        st_open = rng.choice(len(OPEN_STATUSES), size=n, p=OPEN_WEIGHTS)
        st_done = rng.choice(len(DONE_STATUSES), size=n, p=DONE_WEIGHTS)
        filed = reported + rng.integers(5 * MIN_US, 90 * MIN_US, n)
        dispatched = filed + rng.integers(5 * MIN_US, 60 * MIN_US, n)
        limit_h = np.array(
            [w.cats[c].limit_hours[w.grid_area[g]] for c, g in zip(ci.tolist(), gi.tolist(), strict=True)]
        )
        span = (limit_h * 4.8 * HOUR_US).astype(np.int64)  # ~4.8 wall hours per working hour
        deadline = dispatched + span
        warn = dispatched + (span * 0.8).astype(np.int64)
        late = rng.random(n) < 0.1
        factor = np.where(late, rng.uniform(1.05, 2.5, n), rng.uniform(0.1, 0.95, n))
        handled = dispatched + (span * factor).astype(np.int64)
        closed = handled + rng.integers(30 * MIN_US, 300 * MIN_US, n)
        rate_at = closed + rng.integers(HOUR_US, 48 * HOUR_US, n)
        rating = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.7, 0.2, 0.06, 0.03, 0.01])
        u_esc, u_ret, u_reo, u_self = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
        lon = w.grid_lon[gi] + rng.uniform(-3e-4, 3e-4, n)
        lat = w.grid_lat[gi] + rng.uniform(-3e-4, 3e-4, n)
        ts = {
            k: sqlite_times(v)
            for k, v in {
                "rep": reported,
                "fil": filed,
                "dis": dispatched,
                "dead": deadline,
                "warn": warn,
                "hand": handled,
                "clo": closed,
                "rate": rate_at,
                "esc": dispatched + span // 2,
                "day": reported + 8 * HOUR_US,
            }.items()
        }
        events: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        trans: list[tuple[Any, ...]] = []
        now = self.now_us
        for k in range(n):
            eid = self.event_id
            self.event_id += 1
            g, c = int(gi[k]), int(ci[k])
            cat, channel = w.cats[c], CHANNELS[int(chan[k])]
            st = OPEN_STATUSES[int(st_open[k])] if is_open[k] else DONE_STATUSES[int(st_done[k])]
            if int(closed[k]) > now and st in ("closed", "rated"):
                st = "handled" if int(handled[k]) <= now else "accepted"
            if int(dispatched[k]) > now and st not in ("reported", "filed", "rejected"):
                st = "filed" if int(filed[k]) <= now else "reported"
            self_handled = (
                channel == "grid_patrol" and cat.self_handle and st in ("closed", "rated") and u_self[k] < 0.4
            )
            self.statuses[st] += 1
            anc = w.grid_anc[g]
            level = "grid" if self_handled else cat.level
            escalated = not self_handled and u_esc[k] < 0.03
            after_dispatch = not self_handled and st not in ("reported", "filed", "rejected")
            if escalated and after_dispatch:
                level = TIER_UP[level]
            route = w.route(c, g, level) if after_dispatch else None
            done = st in ("handled", "closed", "rated")
            running = st in ("dispatched", "accepted")
            is_late = bool(late[k]) and after_dispatch
            sla = "normal"
            if running:
                sla = "red" if int(deadline[k]) <= now else "yellow" if int(warn[k]) <= now else "normal"
            rep = ts["rep"][k]
            hand = rep if self_handled else ts["hand"][k] if done else None
            clo = ts["clo"][k] if st in ("closed", "rated") else ts["fil"][k] if st == "rejected" else None
            reporter = (
                w.grid_worker[g]
                if channel in ("grid_patrol", "dispute")
                else w.residents[k % len(w.residents)]
                if channel == "photo" and w.residents
                else w.dispatcher_by_div.get(anc["district"])
                if channel == "hotline_12345"
                else None
            )
            day = ts["day"][k]
            events.append(
                (
                    eid,
                    f"{day[:4]}{day[5:7]}{day[8:10]}{eid:08d}",
                    f"{cat.code} 事件 {eid}",
                    "",
                    channel,
                    cat.id,
                    st,
                    route.level if route else level,
                    w.grid_ids[g],
                    w.grid_paths[g],
                    route.owner_division_id if route else anc[level],
                    w.grid_area[g],
                    "",
                    round(float(lon[k]), 6),
                    round(float(lat[k]), 6),
                    reporter,
                    self_handled,
                    rep,
                    None if self_handled or st in ("reported", "rejected") else ts["fil"][k],
                    ts["dis"][k] if after_dispatch else None,
                    hand,
                    clo,
                    clo or hand or rep,
                    ts["dis"][k] if after_dispatch else None,
                    ts["warn"][k] if after_dispatch else None,
                    ts["dead"][k] if after_dispatch else None,
                    ts["dead"][k] if after_dispatch else None,
                    sla,
                    bool((is_late and done) or (running and sla == "red")),
                    0.0,
                    0,
                    int(escalated and after_dispatch) + int(is_late),
                    int(not self_handled and after_dispatch and u_ret[k] < 0.03),
                    int(st in ("closed", "rated") and u_reo[k] < 0.01),
                    int(rating[k]) if st == "rated" else None,
                )
            )
            if self_handled:
                tasks.append((self.task_id, eid, "lead", None, w.grid_ids[g], "done", rep, rep))
                self.task_id += 1
            elif route is not None:
                lead_status = LEAD_TASK_STATUS[st]
                done_at = hand if lead_status in ("reported", "done") else None
                tasks.append(
                    (
                        self.task_id,
                        eid,
                        "lead",
                        route.lead_department_id,
                        route.lead_grid_id,
                        lead_status,
                        ts["dis"][k],
                        done_at,
                    )
                )
                self.task_id += 1
                for dept in route.co_department_ids:
                    tasks.append((self.task_id, eid, "co", dept, None, lead_status, ts["dis"][k], done_at))
                    self.task_id += 1
            if escalated and after_dispatch:
                trans.append((eid, "escalate", "accepted", "dispatched", None, "dispatcher", "[]", "{}", ts["esc"][k]))
            if is_late and (done or running):
                trans.append((eid, "warn_red", "accepted", "accepted", None, "system", "[]", "{}", ts["dead"][k]))
                trans.append((eid, "escalate", "accepted", "dispatched", None, "system", "[]", "{}", ts["dead"][k]))
            if st == "rated":
                trans.append((eid, "rate", "closed", "rated", reporter, "resident", "[]", "{}", ts["rate"][k]))
        return events, tasks, trans


def bulk_insert(engine: Any, gen: Generator, total: int, batch_size: int = 50_000) -> tuple[int, int]:
    ages = np.sort(gen.rng.integers(0, 365 * DAY_US, total))[::-1].copy()  # oldest first: ids follow time
    ev_sql, task_sql, tr_sql = (
        _sql("event", EVENT_COLS),
        _sql("event_task", TASK_COLS),
        _sql("event_transition", TRANSITION_COLS),
    )
    n_tasks = n_trans = 0
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-1048576")
        for start in range(0, total, batch_size):
            events, tasks, trans = gen.batch(ages[start : start + batch_size])
            conn.exec_driver_sql(ev_sql, events)
            conn.exec_driver_sql(task_sql, tasks)
            if trans:
                conn.exec_driver_sql(tr_sql, trans)
            conn.commit()
            n_tasks, n_trans = n_tasks + len(tasks), n_trans + len(trans)
            done = start + len(events)
            if done == total or (done // batch_size) % 4 == 0:
                log(f"inserted {done:,}/{total:,} cases ({done / (time.perf_counter() - t):,.0f}/s)")
    return n_tasks, n_trans


# --- measuring ------------------------------------------------------------------------------------------


class GcWatch:
    """Full (generation 2) garbage collections and their pause, so that outliers can be told apart.

    The app process holds the address engines (hundreds of thousands of objects): a full collection pauses
    every request for ~100 ms. A server should gc.freeze() its heap once the engines are loaded; the bench does
    so after the warm-up pass and reports the pause it avoids."""

    def __init__(self) -> None:
        self.count, self.ms, self._t = 0, 0.0, 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.count += 1
            self.ms += (time.perf_counter() - self._t) * 1000

    def take(self) -> tuple[int, float]:
        out = (self.count, self.ms)
        self.count, self.ms = 0, 0.0
        return out


def timed(fn: Callable[[], Any], reps: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("summary_today", "summary", {"period": "today"}, "status"),
    ("summary_week", "summary", {"period": "week"}, "status"),
    ("summary_month", "summary", {"period": "month"}, "status"),
    ("trend_30d", "trend", {"days": 30}, "status"),
    ("breakdown_major_month", "breakdown", {"by": "major", "period": "month"}, "category"),
    ("breakdown_channel_month", "breakdown", {"by": "channel", "period": "month"}, "category"),
    ("breakdown_child_month", "breakdown", {"by": "child", "period": "month"}, "category"),
    ("breakdown_department_month", "breakdown", {"by": "department", "period": "month"}, "category"),
    ("rankings_child_month", "rankings", {"by": "child", "period": "month"}, "status"),
    ("rankings_department_month", "rankings", {"by": "department", "period": "month"}, "status"),
    ("warnings", "warnings", {"limit": 50}, "status"),
    ("hotspots_month", "hotspots", {"period": "month", "limit": 10}, "category"),
    ("map_streets", "map", {}, "status"),
    ("map_grids", "map", {"level": "grid"}, "status"),
]


def measure(env: BenchEnv, engine: Any, sizes: Sizes, district_code: str) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from gridgov.app import create_app
    from gridgov.config import get_settings
    from gridgov.dashboard.cache import RESULTS

    RESULTS.ttl = 0  # measure the SQL, not the 5-second result cache
    anchors: dict[str, list[float]] = {}
    with engine.connect() as conn:
        anchors["status"] = timed(
            lambda: conn.exec_driver_sql("SELECT status, count(*) FROM event GROUP BY status").all(), sizes.reps
        )
        anchors["category"] = timed(
            lambda: conn.exec_driver_sql("SELECT category_id, count(*) FROM event GROUP BY category_id").all(),
            sizes.reps,
        )
    anchor_name = {
        "status": "sql_group_by_status_all_events",
        "category": "sql_group_by_category_all_events",
    }
    for k, v in anchors.items():
        log(f"anchor {anchor_name[k]}: p50 {percentile(v, 50):.1f} ms, p95 {percentile(v, 95):.1f} ms")
    app = create_app(get_settings(), engine, sweeper=False)
    watch = GcWatch()
    worst = 0.0
    with TestClient(app) as client:
        r = client.post(
            "/api/auth/token", data={"username": f"ldr_{district_code}", "password": env.role_passwords["leader"]}
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        # The app builds its address engines on a thread of its own at start-up, then collects and freezes the
        # heap: measured while that runs, the first endpoints would be charged for it.
        t = time.perf_counter()
        for thread in threading.enumerate():
            if thread.name == "warm-up":
                thread.join()
        log(f"waited {time.perf_counter() - t:.1f}s for the app's warm-up thread")
        # One pass over every endpoint loads the process-wide caches (org snapshot, categories, geometry);
        # then a full collection, so that the start-up garbage is not charged to the first endpoint measured.
        for _name, path, params, _anchor in CASES:
            client.get(f"/api/dashboard/{path}", params=params, headers=headers).raise_for_status()
        t = time.perf_counter()
        gc.collect()
        pause = (time.perf_counter() - t) * 1000
        log(
            f"a full garbage collection of the app process ({len(gc.get_objects()):,} tracked objects besides the "
            f"heap the app froze after its warm-up) pauses {pause:.0f} ms; frozen too for the measurement"
        )
        gc.freeze()
        for name, path, params, anchor in CASES:
            url = f"/api/dashboard/{path}"
            sizes_seen: list[int] = []

            def call(url: str = url, params: dict[str, Any] = params, sizes_seen: list[int] = sizes_seen) -> None:
                resp = client.get(url, params=params, headers=headers)
                if resp.status_code != 200:
                    raise RuntimeError(f"{url} {params}: HTTP {resp.status_code} {resp.text[:300]}")
                sizes_seen.append(len(resp.content))

            watch.take()
            lat = timed(call, sizes.reps)
            p50, p95 = percentile(lat, 50), percentile(lat, 95)
            worst = max(worst, p95)
            n_gc, gc_ms = watch.take()
            log(
                f"{name:28s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {max(lat):7.1f} ms  "
                f"({sizes_seen[-1] / 1024:,.0f} KiB; {n_gc} full GCs, {gc_ms:.0f} ms)"
            )
            a = anchors[anchor]
            emit(f"dashboard_{name}_p50_ms", p50, "ms", anchor_name[anchor] + "_p50_ms", percentile(a, 50))
            emit(f"dashboard_{name}_p95_ms", p95, "ms", anchor_name[anchor] + "_p95_ms", percentile(a, 95))
        # What a wall screen polling every few seconds mostly gets: the 5-second result cache.
        RESULTS.ttl = 5.0
        lat = timed(
            lambda: client.get("/api/dashboard/summary", params={"period": "month"}, headers=headers), sizes.reps
        )
        RESULTS.ttl = 0
        log(f"{'summary_month (cached)':28s} p50 {percentile(lat, 50):7.1f} ms  p95 {percentile(lat, 95):7.1f} ms")
        a = anchors["status"]
        emit(
            "dashboard_summary_month_cached_p50_ms",
            percentile(lat, 50),
            "ms",
            anchor_name["status"] + "_p50_ms",
            percentile(a, 50),
        )
    gc.unfreeze()
    log(f"worst endpoint p95 {worst:.1f} ms; target < 300 ms {'met' if worst < 300 else 'NOT met'}")
    return {"worst_p95": worst}


def data_end(now: datetime) -> datetime:
    """The later of the ends of the current week and month on the Asia/Shanghai calendar (one second before)."""
    from gridgov.common.timeutil import SHANGHAI, to_local

    today = to_local(now).date()
    week_end = today + timedelta(days=7 - today.weekday())
    month_end = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = max(week_end, month_end)
    return datetime(end.year, end.month, end.day, tzinfo=SHANGHAI) - timedelta(seconds=1)


CASE_TABLES = ("event", "event_task", "event_transition")


def set_statistics(engine: Any, mode: str) -> None:
    """The planner's statistics: `app` those gridgov writes itself (gridgov.migrate.analyze, run by `gridgov init`
    and the demo loader), `full` a complete ANALYZE, `none` none for the case tables (a database that grew after
    its last ANALYZE ran on empty tables)."""
    from gridgov.migrate import analyze

    t = time.perf_counter()
    if mode == "app":
        analyze(engine)
    else:
        with engine.connect() as conn:
            if mode == "full":
                conn.exec_driver_sql("PRAGMA analysis_limit=0")
                conn.exec_driver_sql("ANALYZE")
            else:
                conn.exec_driver_sql("ANALYZE")  # creates sqlite_stat1 when it does not exist yet
                marks = ", ".join("?" * len(CASE_TABLES))
                conn.exec_driver_sql(f"DELETE FROM sqlite_stat1 WHERE tbl IN ({marks})", CASE_TABLES)
            conn.commit()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_event_status_path'").all()
    log(f"statistics: {mode} in {time.perf_counter() - t:.1f}s (ix_event_status_path: {rows[0][0] if rows else '-'})")


def build(env: BenchEnv, sizes: Sizes, until_now: bool) -> None:
    """The demo and a year of synthetic cases in env.base_db."""
    from gridgov.common.timeutil import utcnow
    from gridgov.db import make_engine

    build_demo_db(env, buildings_per_community=10)
    engine = make_engine(env.url(env.base_db))
    world = load_world(engine, seed=20261122)
    now = utcnow()
    end = now if until_now else data_end(now)
    gen = Generator(world, int(end.timestamp() * 1_000_000), seed=7)
    t = time.perf_counter()
    n_tasks, n_trans = bulk_insert(engine, gen, sizes.events)
    log(
        f"{sizes.events:,} cases until {end:%Y-%m-%d %H:%M} UTC, {n_tasks:,} tasks, {n_trans:,} transitions in "
        f"{time.perf_counter() - t:.1f}s; statuses {dict(gen.statuses.most_common())}"
    )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100,000 cases instead of 1,000,000")
    parser.add_argument("--reps", type=int, default=None, help="timed requests per endpoint")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--reuse", type=Path, metavar="DIR", help="measure the database an earlier --keep run left")
    parser.add_argument(
        "--stats", choices=("app", "full", "none"), default="app", help="the planner's statistics (default: app)"
    )
    parser.add_argument("--until-now", action="store_true", help="the synthetic year ends now, not at the period end")
    args = parser.parse_args(argv)
    install_sigterm_handler()
    sizes = Sizes.for_mode(args.quick, args.reps)
    env = reuse_env(args.reuse) if args.reuse else prepare_env("gridgov-bench-dashboard-")
    try:
        log(f"{load_note()}; {sizes.reps} timed requests per endpoint")
        if args.reuse:
            from gridgov.db import make_engine
            from gridgov.migrate import upgrade

            upgrade(make_engine(env.url(env.base_db)))  # the schema of this checkout
            log(f"reusing {env.base_db}")
        else:
            build(env, sizes, args.until_now)
        from gridgov.common.timeutil import utcnow
        from gridgov.db import make_engine

        engine = make_engine(env.url(env.base_db))
        set_statistics(engine, args.stats)
        with engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM event").scalar_one()
        log(f"database {env.base_db.stat().st_size / 2**20:,.0f} MiB, {n:,} cases")
        world = load_world(engine, seed=20261122)
        district = world.busiest_district()
        info = world.snap.divisions[district]
        share = sum(1 for p in world.grid_paths if p.startswith(info.path)) / len(world.grid_paths)
        log(f"viewer: leader of {info.name} ({info.code}), {share:.0%} of the grids; now {utcnow():%Y-%m-%d %H:%M} UTC")
        code = info.code
        del world, info  # the world's objects would only slow the full GCs down
        gc.collect()
        measure(env, engine, sizes, code)
        engine.dispose()
    finally:
        if args.keep and not args.reuse:
            log(f"kept {env.root} (measure it again with --reuse {env.root})")
        elif not args.reuse:
            env.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
