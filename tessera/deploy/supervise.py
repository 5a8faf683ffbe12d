"""Service processes of a deployment, all in one process group of their own.

The first process spawned leads a new group and every later one joins it, so
one ``killpg`` reaches every service and ``/proc`` tells whether any is left.
The group is not the launcher's: a Ctrl-C in the terminal reaches only the
launcher, which then stops the services itself. Nothing is restarted; a
process that exits is reported once by :meth:`ProcessGroup.poll_exited`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tessera.placement.process import group_members

LOG = logging.getLogger(__name__)
_POLL_INTERVAL = 0.1


class SpawnError(RuntimeError):
    """A service process could not be started."""


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service process."""

    name: str
    """Unique name in the deployment (``scheduler``, ``cell1-compute1``, ...)."""
    command: tuple[str, ...]
    """The full command line (``tessera-compute --config-file ...``)."""
    config_file: Path
    """The service's own configuration file."""
    log_file: Path
    """Where its stdout and stderr go (appended)."""


class ServiceProcess:
    """One running (or exited) service process."""

    def __init__(self, spec: ServiceSpec, popen: subprocess.Popen[bytes]) -> None:
        self.spec = spec
        self._popen = popen
        self._reported = False

    @property
    def name(self) -> str:
        """The service's name in the deployment."""
        return self.spec.name

    @property
    def pid(self) -> int:
        """Its process id."""
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        """None while running; the exit status (negative: killed by that signal) after."""
        return self._popen.poll()

    @property
    def running(self) -> bool:
        """Whether the process has not exited."""
        return self.returncode is None

    def log_tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of its log."""
        try:
            text = self.spec.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def describe_exit(self) -> str:
        """``name (pid N) exited with status S`` or ``... was killed by SIGX``."""
        code = self.returncode
        if code is None:
            return f"{self.name} (pid {self.pid}) is running"
        if code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code}"
        return f"{self.name} (pid {self.pid}) {how}; log: {self.spec.log_file}"

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for it to exit (reaping it); True if it did."""
        try:
            self._popen.wait(max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return False
        return True

    def take_exit_report(self) -> bool:
        """True the first time this is asked after the process exited."""
        if self._reported or self.running:
            return False
        self._reported = True
        return True


class ProcessGroup:
    """Spawns services into one new process group and stops them together."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        # Logs should reach the file as they are written, not when a buffer fills.
        self._env["PYTHONUNBUFFERED"] = "1"
        self._processes: dict[str, ServiceProcess] = {}
        self._pgid: int | None = None

    @property
    def pgid(self) -> int | None:
        """The group's id (the first service's pid), None before the first spawn."""
        return self._pgid

    @property
    def processes(self) -> dict[str, ServiceProcess]:
        """Every spawned service by name, in spawn order (a copy)."""
        return dict(self._processes)

    def spawn(self, spec: ServiceSpec) -> ServiceProcess:
        """Start ``spec`` in the group (leading it if it is the first)."""
        if spec.name in self._processes:
            raise SpawnError(f"a service named {spec.name} runs already")
        spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            popen = self._popen(spec)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpawnError(f"cannot start {spec.name} ({spec.command[0]}): {exc}") from exc
        if self._pgid is None:
            self._pgid = popen.pid
        process = ServiceProcess(spec, popen)
        self._processes[spec.name] = process
        return process

    def _popen(self, spec: ServiceSpec) -> subprocess.Popen[bytes]:
        with spec.log_file.open("ab") as log:
            return subprocess.Popen(
                spec.command,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # 0: a new group led by this process; else join the first one's.
                process_group=0 if self._pgid is None else self._pgid,
            )

    def poll_exited(self) -> list[ServiceProcess]:
        """Services that exited since the last call (each reported once)."""
        return [p for p in self._processes.values() if p.take_exit_report()]

    def members(self) -> list[int]:
        """Pids of live processes in the group (anything a service forked, too)."""
        return [] if self._pgid is None else group_members(self._pgid)

    def stop(self, timeout: float) -> list[int]:
        """SIGTERM the group, wait up to ``timeout`` s, then SIGKILL what is left.

        Returns the pids still alive in the group afterwards (empty when all
        went), so the caller can say so rather than leave them unnoticed.
        """
        if self._pgid is None:
            return []
        self._signal(signal.SIGTERM)
        self._wait_all(timeout)
        if self.members():
            slow = [p.name for p in self._processes.values() if p.running]
            LOG.warning("Still running %.0f s after SIGTERM, killing: %s", timeout, slow)
            self._signal(signal.SIGKILL)
        for process in self._processes.values():
            process.wait(timeout)
        return self._wait_group_empty(timeout)

    def _wait_all(self, timeout: float) -> None:
        """Wait for every process together, logging how long each took to go."""
        started = time.monotonic()
        running = {p.name: p for p in self._processes.values() if p.running}
        while running and time.monotonic() - started < timeout:
            for name, process in list(running.items()):
                if not process.running:
                    del running[name]
                    LOG.debug("%s exited %.1f s after SIGTERM", name, time.monotonic() - started)
            time.sleep(_POLL_INTERVAL)
        if not running:
            LOG.info("Services stopped in %.1f s", time.monotonic() - started)

    def _wait_group_empty(self, timeout: float) -> list[int]:
        deadline = time.monotonic() + timeout
        left = self.members()
        while left and time.monotonic() < deadline:
            self._signal(signal.SIGKILL)  # A grandchild nobody waits for.
            time.sleep(_POLL_INTERVAL)
            left = self.members()
        return left

    def _signal(self, sig: signal.Signals) -> None:
        assert self._pgid is not None
        with contextlib.suppress(ProcessLookupError):  # Everyone is gone already.
            os.killpg(self._pgid, sig)
