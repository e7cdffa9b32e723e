"""Notification delivery throughput (part of bench/dispatch.py, `--only notify`).

Cases are written through the intake port's batch path (auto-dispatched hotline orders: report → file →
dispatch, so each dispatch tells the lead department's handlers of a new task) and anonymous 随手拍 reports with
a phone (each gets a receipt by SMS through the file adapter). Then one `NotifyWorker.run_once()` plans them
from the outbox and sends every delivery; the figures are notifications (and outbox events) per second through
the worker, against the anchor: a plain scan of the same outbox rows in batches of 500 (SELECT * ... WHERE id >
position ORDER BY id LIMIT 500), measured in the same run.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import emit, log


@contextlib.contextmanager
def gc_time() -> Iterator[dict[str, float]]:
    """Time spent in the cyclic garbage collector inside the block (a diagnostic: ORM objects made in a process
    holding a large heap trigger collections that walk all of it)."""
    seen: dict[str, float] = {"seconds": 0.0, "passes": 0, "full": 0}
    started: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            seen["seconds"] += time.perf_counter() - started.pop()
            seen["passes"] += 1
            seen["full"] += info.get("generation") == 2

    gc.callbacks.append(callback)
    try:
        yield seen
    finally:
        gc.callbacks.remove(callback)


def bench_notify(
    ctx: Any, fresh_engine: Any, principal: Any, hotline_bodies: Any, report_in: Any, profiled: Any
) -> None:
    from sqlalchemy import func, select

    from gridgov.common.events import DomainEvent, last_id
    from gridgov.common.principal import Principal, Role
    from gridgov.common.uow import atomic_retrying_a_race, one_action
    from gridgov.config import get_settings
    from gridgov.db import session_factory
    from gridgov.dispatch.commands import IntakeCommand
    from gridgov.dispatch.intake import submit, submit_batch
    from gridgov.notify.models import Notification, NotificationDelivery
    from gridgov.notify.rules import watched_events
    from gridgov.notify.worker import NotifyWorker

    world = ctx.world
    assert world is not None
    n_cases = ctx.sizes.service_events  # 3,000 (500 with --quick) dispatched cases
    n_public = max(n_cases // 3, 100)
    engine, _ = fresh_engine(ctx, "notify")
    sms = Path(tempfile.mkdtemp(prefix="gridgov-bench-sms-")) / "sms.jsonl"
    settings = get_settings().model_copy(
        update={"notify_sms": "file", "notify_sms_file": str(sms), "notify_quiet_hours": ""}
    )
    factory = session_factory(engine, settings)
    NotifyWorker(factory, settings, 0).run_once()  # the planner starts at the outbox head
    with factory() as s:
        start = last_id(s)
    district = world.busiest_district()
    with factory() as s:
        actor = principal(s, world.dispatcher_name_by_div[district])
    bodies = [report_in(**b) for b in hotline_bodies(world, district, n_cases + n_public, 7, "notify")]
    t = time.perf_counter()
    for i in range(0, n_cases, 500):
        commands = [b.to_command(auto_dispatch=True) for b in bodies[i : min(i + 500, n_cases)]]
        with factory() as s:
            atomic_retrying_a_race(s, functools.partial(submit_batch, s, actor, commands))
    for i, b in enumerate(bodies[n_cases:]):
        public = Principal(user_id=None, username="public", role=Role.RESIDENT, public_scope=f"bench{i}")
        cmd = IntakeCommand(title=b.title, grid_code=b.grid_code, reporter_phone=b.reporter_phone)
        with factory() as s:
            one_action(submit, s, public, cmd)
    with factory() as s:
        head = last_id(s)
        watched = s.scalar(select(func.count()).where(DomainEvent.id > start, DomainEvent.name.in_(watched_events())))
    events = head - start
    log(f"notify: {n_cases} dispatched cases and {n_public} public reports written in {time.perf_counter() - t:.1f}s")
    log(f"notify: {events} outbox events, {watched} of them of the kinds that notify someone")

    # anchor: a plain scan of the same outbox rows, as the planner reads them (before the worker, so both read
    # the same rows from the same cache state the second time round: the scan is run twice, the second timed)
    def scan() -> float:
        t0 = time.perf_counter()
        position = start
        with engine.connect() as conn:
            while True:
                rows = conn.execute(
                    select(DomainEvent.__table__).where(DomainEvent.id > position).order_by(DomainEvent.id).limit(500)
                ).all()
                if not rows:
                    break
                position = rows[-1].id
        return time.perf_counter() - t0

    scan()
    scan_s = scan()

    worker = NotifyWorker(factory, settings, 0)
    with profiled(ctx.profile, "notify worker"), gc_time() as in_gc:
        t0 = time.perf_counter()
        done = worker.run_once()
        worker_s = time.perf_counter() - t0
    log(
        f"notify: {in_gc['seconds']:.2f}s of the worker's {worker_s:.2f}s in {in_gc['passes']} cyclic GC passes "
        f"({in_gc['full']} full) over this process's heap ({len(gc.get_objects()):,} tracked objects)"
    )
    with factory() as s:
        made = s.scalar(select(func.count()).select_from(Notification)) or 0
        by_status = dict(
            s.execute(select(NotificationDelivery.channel, func.count()).group_by(NotificationDelivery.channel)).all()
        )
        unsent = s.scalar(select(func.count()).where(NotificationDelivery.status != "sent")) or 0
    texts = sum(1 for _ in sms.open(encoding="utf-8")) if sms.exists() else 0
    assert done.events == watched and unsent == 0 and texts == by_status.get("sms", 0), (done, unsent, texts)
    rate, scan_rate = made / worker_s, events / scan_s
    log(
        f"notify: {made} notifications ({by_status}) from {events} events in {worker_s:.2f}s through the worker "
        f"= {rate:.0f} notifications/s, {events / worker_s:.0f} events/s; {texts} texts in the SMS file"
    )
    log(f"notify anchor: plain outbox scan of the same {events} rows in {scan_s:.3f}s = {scan_rate:.0f} events/s")
    emit("notify_delivery_notifications_per_s", rate, "notifications/s", "outbox_scan_events_per_s", scan_rate)
    emit("notify_worker_events_per_s", events / worker_s, "events/s", "outbox_scan_events_per_s", scan_rate)
    engine.dispose()
