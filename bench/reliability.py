"""Reliability of intake under crashes: N concurrent reporters, each report with its own idempotency key, against
a `gridgov serve` subprocess on a temporary var dir; the server is killed with SIGKILL three times at random and
restarted while the clients keep retrying. Afterwards every acknowledged report must be in the database exactly
once. Loopback only, bounded: two phases of PHASE_SECONDS per backend, every wait capped (a restart 90 s, a
report's retries RETRY_SECONDS); measured here at a load of 9-10 on 2 CPUs: about 1.7 minutes per backend after
its demo load, 5.5 minutes in all with PostgreSQL.

Prints JSON lines: acknowledged_lost, duplicates (both targets 0), given_up (reports a client stopped retrying
unacknowledged) and reports per second under the kills, each against the same load without kills (the anchor) —
on SQLite, and on PostgreSQL when GRIDGOV_TEST_DATABASE_URL is set (a database of its own, dropped afterwards)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import build_demo_db, emit, free_port, load_note, log, prepare_env

REPORTERS = 8
PHASE_SECONDS = 25.0
KILLS = 3
RETRY_SECONDS = 60.0  # a report not acknowledged within this is given up (and counted as not acknowledged)
MIN_UP_SECONDS = 4.0  # a restarted server serves at least this long before the next kill
SEED = 12


@dataclass
class Phase:
    acknowledged: dict[str, int] = field(default_factory=dict)  # idempotency key -> case id answered
    sent_keys: set[str] = field(default_factory=set)
    retries: int = 0
    given_up: int = 0
    elapsed: float = 0.0
    kills: int = 0


class Server:
    """`gridgov serve` as a child process on a fixed port; killed with SIGKILL and started again on demand."""

    def __init__(self, db_url: str, var_dir: Path, port: int) -> None:
        self.env = {**os.environ, "GRIDGOV_DATABASE_URL": db_url, "GRIDGOV_VAR_DIR": str(var_dir)}
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import httpx

        gridgov = str(Path(sys.executable).with_name("gridgov"))
        self.proc = subprocess.Popen(
            [gridgov, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-sweeper"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gridgov serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gridgov serve did not become ready within 90 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def bearer(base_url: str, username: str, password: str) -> dict[str, str]:
    """The one log-in of this script: a machine client's bearer token (OAuth2 password form)."""
    import httpx

    r = httpx.post(base_url + "/api/auth/token", data={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def reporter(server: Server, headers: dict[str, str], grid_code: str, phase: Phase, stop_at: float, lock: Any) -> None:
    """Report until `stop_at`; each report is retried (same key) until the server acknowledges it."""
    import httpx

    with httpx.Client(timeout=10.0) as client:
        while time.monotonic() < stop_at:
            key = uuid.uuid4().hex
            body = {"title": f"可靠性测试 {key[:8]}", "grid_code": grid_code}
            with lock:
                phase.sent_keys.add(key)
            give_up = time.monotonic() + RETRY_SECONDS
            while True:
                try:
                    r = client.post(server.url + "/api/events", json=body, headers={**headers, "Idempotency-Key": key})
                    if r.status_code in (200, 201):
                        with lock:
                            phase.acknowledged[key] = int(r.json()["id"])
                        break
                except httpx.HTTPError:
                    pass
                with lock:
                    phase.retries += 1
                if time.monotonic() > give_up:
                    with lock:
                        phase.given_up += 1
                    break
                time.sleep(0.2)


def run_phase(server: Server, headers: dict[str, str], grid_code: str, kills: int, rng: random.Random) -> Phase:
    phase = Phase()
    lock = threading.Lock()
    t0 = time.monotonic()
    stop_at = t0 + PHASE_SECONDS
    threads = [
        threading.Thread(target=reporter, args=(server, headers, grid_code, phase, stop_at, lock), daemon=True)
        for _ in range(REPORTERS)
    ]
    for t in threads:
        t.start()
    moments = sorted(rng.uniform(2.0, PHASE_SECONDS - 4.0) for _ in range(kills))
    up_since = t0
    for at in moments:
        # at its random moment, but never before the restarted server has served a while: on a loaded machine a
        # restart can outlast the gap to the next moment, and back-to-back kills would leave nothing to measure
        time.sleep(max(0.0, t0 + at - time.monotonic(), up_since + MIN_UP_SECONDS - time.monotonic()))
        server.kill()
        phase.kills += 1
        log(f"SIGKILL {phase.kills} at {time.monotonic() - t0:.1f}s; restarting")
        server.start()
        up_since = time.monotonic()
        log(f"serving again at {up_since - t0:.1f}s")
    for t in threads:
        t.join()
    phase.elapsed = time.monotonic() - t0
    return phase


def check(db_url: str, phase: Phase) -> tuple[int, int]:
    """(acknowledged reports missing from the database, keys stored more than once)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT idempotency_key, id FROM event WHERE idempotency_key IS NOT NULL"))
            stored: dict[str, list[int]] = {}
            for key, event_id in rows:
                if key in phase.sent_keys:
                    stored.setdefault(key, []).append(event_id)
    finally:
        engine.dispose()
    lost = sum(1 for key, eid in phase.acknowledged.items() if eid not in stored.get(key, []))
    duplicates = sum(len(ids) - 1 for ids in stored.values() if len(ids) > 1)
    return lost, duplicates


def load_postgres_demo(base_url: str, var_dir: Path) -> tuple[str, str, dict[str, str]]:
    """A database of its own on the server of GRIDGOV_TEST_DATABASE_URL, with the demo loaded."""
    from sqlalchemy import create_engine, text

    from gridgov.db import make_engine, session_factory
    from gridgov.demo.geography import build_demo_geography
    from gridgov.demo.loader import load_demo
    from gridgov.migrate import upgrade
    from gridgov.org import cache

    name = f"gridgov_reliability_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base_url.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    cache.invalidate()
    with session_factory(engine)() as session:
        result = load_demo(
            session,
            var_dir,
            geography=build_demo_geography(["福田区"], 60),
            buildings_per_community=10,
            parser_sequences=0,
            classifier_texts=0,  # reports without a 小类 wait for a dispatcher, as before the classifier
        )
    engine.dispose()
    cache.invalidate()
    return url, name, {role: pw for _u, pw, role, _scope in result.logins}


def drop_postgres(base_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench(backend: str, db_url: str, var_dir: Path, passwords: dict[str, str]) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        username = conn.execute(
            text("SELECT username FROM app_user WHERE role = 'grid_worker' ORDER BY username LIMIT 1")
        ).scalar_one()
    engine.dispose()
    grid_code = username.removeprefix("gw_")
    server = Server(db_url, var_dir, free_port())
    rng = random.Random(SEED)
    try:
        server.start()
        headers = bearer(server.url, username, passwords["grid_worker"])
        log(f"{backend}: {REPORTERS} reporters for {PHASE_SECONDS:.0f}s without kills (the anchor); {load_note()}")
        calm = run_phase(server, headers, grid_code, 0, rng)
        log(f"{backend}: the same load with {KILLS} SIGKILLs at random")
        killed = run_phase(server, headers, grid_code, KILLS, rng)
    finally:
        server.stop()
    calm_lost, calm_dup = check(db_url, calm)
    lost, dup = check(db_url, killed)
    log(
        f"{backend}: without kills {len(calm.acknowledged)} acknowledged, {calm.given_up} given up; "
        f"with {killed.kills} kills {len(killed.acknowledged)} acknowledged, {killed.retries} retries, "
        f"{killed.given_up} given up"
    )
    anchor = f"the same load without kills ({backend})"
    emit(f"reliability.{backend}.acknowledged_lost", lost, "reports", anchor, calm_lost)
    emit(f"reliability.{backend}.duplicates", dup, "reports", anchor, calm_dup)
    # not lost (never acknowledged), but a client that waited RETRY_SECONDS in vain
    emit(f"reliability.{backend}.given_up", killed.given_up, "reports", anchor, calm.given_up)
    emit(
        f"reliability.{backend}.reports_per_second_under_kills",
        len(killed.acknowledged) / killed.elapsed,
        "reports/s",
        anchor,
        len(calm.acknowledged) / calm.elapsed,
    )


def main() -> None:
    env = prepare_env("gridgov-reliability-")
    try:
        build_demo_db(env, ["福田区"], grids=60, buildings_per_community=10)
        bench("sqlite", env.url(env.base_db), env.var_dir, env.role_passwords)
        pg = os.environ.get("GRIDGOV_TEST_DATABASE_URL")
        if pg:
            url, name, passwords = load_postgres_demo(pg, env.var_dir)
            try:
                bench("postgresql", url, env.var_dir, passwords)
            finally:
                drop_postgres(pg, name)
        else:
            log("GRIDGOV_TEST_DATABASE_URL not set: PostgreSQL skipped")
    finally:
        env.cleanup()


if __name__ == "__main__":
    main()
