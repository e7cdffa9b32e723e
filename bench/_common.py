"""Shared helpers for the bench scripts: a throwaway demo database, JSON result lines, timing and a uvicorn
subprocess. Results go to stdout (one JSON object per line); everything else goes to stderr.

Import this module *before* anything from gridgov that reads settings: `prepare_env` points GRIDGOV_VAR_DIR
and GRIDGOV_DATABASE_URL at a temporary directory and clears the cached settings.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

_T0 = time.perf_counter()


def load_note() -> str:
    """The 1-minute load average against the CPU count: other work on the machine skews the figures."""
    one, _five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} on {os.cpu_count()} CPUs"


def log(msg: str) -> None:
    """Progress line on stderr, prefixed with seconds since start."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def emit(metric: str, value: float, unit: str, anchor: str, anchor_value: float) -> None:
    """One result line on stdout with exactly the keys {metric, value, unit, anchor, anchor_value}."""
    line = {
        "metric": metric,
        "value": _round(value),
        "unit": unit,
        "anchor": anchor,
        "anchor_value": _round(anchor_value),
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


def _round(v: float) -> float:
    if v == 0 or not math.isfinite(v):
        return v
    digits = max(0, 3 - math.floor(math.log10(abs(v))))
    return round(v, digits)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of an unsorted sequence."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used so far by process `pid` (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)


def install_sigterm_handler() -> None:
    """Turn SIGTERM into SystemExit so that `finally` blocks (temp dirs, child processes) still run."""

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _handler)


# --- the throwaway database -----------------------------------------------------------------------------


