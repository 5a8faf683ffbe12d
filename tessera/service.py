"""A running service: its RPC server, heartbeats and periodic tasks.

The manager (the RPC endpoint) does the work; :class:`Service` only wires it
to a transport, keeps the service record alive and runs periodic tasks in
threads that stop promptly. Signal handling lives in :mod:`tessera.cmd.runner`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tessera.objects import service as services
from tessera.rpc.endpoint import start_server

LOG = logging.getLogger(__name__)


class Reporter(Protocol):
    """Keeps the service record of a service alive (directly or through a conductor)."""

    def register(self) -> None:
        """Create or find the service record."""

    def heartbeat(self) -> None:
        """Record that the service is up now."""


class Manager(Protocol):
    """What a service's endpoint offers besides its RPC methods."""

    def init_host(self) -> None:
        """Prepare before the RPC server starts (caches, resource inventory)."""

    def reset(self) -> None:
        """Reload caches (SIGHUP): cells, host mappings."""

    def cleanup_host(self) -> None:
        """Release resources when the service stops."""


@dataclass(frozen=True)
class Periodic:
    """A task a service runs every ``interval`` seconds."""

    name: str
    """Shown in logs."""
    interval: float
    """Seconds between runs."""
    run: Callable[[], None]
    """The work; exceptions are logged and the task keeps its schedule."""
    run_immediately: bool = False
    """Run once right at start-up instead of after the first interval."""


class Service:
    """An RPC server on ``topic`` (and ``topic.host``) plus heartbeat and periodic threads."""

    def __init__(
        self,
        *,
        binary: str,
        host: str,
        topic: str | None,
        manager: Manager,
        transport: Any,
        reporter: Reporter,
        report_interval: float,
        periodic: list[Periodic] | None = None,
    ) -> None:
        self.binary, self.host, self.topic = binary, host, topic
        self.manager = manager
        self._transport = transport
        self._reporter = reporter
        self._tasks = [
            Periodic("heartbeat", report_interval, reporter.heartbeat),
            *(periodic or []),
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: Any = None

    def start(self) -> None:
        """Register, prepare the host, start serving and the periodic tasks."""
        self._reporter.register()
        self.manager.init_host()
        if self.topic is not None:
            self._server = start_server(self._transport, self.topic, self.host, [self.manager])
        for task in self._tasks:
            thread = threading.Thread(
                target=self._loop, args=(task,), daemon=True, name=f"{self.binary}-{task.name}"
            )
            thread.start()
            self._threads.append(thread)
        LOG.info("%s started on %s (topic %s)", self.binary, self.host, self.topic)

    def _loop(self, task: Periodic) -> None:
        if not task.run_immediately and self._stop.wait(task.interval):
            return
        while not self._stop.is_set():
            try:
                task.run()
            except Exception:
                LOG.exception("Periodic task %s of %s failed", task.name, self.binary)
            if self._stop.wait(task.interval):
                return

    def stop(self) -> None:
        """Stop taking messages and stop the periodic tasks (does not wait)."""
        self._stop.set()
        if self._server is not None:
            self._server.stop()

    def wait(self) -> None:
        """Wait for in-flight messages and tasks to finish, then clean up."""
        if self._server is not None:
            self._server.wait()
        for thread in self._threads:
            thread.join(timeout=10)
        self.manager.cleanup_host()

    def reset(self) -> None:
        """Reload the manager's caches (what SIGHUP does)."""
        self.manager.reset()


def stop_all(services: list[Service]) -> None:
    """Stop every service first, then wait for them together (waiting is slow)."""
    for service in services:
        service.stop()
    waiters = [threading.Thread(target=s.wait, daemon=True) for s in services]
    for thread in waiters:
        thread.start()
    for thread in waiters:
        thread.join(timeout=30)


class DirectReporter:
    """Service record kept in a database the service may open itself (not computes)."""

    def __init__(self, engine: Any, host: str, binary: str, topic: str | None) -> None:
        self._engine = engine
        self._host, self._binary, self._topic = host, binary, topic
        self._service_id: int | None = None

    def register(self) -> None:
        with self._engine.begin() as conn:
            self._service_id = services.register(conn, self._host, self._binary, self._topic).id

    def heartbeat(self) -> None:
        if self._service_id is None:
            self.register()
            return
        with self._engine.begin() as conn:
            services.heartbeat(conn, self._service_id)
