"""Re-running a task a few times in the background until some keys are settled.

Used for hosts a compute announced before its node record existed: discovery
finds nothing at the first event, so it is repeated after short delays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


class DelayedRetries:
    """Runs ``task`` after each delay while any pending key is not ``settled``."""

    def __init__(
        self,
        task: Callable[[], object],
        settled: Callable[[str], bool],
        delays: Sequence[float] = (1.0, 2.0, 4.0, 8.0, 15.0),
    ) -> None:
        self._task = task
        self._settled = settled
        self._delays = tuple(delays)
        self._pending: set[str] = set()
        self._round = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def add(self, key: str) -> None:
        """Retry until ``key`` is settled (a new key restarts the delay schedule)."""
        with self._lock:
            self._pending.add(key)
            self._round = 0
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._loop, daemon=True, name="scheduler-retries"
                )
                self._thread.start()

    def stop(self) -> None:
        """Give up on everything pending (service stop)."""
        self._stop.set()

    def _next_delay(self) -> float | None:
        with self._lock:
            if not self._pending or self._round >= len(self._delays):
                self._pending.clear()
                self._thread = None
                return None
            self._round += 1
            return self._delays[self._round - 1]

    def _loop(self) -> None:
        while (delay := self._next_delay()) is not None:
            if self._stop.wait(delay):
                return
            self._task()
            with self._lock:
                self._pending = {k for k in self._pending if not self._settled(k)}