@dataclass
class BenchEnv:
    """A temporary directory holding var/ (keys) and SQLite database files; removed by `cleanup`."""

    root: Path
    var_dir: Path
    base_db: Path
    role_passwords: dict[str, str] = field(default_factory=dict)
    _clones: int = 0

    def url(self, path: Path) -> str:
        return f"sqlite:///{path}"

    def clone(self, name: str) -> Path:
        """A private copy of the demo database, so each benchmark starts from the same state."""
        self._clones += 1
        dest = self.root / f"{self._clones:02d}-{name}.db"
        shutil.copyfile(self.base_db, dest)
        return dest

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_env(prefix: str = "gridgov-bench-") -> BenchEnv:
    """Create the temp dir and point gridgov's settings at it (before any settings are read)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    var_dir = root / "var"
    var_dir.mkdir()
    base = root / "base.db"
    _point_settings_at(var_dir, base)
    return BenchEnv(root=root, var_dir=var_dir, base_db=base)


def reuse_env(root: Path) -> BenchEnv:
    """The directory an earlier run kept (--keep): its database, keys and demo logins; settings point at it."""
    var_dir, base = root / "var", root / "base.db"
    logins = var_dir / "demo-logins.txt"
    if not base.is_file() or not logins.is_file():
        raise SystemExit(f"{root} holds no kept benchmark database (base.db and var/demo-logins.txt)")
    _point_settings_at(var_dir, base)
    passwords: dict[str, str] = {}
    for line in logins.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _username, password, role, _scope = line.split("\t")
            passwords[role] = password
    return BenchEnv(root=root, var_dir=var_dir, base_db=base, role_passwords=passwords)


def _point_settings_at(var_dir: Path, base: Path) -> None:
    os.environ["GRIDGOV_VAR_DIR"] = str(var_dir)
    os.environ["GRIDGOV_DATABASE_URL"] = f"sqlite:///{base}"
    os.environ["GRIDGOV_SLA_SWEEP_SECONDS"] = "0"
    from gridgov.config import get_settings

    get_settings.cache_clear()


def build_demo_db(
    env: BenchEnv,
    districts: Sequence[str] | None = None,
    grids: int = 4000,
    buildings_per_community: int | None = None,
    blockdata_people: int = 0,
) -> None:
    """Migrate and load the Shenzhen demo into env.base_db, then checkpoint the WAL so it can be copied."""
    from gridgov.config import get_settings
    from gridgov.db import make_engine, session_factory
    from gridgov.demo.geography import build_demo_geography
    from gridgov.demo.loader import load_demo
    from gridgov.migrate import upgrade
    from gridgov.org import cache

    t = time.perf_counter()
    geo = build_demo_geography(list(districts) if districts else None, grids)
    log(f"demo geography: {len(geo.divisions)} divisions in {time.perf_counter() - t:.1f}s")
    engine = make_engine(env.url(env.base_db))
    try:
        upgrade(engine)
        cache.invalidate()
        with session_factory(engine)() as session:
            result = load_demo(
                session,
                get_settings().var_dir,
                geography=geo,
                buildings_per_community=buildings_per_community,
                parser_sequences=0,
                blockdata_people=blockdata_people,
                classifier_texts=0,  # reports without a 小类 wait for a dispatcher, as before the classifier
            )
        cache.invalidate()
    finally:
        engine.dispose()
    env.role_passwords = {role: pw for _u, pw, role, _scope in result.logins}
    checkpoint(env.base_db)
    log(
        f"demo loaded: {result.divisions} divisions, {result.departments} departments, {result.users} users, "
        f"{result.categories} categories in {time.perf_counter() - t:.1f}s"
    )


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# --- a server in a child process ------------------------------------------------------------------------


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serve(
    args: Sequence[str], port: int, health_path: str, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """Run `python args...` (which must listen on 127.0.0.1:port) and stop it on exit, whatever happens."""
    import httpx

    proc = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,  # stdout carries only the JSON result lines
    )
    server = ServerProcess(proc, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early with code {proc.returncode}")
            try:
                r = httpx.get(server.base_url + health_path, timeout=1.0)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready within 60 s")
            time.sleep(0.1)
        yield server
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# --- a lean HTTP/1.1 load generator ---------------------------------------------------------------------


@dataclass
class LoadResult:
    ok: int
    errors: int
    elapsed: float
    latencies_ms: list[float]
    server_cpu_s: float
    client_cpu_s: float
    first_error: str | None = None

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0


def run_load(
    port: int,
    path: str,
    bodies: Iterator[bytes],
    *,
    headers: dict[str, str],
    expect_status: int,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    server_pid: int,
) -> LoadResult:
    """POST JSON bodies over `concurrency` keep-alive connections until max_requests or max_seconds.

    A minimal asyncio client (raw HTTP/1.1 with Content-Length) keeps the load generator cheap, so that
    on a small machine the server, not the client, is what gets measured."""
    import asyncio

    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    prefix = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{head}"
    latencies: list[float] = []
    state = {"sent": 0, "ok": 0, "errors": 0}
    first_error: list[str] = []

    async def worker(stop_at: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while state["sent"] < max_requests and time.perf_counter() < stop_at:
                state["sent"] += 1
                body = next(bodies)
                req = f"{prefix}Content-Length: {len(body)}\r\n\r\n".encode() + body
                t = time.perf_counter()
                writer.write(req)
                raw = await reader.readuntil(b"\r\n\r\n")
                status = int(raw[9:12])
                length = 0
                for line in raw.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                payload = await reader.readexactly(length) if length else b""
                latencies.append((time.perf_counter() - t) * 1000)
                if status == expect_status:
                    state["ok"] += 1
                else:
                    state["errors"] += 1
                    if not first_error:
                        first_error.append(f"HTTP {status}: {payload[:300]!r}")
                    if b"connection: close" in raw.lower():
                        writer.close()
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    async def main() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(t0 + max_seconds) for _ in range(concurrency)))
        return time.perf_counter() - t0

    cpu0, ccpu0 = cpu_seconds(server_pid), time.process_time()
    elapsed = asyncio.run(main())
    cpu1, ccpu1 = cpu_seconds(server_pid), time.process_time()
    return LoadResult(
        ok=state["ok"],
        errors=state["errors"],
        elapsed=elapsed,
        latencies_ms=latencies,
        server_cpu_s=cpu1 - cpu0,
        client_cpu_s=ccpu1 - ccpu0,
        first_error=first_error[0] if first_error else None,
    )


# --- sampling profiles of a child process (py-spy, optional) --------------------------------------------


@contextlib.contextmanager
def py_spy_record(py_spy: str | None, pid: int, seconds: float, out: Path) -> Iterator[None]:
    """Sample process `pid` with py-spy (raw collapsed stacks to `out`) while the block runs, if asked to."""
    if not py_spy:
        yield
        return
    cmd = [
        py_spy,
        "record",
        "-p",
        str(pid),
        "-d",
        str(max(1, math.ceil(seconds))),
        "-r",
        "200",
        "-f",
        "raw",
        "--gil",
        "--nonblocking",
    ]
    proc = subprocess.Popen([*cmd, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        yield
    finally:
        try:
            proc.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            stop_process(proc)


def summarize_stacks(path: Path, top: int = 25, focus: str = "gridgov") -> str:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    if not path.exists():
        return "(no py-spy output)"
    self_n: dict[str, int] = {}
    incl_n: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = _short(frames[-1])
        self_n[leaf] = self_n.get(leaf, 0) + n
        for f in {_short(f) for f in frames if focus in f}:
            incl_n[f] = incl_n.get(f, 0) + n
    if not total:
        return "(no samples)"
    lines = [f"{total} samples; self time (leaf frames):"]
    lines += [f"  {v / total:6.1%}  {k}" for k, v in sorted(self_n.items(), key=lambda kv: -kv[1])[:top]]
    lines.append(f"inclusive time of {focus} frames:")
    lines += [f"  {v / total:6.1%}  {k}" for k, v in sorted(incl_n.items(), key=lambda kv: -kv[1])[:top]]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """'func (/long/path/site-packages/pkg/mod.py:12)' → 'func (pkg/mod.py)': lines of one function merged."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = where.split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if where else name


def merge_loads(parts: Sequence[LoadResult]) -> LoadResult:
    """Several load runs against one server as one result (counts, times and latencies added up)."""
    return LoadResult(
        ok=sum(p.ok for p in parts),
        errors=sum(p.errors for p in parts),
        elapsed=sum(p.elapsed for p in parts),
        latencies_ms=[v for p in parts for v in p.latencies_ms],
        server_cpu_s=sum(p.server_cpu_s for p in parts),
        client_cpu_s=sum(p.client_cpu_s for p in parts),
        first_error=next((p.first_error for p in parts if p.first_error), None),
    )
