"""First-time-right dispatch, simulated (part of bench/dispatch.py, `--only firsttime`).

A small demo (福田区, 60 grids) with the demo catalog. Week 0's live model is the demo classifier fitted on only
three generated texts per 小类 (`demo.classify_text.train_demo_classifier`). Each simulated week, reports of
known 小类 (texts generated with a new seed every week: ground truth) enter through the intake port as 随手拍
reports without a 小类. The auto-dispatch threshold is set to 0, so that the system files and dispatches every
report (the figure is then the model's routing, not the dispatchers'; a report the model cannot place is filed
by the simulated dispatcher with its true 小类). When the system's 小类 is wrong, the lead task's holder returns
the case (`return_event`: a mis-dispatch) and the dispatcher re-routes it to the true 小类 (`dispatch_event`):
one transfer. Those corrections and the dispatchers' choices become labels through the real path (the bus
subscribers of `classify.labels`); at the end of each week the model is retrained
(`classify.versions.train_version`) on the week-0 texts plus every label so far (`history_examples`), the newest
labels held out, and goes live only if it beats the live one on them. Printed per week: the share dispatched
right the first time, the mean transfers per case and the share the system dispatched; the figures are those of
the weeks after the first two (learning), against week 0 (the model before learning) as the anchor.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _common import emit, log

WEEKS = 6
LEARNING_WEEKS = 2


def bench_first_time(ctx: Any, fresh_engine: Any, principal: Any) -> None:
    from sqlalchemy import select

    from gridgov.catalog import cache as catalog_cache
    from gridgov.classify.live import forget
    from gridgov.classify.versions import history_examples, split_recent, train_version
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.common.uow import one_action
    from gridgov.config import get_settings
    from gridgov.db import session_factory
    from gridgov.demo.classify_text import catalog_items, generate, train_demo_classifier
    from gridgov.dispatch import lifecycle as lc
    from gridgov.dispatch.commands import IntakeCommand
    from gridgov.dispatch.intake import submit_many
    from gridgov.dispatch.models import Event, EventTask
    from gridgov.dispatch.schemas import CategoryIn, NoteIn
    from gridgov.org.models import Division, GridAssignment, User
    from gridgov.wiring import wire

    per_week = 60 if ctx.sizes.service_events < 1000 else 240  # --quick: 60 reports a week
    engine, _ = fresh_engine(ctx, "firsttime")
    models = Path(tempfile.mkdtemp(prefix="gridgov-bench-models-"))
    settings = get_settings().model_copy(
        update={"var_dir": models, "classify_holdout": 40, "classify_auto_threshold": 0.0}
    )
    factory = session_factory(engine, settings)
    wire()
    forget()
    rng = random.Random(20261207)
    with factory() as s:
        one_action(train_demo_classifier, s, models, per_item=3)
        items = catalog_items(s)
        base = generate(items, 3, seed=7)  # what train_demo_classifier fitted
        grids = list(s.scalars(select(Division).where(Division.level == "grid").order_by(Division.code)))
        reporter = principal(s, "resident1")
        street_of = {g.id: s.get(Division, s.get(Division, g.parent_id).parent_id).code for g in grids}  # type: ignore[union-attr]
    weekly: list[tuple[float, float, float]] = []
    t0 = time.perf_counter()
    for week in range(WEEKS):
        truth_items = generate(items, 1, seed=1000 + week)  # one text per 小类, a new wording every week
        reports = [rng.choice(truth_items) for _ in range(per_week)]
        right = transfers = auto = 0
        with factory() as s:
            code_of = {c.id: c.code for c in catalog_cache.snapshot(s).by_id.values()}
            for start in range(0, len(reports), 50):
                chunk = reports[start : start + 50]
                places = [rng.choice(grids) for _ in chunk]
                cmds = [
                    (reporter, IntakeCommand(title=e.text, grid_code=g.code, idempotency_key=uuid.uuid4().hex))
                    for e, g in zip(chunk, places, strict=True)
                ]
                results = one_action(submit_many, s, cmds)
                for e, g, r in zip(chunk, places, results, strict=True):
                    event = s.get(Event, r.event_id)  # type: ignore[union-attr]
                    assert event is not None
                    dsp = principal(s, f"dsp_{street_of[g.id]}")
                    if event.status != "dispatched":  # below the threshold: the dispatcher reads and files it
                        one_action(lc.file_event, s, dsp, event.id, CategoryIn(category_code=e.label))
                        one_action(lc.dispatch_event, s, dsp, event.id, CategoryIn())
                        right += 1
                        continue
                    auto += 1
                    if code_of.get(event.category_id or -1) == e.label:
                        right += 1
                        continue
                    task = s.scalars(
                        select(EventTask).where(EventTask.event_id == event.id, EventTask.role == "lead")
                    ).first()
                    holder = _holder(s, task, GridAssignment, User, principal)
                    one_action(lc.return_event, s, holder, event.id, NoteIn(note="不属于本单位，退回重派"))
                    one_action(lc.dispatch_event, s, dsp, event.id, CategoryIn(category_code=e.label))
                    transfers += 1
            weekly.append((right / len(reports), transfers / len(reports), auto / len(reports)))
            log(
                f"week {week}: first-time-right {weekly[-1][0]:.3f}, transfers {weekly[-1][1]:.3f} a case, "
                f"dispatched by the system {weekly[-1][2]:.3f}"
            )
            try:
                history = history_examples(s)
                fit, held = split_recent(history, settings.classify_holdout)
                out = models / f"week{week}.joblib"
                done = one_action(train_version, s, SYSTEM_PRINCIPAL, base + fit, held, source="history", out=out)
                f1 = done.score.macro_f1 if done.score else None
                log(f"  retrained on {len(base) + len(fit)} texts: macro-F1 {f1} on the newest labels, live")
            except Exception as exc:  # a worse model is refused: the live one stays
                s.rollback()
                log(f"  retrained model not live: {getattr(exc, 'message', exc)}")
    learned = weekly[LEARNING_WEEKS:]
    ftr = sum(w[0] for w in learned) / len(learned)
    mean_transfers = sum(w[1] for w in learned) / len(learned)
    log(f"simulated {WEEKS} weeks of {per_week} reports in {time.perf_counter() - t0:.0f}s")
    anchor = "week 0: the model before learning (same run)"
    emit("dispatch_first_time_right", ftr, f"share of cases, weeks {LEARNING_WEEKS}-{WEEKS - 1}", anchor, weekly[0][0])
    emit("dispatch_mean_transfers", mean_transfers, "transfers per case", anchor, weekly[0][1])
    emit(
        "dispatch_auto_share",
        sum(w[2] for w in learned) / len(learned),
        "share dispatched by the system",
        anchor,
        weekly[0][2],
    )
    engine.dispose()


def _holder(session: Any, task: Any, grid_assignment: Any, user: Any, principal: Any) -> Any:
    """Who holds the lead task: the grid's worker, or a handler of the department."""
    from sqlalchemy import select

    if task.grid_id is not None:
        uid = session.scalar(select(grid_assignment.user_id).where(grid_assignment.grid_id == task.grid_id))
    else:
        uid = session.scalar(
            select(user.id).where(user.department_id == task.department_id, user.role == "handler").order_by(user.id)
        )
    name = session.scalar(select(user.username).where(user.id == uid))
    return principal(session, name)
