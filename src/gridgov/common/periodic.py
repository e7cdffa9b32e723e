"""A job that runs one round every `interval` seconds in a daemon thread: the outbox worker, the notification
worker and the SLA sweeper are all this loop around their own round."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Periodic:
    """Subclasses name their thread and implement `round`; a failing round is logged and the next one retries."""

    thread_name = "periodic"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def round(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Start the thread (not when the interval is zero or it already runs)."""
        if self.interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round (waits up to 10 s for it)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.round()
            except Exception:  # keep going; the next round retries
                log.exception("%s round failed", self.thread_name)
