"""Measuring probes for ``benchmarks.boot``, installed from outside tessera's code.

- :class:`PlacementProbe` times every placement request of the embedded cloud
  by wrapping the transport the one shared ``PlacementClient`` is built on.
- :class:`SQLProbe` times every SQL statement of every SQLAlchemy engine in the
  process (tessera's databases and placement's), per database.
- :class:`LogCounter` counts log records of WARNING and above per logger and
  message template, and echoes only the first of each kind.
- :class:`ThreadProfiles` runs ``cProfile`` in every thread started after it.
- :func:`tree_cpu` and :func:`machine_busy` read CPU seconds from ``/proc``.
"""

from __future__ import annotations

import cProfile
import logging
import os
import pstats
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import sqlalchemy as sa

from tessera.deploy import cloud as cloud_module
from tessera.placement.records import JSONObject
from tessera.placement.transport import DEFAULT_VERSION, Response, Transport

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Tally:
    """Count and total seconds of one kind of operation."""

    count: int = 0
    """Operations."""
    seconds: float = 0.0
    """Total seconds spent in them (wall, summed over threads)."""
    worst: float = 0.0
    """Slowest single operation, seconds."""


class Tallies:
    """Thread-safe tallies by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[str, Tally] = {}

    def add(self, key: str, seconds: float) -> None:
        """Record one operation of ``key`` that took ``seconds``."""
        with self._lock:
            tally = self._tallies.setdefault(key, Tally())
            tally.count += 1
            tally.seconds += seconds
            tally.worst = max(tally.worst, seconds)

    def take(self) -> dict[str, Tally]:
        """The tallies so far; start afresh."""
        with self._lock:
            taken, self._tallies = self._tallies, {}
        return taken


def request_kind(method: str, path: str) -> str:
    """``GET /allocations/{uuid}`` from ``GET /allocations/6f1c...?x=y``."""
    return f"{method} {_UUID.sub('{uuid}', path.split('?', 1)[0])}"


class TimedTransport:
    """A placement transport that tallies the time of every request."""

    def __init__(self, inner: Transport, tallies: Tallies) -> None:
        self._inner = inner
        self._tallies = tallies

    def request(
        self,
        method: str,
        path: str,
        body: JSONObject | None = None,
        version: str = DEFAULT_VERSION,
    ) -> Response:
        """Forward the request; tally its kind and duration."""
        start = time.perf_counter()
        try:
            return self._inner.request(method, path, body, version)
        finally:
            self._tallies.add(request_kind(method, path), time.perf_counter() - start)


class PlacementProbe:
    """Times the embedded cloud's placement requests."""

    def __init__(self) -> None:
        self.tallies = Tallies()

    @contextmanager
    def installed(self) -> Iterator[None]:
        """While ``EmbeddedCloud.start`` runs inside, its placement client gets timed.

        ``EmbeddedCloud.start`` opens placement with ``open_embedded`` and builds
        one client on ``placement.transport()``; the opened placement object
        gets a ``transport`` that wraps the real one. Nothing else changes.
        """
        original = cloud_module.open_embedded

        def opening(connection: str) -> Any:
            placement = original(connection)
            make_transport = placement.transport
            placement.transport = lambda: TimedTransport(make_transport(), self.tallies)
            return placement

        cloud_module.open_embedded = opening
        try:
            yield
        finally:
            cloud_module.open_embedded = original


def database_name(engine: sa.engine.Engine) -> str:
    """``cell1`` for ``sqlite:///.../cell1.db``; the schema name on a server."""
    name = engine.url.database or "?"
    return PurePath(name).stem if engine.url.get_backend_name() == "sqlite" else name


class SQLProbe:
    """Times every SQL statement of every engine, per database and statement verb."""

    _KEY = "bench_sql_started"

    def __init__(self) -> None:
        self.tallies = Tallies()

    def install(self) -> None:
        """Listen on every engine, present and future."""
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._after)

    def remove(self) -> None:
        """Stop listening."""
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", self._after)

    def _before(self, conn: sa.Connection, *_args: Any) -> None:
        conn.info.setdefault(self._KEY, []).append(time.perf_counter())

    def _after(self, conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.get(self._KEY)
        if not started:
            return
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        self.tallies.add(
            f"{database_name(conn.engine)} {verb}", time.perf_counter() - started.pop()
        )


class LogCounter(logging.Handler):
    """Counts WARNING+ records per (logger, template); prints the first of each to stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self._lock_counts = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record; echo it the first time its template is seen."""
        key = (record.levelname, record.name, str(record.msg)[:90])
        with self._lock_counts:
            self.counts[key] += 1
            first = self.counts[key] == 1
        if first:
            print(
                f"  (first {record.levelname} from {record.name}: {record.getMessage()[:200]})",
                file=sys.stderr,
                flush=True,
            )

    @classmethod
    def install(cls) -> LogCounter:
        """Route every log record through a fresh counter (and nowhere else)."""
        counter = cls()
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(counter)
        root.setLevel(logging.WARNING)
        return counter


class ThreadProfiles:
    """``cProfile`` in this thread and in every thread started after :meth:`start`.

    The timer is each thread's own CPU clock (``time.thread_time``), so times
    are CPU seconds: waiting for a lock, a socket or the GIL costs nothing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._profiles: list[cProfile.Profile] = []
        self._main = cProfile.Profile(time.thread_time)

    def start(self) -> None:
        """Profile this thread now, and each new thread from its first event."""
        threading.setprofile(self._hook)
        self._main.enable()

    def _hook(self, *_args: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self._profiles.append(profile)
        profile.enable()  # replaces this hook for the thread

    def stop(self) -> pstats.Stats:
        """Stop profiling new threads; return every thread's statistics merged."""
        threading.setprofile(None)
        self._main.disable()
        stats = pstats.Stats(self._main)
        with self._lock:
            profiles = list(self._profiles)
        for profile in profiles:
            try:
                stats.add(profile)
            except TypeError:  # a profile that never recorded anything
                continue
        return stats


Summary = list[tuple[str, int, float, float]]
"""(function, calls, tottime s, cumtime s)."""


def top_functions(
    stats: pstats.Stats, keep: Callable[[str], bool], key: str, limit: int
) -> Summary:
    """The ``limit`` functions of files passing ``keep``, sorted by ``cumtime`` or ``tottime``."""
    rows: Summary = []
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        if keep(filename):
            rows.append((f"{short_path(filename)}:{line}({name})", calls, tottime, cumtime))
    index = 3 if key == "cumtime" else 2
    return sorted(rows, key=lambda r: r[index], reverse=True)[:limit]


def short_path(filename: str) -> str:
    """``tessera/scheduler/manager.py`` from an absolute path."""
    parts = PurePath(filename).parts
    for anchor in ("tessera", "placement", "site-packages"):
        if anchor in parts:
            start = parts.index(anchor) + (1 if anchor == "site-packages" else 0)
            return "/".join(parts[start:])
    return filename


# --------------------------------------------------------------------------- /proc CPU

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (state first); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def pid_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of one process, seconds (0 if it is gone)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def children_of() -> dict[int, list[int]]:
    """Parent pid -> child pids of every live process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_cpu(pid: int, children: dict[int, list[int]]) -> float:
    """CPU seconds of a process and its live descendants (reaped ones via cutime/cstime)."""
    return pid_cpu(pid) + sum(tree_cpu(child, children) for child in children.get(pid, []))


def pids_named(command: str) -> list[int]:
    """Pids whose ``/proc/<pid>/comm`` is ``command``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle since boot (all cores)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(f) for f in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / CLOCK_TICKS
