"""IoT telemetry ingest with alarm rules, against a plain insert of the same messages, and the no-storm property.

    python bench/alarms.py [--quick]

On a throwaway demo database (福田区) with the demo's hazard sources and one device each:

* ``telemetry_ingest_msgs_per_s``: messages per second through `hazards.ingest.ingest` — every applicable rule
  (the device type's and the no-data rule) evaluated on every message, rule memories and last-seen kept, alarms
  raised and their cases opened through the intake port — in batches of BATCH messages, one committed unit of
  work each, called exactly as an HTTP batch or an MQTT flush calls it (the enabled rules read by ingest itself).
  Anchors, same run, same messages, a fresh copy of the same database each, committed per batch: a plain Core
  insert of the rows into the telemetry table (SQLAlchemy's executemany with its type processing), and a raw
  sqlite3 ``executemany`` of the same rows, JSON encoded beforehand (the floor: the insert alone, nothing else).
* ``telemetry_ingest_msgs_per_cpu_s``: the same three runs per second of the process's CPU time (steadier than
  wall time when other work shares the machine; waits on the disk are not counted).
* ``telemetry_mqtt_flush_msgs_per_s`` (and per CPU-second): the same samples as MQTT payloads (one message per
  device and batch, with its key) through `hazards.mqtt.process`, the bridge's flush: JSON parsing, one key lookup
  per flush, payload checks, then the same ingest. Anchor: the plain Core insert above.
* ``chatter_cases_per_alarm_episode``: a replay where every smoke sensor chatters across its threshold with quiet
  stretches long enough, now and then, to clear the alarm. An episode is a device's alarming from its first raise
  until its case is closed (no case is closed here, so: one per device that alarmed); the figure is cases opened
  per episode (1.0 is the no-storm property). Anchor: the cases a feed opening one per threshold crossing would
  have opened per episode.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from _common import build_demo_db, emit, install_sigterm_handler, load_note, log, prepare_env

BATCH = 1000


def _messages(devices: list[Any], per_device: int, start: float, seed: int) -> list[list[tuple[Any, list[Any]]]]:
    """Batches of (device, samples): each batch holds BATCH messages, a few samples per device, in time order."""
    from gridgov.demo.hazards import CLASS_DEVICES
    from gridgov.hazards.payload import Sample

    rnd = random.Random(seed)
    keys = {"smoke": "smoke", "water_level": "water_level", "gas": "gas_lel", "tilt": "tilt", "crowd": "density"}
    calm = {v[0]: v[2] for v in CLASS_DEVICES.values()}
    per_batch = max(1, BATCH // len(devices))
    batches: list[list[tuple[Any, list[Any]]]] = []
    for step in range(0, per_device, per_batch):
        batch = []
        for i, dev in enumerate(devices):
            samples = []
            for k in range(step, min(step + per_batch, per_device)):
                base = calm[dev.device_type]
                spike = 40 * base if (i % 23 == 0 and k > per_device // 2) else 0.0  # a few devices alarm
                samples.append(
                    Sample(start + k * 30.0, {keys[dev.device_type]: round(base * rnd.uniform(0.8, 1.2) + spike, 4)})
                )
            batch.append((dev, samples))
        batches.append(batch)
    return batches


def _profiler(enabled: bool) -> Any:
    """A running cProfile profiler when --profile was given (the timed part only), else None."""
    if not enabled:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _report(profiler: Any) -> None:
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    ap.add_argument("--profile", action="store_true", help="cProfile the timed ingest (stderr)")
    args = ap.parse_args(argv)
    install_sigterm_handler()
    import gridgov.models  # noqa: F401

    env = prepare_env("gridgov-bench-alarms-")
    t_all = time.perf_counter()
    try:
        build_demo_db(env, ["福田区"], grids=120, buildings_per_community=20)
        from sqlalchemy import Table, func, insert, select

        from gridgov.common.uow import UnitOfWork
        from gridgov.db import make_engine, session_factory
        from gridgov.demo.hazards import load_sources
        from gridgov.dispatch.models import Event
        from gridgov.hazards.alarms import DeviceInfo
        from gridgov.hazards.ingest import ingest
        from gridgov.hazards.models import Alarm, Device, Telemetry
        from gridgov.hazards.payload import Sample
        from gridgov.org import cache

        engine = make_engine(env.url(env.base_db))
        with session_factory(engine)() as s, UnitOfWork(s):
            loaded = load_sources(s, per_street=12 if args.quick else 50)
        engine.dispose()
        log(f"{loaded.sources} hazard sources, {loaded.devices} devices")
        from _common import checkpoint

        checkpoint(env.base_db)
        per_device = 40 if args.quick else 200
        start = time.time() - 86400

        # --- ingest with rules and alarms -------------------------------------------------------------
        cache.invalidate()
        engine = make_engine(env.url(env.clone("ingest")))
        factory = session_factory(engine)
        with factory() as s:
            devices = [DeviceInfo.of(d) for d in s.scalars(select(Device).order_by(Device.id))]
        batches = _messages(devices, per_device, start, seed=5)
        total = sum(len(samples) for batch in batches for _d, samples in batch)
        log(f"ingest: {total} messages in {len(batches)} batches ({load_note()})")
        raised = 0
        profiler = _profiler(args.profile)
        t, c = time.perf_counter(), time.process_time()
        for batch in batches:
            with factory() as s, UnitOfWork(s):
                result = ingest(s, batch, now=datetime.now(UTC))
                raised += result.changes["create"]
        took, rate_cpu = time.perf_counter() - t, total / (time.process_time() - c)
        _report(profiler)
        rate = total / took
        log(f"ingest: {rate:,.0f} msg/s ({took:.2f}s), {raised} alarms raised")
        engine.dispose()

        # --- the anchor: a plain insert of the same rows ----------------------------------------------
        cache.invalidate()
        engine = make_engine(env.url(env.clone("plain")))
        table = cast(Table, Telemetry.__table__)
        stmt = insert(table)
        t, c = time.perf_counter(), time.process_time()
        for batch in batches:
            rows = [
                {"device_id": d.id, "ts": round(x.ts * 1000), "values": x.values}
                for d, samples in batch
                for x in samples
            ]
            with engine.begin() as conn:
                conn.execute(stmt, rows)
        plain, plain_cpu = total / (time.perf_counter() - t), total / (time.process_time() - c)
        log(f"plain insert: {plain:,.0f} msg/s")
        engine.dispose()

        # --- the floor: a raw sqlite3 executemany of the same rows, JSON encoded beforehand ------------------
        import json
        import sqlite3

        raw_rows = [
            [(d.id, round(x.ts * 1000), json.dumps(x.values)) for d, samples in batch for x in samples]
            for batch in batches
        ]
        db = sqlite3.connect(env.clone("raw"))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        t, c = time.perf_counter(), time.process_time()
        for chunk in raw_rows:
            with db:
                db.executemany('INSERT INTO telemetry (device_id, ts, "values") VALUES (?, ?, ?)', chunk)
        raw, raw_cpu = total / (time.perf_counter() - t), total / (time.process_time() - c)
        db.close()
        log(f"raw sqlite3 executemany: {raw:,.0f} msg/s")
        emit("telemetry_ingest_msgs_per_s", rate, "msg/s", "plain_core_insert_same_messages_msgs_per_s", plain)
        emit("telemetry_ingest_msgs_per_s", rate, "msg/s", "raw_sqlite3_executemany_same_messages_msgs_per_s", raw)
        # the same runs per second of this process's CPU time: steadier than wall time on a shared, loaded machine
        cpu = "msg/cpu_s"
        emit("telemetry_ingest_msgs_per_cpu_s", rate_cpu, cpu, "plain_core_insert_msgs_per_cpu_s", plain_cpu)
        emit("telemetry_ingest_msgs_per_cpu_s", rate_cpu, cpu, "raw_sqlite3_executemany_msgs_per_cpu_s", raw_cpu)

        # --- the same messages as MQTT payloads through the bridge's flush (parse, one key lookup, ingest) ----
        from gridgov.hazards.mqtt import process, topic_for

        flushes = [
            [
                (
                    topic_for(d.code),
                    json.dumps(
                        {
                            "key": loaded.keys[d.code],
                            "telemetry": [{"ts": round(x.ts * 1000), "values": x.values} for x in samples],
                        }
                    ).encode(),
                )
                for d, samples in batch
            ]
            for batch in batches
        ]
        cache.invalidate()
        engine = make_engine(env.url(env.clone("mqtt")))
        factory = session_factory(engine)
        profiler = _profiler(args.profile)
        t, c = time.perf_counter(), time.process_time()
        for flush in flushes:
            with factory() as s, UnitOfWork(s):
                done = process(s, flush)
                assert done.rejected == 0
        mqtt_rate, mqtt_cpu = total / (time.perf_counter() - t), total / (time.process_time() - c)
        _report(profiler)
        engine.dispose()
        log(f"mqtt flush: {mqtt_rate:,.0f} msg/s ({sum(len(f) for f in flushes)} MQTT messages, {load_note()})")
        emit("telemetry_mqtt_flush_msgs_per_s", mqtt_rate, "msg/s", "plain_core_insert_same_messages_msgs_per_s", plain)
        emit("telemetry_mqtt_flush_msgs_per_cpu_s", mqtt_cpu, cpu, "plain_core_insert_msgs_per_cpu_s", plain_cpu)

        # --- chattering replay: cases per alarm episode ------------------------------------------------
        cache.invalidate()
        engine = make_engine(env.url(env.clone("chatter")))
        factory = session_factory(engine)
        rnd = random.Random(17)
        with factory() as s:
            smoke = [
                DeviceInfo.of(d)
                for d in s.scalars(select(Device).where(Device.device_type == "smoke").order_by(Device.id))
            ]
        minutes = 120 if args.quick else 360
        crossings = 0
        last_high = {d.id: False for d in smoke}
        t0 = time.time() - minutes * 60 - 3600
        quiet_left = {d.id: 0 for d in smoke}
        for minute in range(minutes):
            batch = []
            for d in smoke:
                if quiet_left[d.id] == 0 and rnd.random() < 0.03:
                    quiet_left[d.id] = rnd.randint(3, 9)  # a quiet stretch: 5 minutes or more clears the alarm
                if quiet_left[d.id] > 0:
                    quiet_left[d.id] -= 1
                    high = False
                else:
                    high = rnd.random() < 0.5  # chattering across the threshold
                crossings += int(high and not last_high[d.id])
                last_high[d.id] = high
                batch.append((d, [Sample(t0 + minute * 60, {"smoke": 0.3 if high else 0.01})]))
            with factory() as s, UnitOfWork(s):
                ingest(s, batch, now=datetime.fromtimestamp(t0 + minute * 60, UTC) + timedelta(seconds=1))
        with factory() as s:
            ids = [d.id for d in smoke]
            episodes = int(
                s.scalar(select(func.count(func.distinct(Alarm.device_id))).where(Alarm.device_id.in_(ids))) or 0
            )
            alarms = int(s.scalar(select(func.count()).select_from(Alarm).where(Alarm.device_id.in_(ids))) or 0)
            cases = int(s.scalar(select(func.count(func.distinct(Alarm.case_id))).where(Alarm.device_id.in_(ids))) or 0)
            iot_cases = int(s.scalar(select(func.count()).select_from(Event).where(Event.channel == "iot")) or 0)
        engine.dispose()
        log(
            f"chatter: {len(smoke)} sensors, {crossings} crossings, {alarms} alarms raised, {episodes} episodes, "
            f"{cases} cases ({iot_cases} IoT cases in all)"
        )
        emit(
            "chatter_cases_per_alarm_episode",
            cases / max(1, episodes),
            "cases/episode",
            "one_case_per_threshold_crossing_cases_per_episode",
            crossings / max(1, episodes),
        )
        emit(
            "chatter_alarm_raises_per_case",
            alarms / max(1, cases),
            "raises/case",
            "threshold_crossings_per_case",
            crossings / max(1, cases),
        )
    finally:
        env.cleanup()
        log(f"done in {time.perf_counter() - t_all:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
