"""Placement as its own process: ``gunicorn placement.wsgi.api:application``.

:class:`PlacementServer` writes a ``placement.conf`` (noauth2, schema sync on
start) into a directory of its own, starts gunicorn in a new process group with
``OS_PLACEMENT_CONFIG_DIR`` pointing there, waits until ``GET /`` answers, and
on :meth:`PlacementServer.stop` ends the whole group: SIGTERM, a grace period,
then SIGKILL, so no worker outlives it.
"""

from __future__ import annotations

import atexit
import configparser
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests

from tessera.placement.dburl import is_sqlite, placement_connection
from tessera.placement.errors import PlacementStartFailed

CONFIG_FILE = "placement.conf"
LOG_FILE = "placement.log"
WSGI_APP = "placement.wsgi.api:application"
_POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class ServerSettings:
    """How to run one placement server process."""

    connection: str
    """Database URL; PostgreSQL URLs are switched to psycopg2, which placement needs."""
    config_dir: Path
    """Directory for ``placement.conf`` and ``placement.log`` (created if missing)."""
    port: int
    """TCP port to listen on."""
    host: str = "127.0.0.1"
    """Address to listen on."""
    workers: int = 2
    """gunicorn worker processes (each serves one request at a time)."""
    start_timeout: float = 60.0
    """Seconds to wait for ``GET /`` to answer (includes the schema sync)."""
    stop_timeout: float = 10.0
    """Seconds between SIGTERM and SIGKILL."""

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://{self.host}:{self.port}"


def write_config(settings: ServerSettings) -> Path:
    """Write ``placement.conf`` into ``settings.config_dir``; return its path."""
    parser = configparser.ConfigParser(interpolation=None)
    parser["api"] = {"auth_strategy": "noauth2"}
    parser["placement_database"] = {
        "connection": placement_connection(settings.connection),
        "sync_on_startup": "true",
    }
    settings.config_dir.mkdir(parents=True, exist_ok=True)
    path = settings.config_dir / CONFIG_FILE
    with path.open("w", encoding="utf-8") as handle:
        parser.write(handle)
    return path


def gunicorn_command(settings: ServerSettings) -> list[str]:
    """The gunicorn command line, run with this interpreter (no PATH lookup)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{settings.host}:{settings.port}",
        "--workers",
        str(_workers(settings)),
        # Load the app (and run the schema sync) once in the master: workers
        # importing it in parallel would race on migrating an empty database.
        "--preload",
        # Otherwise every server shares ~/.gunicorn/gunicorn.ctl.
        "--no-control-socket",
        "--graceful-timeout",
        str(max(1, int(settings.stop_timeout) - 1)),
        # allocation_candidates over thousands of providers takes seconds.
        "--timeout",
        "120",
        WSGI_APP,
    ]


def _workers(settings: ServerSettings) -> int:
    # Several processes writing one SQLite file fail with "database is locked";
    # a single sync worker serializes every request instead.
    return 1 if is_sqlite(placement_connection(settings.connection)) else settings.workers


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (for tests and local launchers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def group_members(pgid: int) -> list[int]:
    """Pids of live (non-zombie) processes in process group ``pgid`` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _live_in_group(entry / "stat", pgid):
            members.append(int(entry.name))
    return members


def _live_in_group(stat_path: Path, pgid: int) -> bool:
    try:
        stat = stat_path.read_text()
    except OSError:
        return False  # The process ended while we looked.
    # Fields after the parenthesised command name: state, ppid, pgrp, ...
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] != "Z" and int(fields[2]) == pgid


class PlacementServer:
    """One placement server process (gunicorn master and workers)."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Root URL to give an ``HTTPTransport``."""
        return self._settings.url

    @property
    def pid(self) -> int | None:
        """The gunicorn master's pid (also its process group id) while running."""
        return None if self._proc is None else self._proc.pid

    @property
    def log_path(self) -> Path:
        """Where the server's stdout and stderr go."""
        return self._settings.config_dir / LOG_FILE

    def start(self) -> None:
        """Start the server and wait until it answers; raise PlacementStartFailed if not."""
        if self._proc is not None:
            return
        if not _port_free(self._settings.host, self._settings.port):
            # Checked first: GET / would otherwise be answered by whoever holds the port.
            raise PlacementStartFailed(f"{self.url}: port {self._settings.port} is in use")
        write_config(self._settings)
        self._proc = self._spawn()
        # In its own session the server would outlive an owner that exits
        # without calling stop(); at least a normal interpreter exit stops it.
        atexit.register(self.stop)
        try:
            self._wait_ready(self._proc)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End the master and every worker; idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(self._settings.stop_timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
        self._reap_stragglers(proc.pid)

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "OS_PLACEMENT_CONFIG_DIR": str(self._settings.config_dir)}
        with self.log_path.open("ab") as log:
            # A new session makes gunicorn the leader of its own process group,
            # so stop() can signal the master and its workers together.
            return subprocess.Popen(
                gunicorn_command(self._settings),
                env=env,
                cwd=self._settings.config_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self._settings.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise PlacementStartFailed(
                    f"placement exited with status {proc.returncode}: {self._log_tail()}"
                )
            if _answers(self.url):
                return
            time.sleep(_POLL_INTERVAL)
        raise PlacementStartFailed(
            f"placement did not answer on {self.url} within "
            f"{self._settings.start_timeout:.0f} s: {self._log_tail()}"
        )

    def _reap_stragglers(self, pgid: int) -> None:
        """Kill workers that outlived a master killed without its cleanup."""
        deadline = time.monotonic() + self._settings.stop_timeout
        while group_members(pgid) and time.monotonic() < deadline:
            _signal_group(pgid, signal.SIGKILL)
            time.sleep(_POLL_INTERVAL)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> PlacementServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/", timeout=1.0).status_code == 200
    except requests.RequestException:
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # Already gone.
        os.killpg(pgid, sig)
