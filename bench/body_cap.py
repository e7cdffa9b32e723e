"""The request-body cap against a running `gridgov serve` (issue 12, finding 3): anonymous 200 MB JSON bodies
to POST /api/public/events, one and then four at once, and the server's resident memory before, how far its
peak (VmHWM) rose over the start-up's own peak, and after — with the shipped cap (MAX_BODY_BYTES 2 MB: refused
with 413 before parsing) against the same server with the cap lifted to 1 GB (the anchor: what the review
measured, the body read and parsed).

Loopback only, bounded: two servers on migrated empty databases, about a minute, up to 3 GB of memory at the
anchor's peak. Prints JSON lines."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import emit, free_port, load_note, log, prepare_env, serve

BODY_MB = 200
CAP_OFF = 1024 * 1024 * 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def _post(port: int, body: bytes, out: list[tuple[int, float]]) -> None:
    """Send the request over a raw socket (the server may answer and close before the body is through)."""
    t0 = time.perf_counter()
    head = (
        f"POST /api/public/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=300) as sock:
        sock.sendall(head)
        view = memoryview(body)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for at in range(0, len(body), 1 << 20):
                sock.sendall(view[at : at + (1 << 20)])
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n" not in reply:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    out.append((status, time.perf_counter() - t0))


def _round(port: int, body: bytes, n: int) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    threads = [threading.Thread(target=_post, args=(port, body, out)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def measure(env_vars: dict[str, str], body: bytes, label: str) -> dict[str, float]:
    port = free_port()
    gridgov = str(Path(sys.executable).with_name("gridgov"))
    args = ["-c", "from gridgov.cli import app; app()", "serve", "--host", "127.0.0.1", "--port", str(port)]
    args.append("--no-sweeper")
    figures: dict[str, float] = {}
    with serve(args, port, "/healthz", env_vars) as srv:
        pid = srv.proc.pid
        time.sleep(5.0)  # the warm-up thread builds its engines on an empty library: let it settle
        before = _status_kb(pid, "VmRSS") / 1024
        peak_before = _status_kb(pid, "VmHWM") / 1024
        one = _round(port, body, 1)
        peak_one = _status_kb(pid, "VmHWM") / 1024
        four = _round(port, body, 4)
        peak_four = _status_kb(pid, "VmHWM") / 1024
        time.sleep(1.0)
        after = _status_kb(pid, "VmRSS") / 1024
    log(
        f"{label}: RSS {before:.0f} MB before (peak so far {peak_before:.0f} MB), peak {peak_one:.0f} MB after one "
        f"body, {peak_four:.0f} MB after four at once, {after:.0f} MB after; statuses {[s for s, _ in one + four]}; "
        f"slowest answer {max(t for _, t in one + four):.2f} s ({gridgov} serve)"
    )
    # how far each round raised the process's high-water mark (the start-up's own peak comes before it)
    figures["peak_growth_one"] = peak_one - max(before, peak_before)
    figures["peak_growth_four"] = peak_four - max(before, peak_before)
    figures["after_growth"] = after - before
    figures["seconds_four"] = max(t for _, t in four)
    figures["refused"] = sum(1 for s, _ in one + four if s == 413)
    return figures


def main() -> None:
    env = prepare_env("gridgov-bodycap-")
    try:
        subprocess.run([str(Path(sys.executable).with_name("gridgov")), "init"], check=True, stdout=subprocess.DEVNULL)
        body = b'{"title": "' + b"x" * (BODY_MB * 1024 * 1024) + b'", "phone": "13800000000", "address_text": "x"}'
        log(f"{BODY_MB} MB bodies, one then four at once; {load_note()}")
        capped = measure({}, body, "shipped cap (2 MB)")
        anchor = measure({"GRIDGOV_MAX_BODY_BYTES": str(CAP_OFF)}, body, "cap lifted (1 GB)")
    finally:
        env.cleanup()
    what = f"the same server with the cap lifted to 1 GB ({BODY_MB} MB bodies)"
    emit("body_cap.rss_peak_growth_one_body", capped["peak_growth_one"], "MB", what, anchor["peak_growth_one"])
    emit("body_cap.rss_peak_growth_four_at_once", capped["peak_growth_four"], "MB", what, anchor["peak_growth_four"])
    emit("body_cap.rss_growth_after", capped["after_growth"], "MB", what, anchor["after_growth"])
    emit("body_cap.seconds_to_answer_four", capped["seconds_four"], "s", what, anchor["seconds_four"])
    emit("body_cap.refused_413_of_5", capped["refused"], "requests", what, anchor["refused"])


if __name__ == "__main__":
    main()
