"""``tessera devstack``: a deployment of one OS process per service, on this machine.

:class:`Devstack` creates one database per cell (plus api, cell0, network and
placement) on MariaDB or PostgreSQL and one RabbitMQ virtual host per cell
(plus the API's and the notifications'), all named with one prefix; writes a
configuration file per service from :mod:`tessera.deploy.configs`; syncs and
maps through ``tessera-manage``; runs placement as its own process; and
starts the scheduler, the super conductor, a conductor per cell, the computes
and the API, each from its own file, in one process group of their own
(:mod:`tessera.deploy.supervise`). Tests and benchmarks drive it directly;
the ``tessera devstack`` command wraps it with signal handling.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

from tessera.deploy import configs, provision
from tessera.deploy.devstack_settings import DevstackSettings, build_plan, default_prefix, merged
from tessera.deploy.devstack_setup import StartupError, ensure_flavors, service_command, setup
from tessera.deploy.supervise import ProcessGroup, ServiceProcess, ServiceSpec
from tessera.objects import host_mapping
from tessera.placement.process import PlacementServer, ServerSettings, free_port, group_members
from tessera.scheduler.service import BINARY as SCHEDULER_BINARY

__all__ = ["Devstack", "DevstackSettings", "StartupError", "default_prefix"]

LOG = logging.getLogger(__name__)

STATE_FILE = "devstack.json"
ADMIN_TOKEN = "admin:admin"
_POLL_INTERVAL = 0.25
API_HOST = "api"
# The scheduler listens for notifications in a pool of its own, which is
# the name of its queue on the notifications virtual host.
_NOTIFICATIONS_QUEUE = f"{SCHEDULER_BINARY}:{API_HOST}"


class Devstack:
    """Starts, watches and stops one multi-process deployment."""

    def __init__(self, settings: DevstackSettings) -> None:
        self.settings = settings
        self.placement_port = settings.placement_port or free_port()
        self.plan = build_plan(settings, self.placement_port)
        self.placement = PlacementServer(
            ServerSettings(
                self.database_url("placement"), self.data_dir / "placement", self.placement_port
            )
        )
        self._group = ProcessGroup()

    # ------------------------------------------------------------------ where things are

    @property
    def data_dir(self) -> Path:
        """The (absolute) data directory."""
        return self.settings.data_dir.resolve()

    @property
    def etc(self) -> Path:
        """Directory of the per-service configuration files."""
        return self.data_dir / "etc"

    @property
    def api_url(self) -> str:
        """Root of the REST API (``.../v2.1`` is the compute API)."""
        return f"http://127.0.0.1:{self.settings.api_port}"

    @property
    def placement_url(self) -> str:
        """Root of the placement service."""
        return self.placement.url

    @property
    def processes(self) -> dict[str, ServiceProcess]:
        """Every service process by name, in start order (placement is separate)."""
        return self._group.processes

    @property
    def pgid(self) -> int | None:
        """The services' process group."""
        return self._group.pgid

    def database_url(self, label: str) -> str:
        """URL of the database labelled ``label`` (see ``DevstackSettings.database_names``)."""
        return self.settings.servers.database_url(self.settings.database_names()[label])

    def config_file(self, service: str) -> Path:
        """The configuration file of ``service`` (``api``, ``cell1-compute1``, ...)."""
        return self.etc / f"{service}.conf"

    # ------------------------------------------------------------------ start

    def start(self) -> None:
        """Create, set up and start everything; return once every conductor listens.

        On failure whatever was started is stopped again; the databases and
        virtual hosts stay (call :meth:`cleanup`).
        """
        self._refuse_if_running()
        # A normal interpreter exit (an uncaught error in a test run) still
        # stops the services; only SIGKILL of the owner leaves them behind.
        atexit.register(self.stop)
        try:
            _timed("databases and virtual hosts", self._provision)
            # Placement (its own schema) comes up while ours are synced and the
            # conductors start: only the computes need it at start-up.
            with ThreadPoolExecutor(max_workers=1) as pool:
                placement = pool.submit(
                    _timed, f"placement at {self.placement_url}", self.placement.start
                )
                _timed("configuration files, schemas and cell mappings", self._setup)
                _timed(
                    "scheduler and conductors",
                    lambda: self._start_stage(self._control_specs(), self._control_queues()),
                )
                placement.result()
            for spec in self._edge_specs():
                self._group.spawn(spec)
            self._write_state()
        except BaseException:
            self.stop()
            raise

    def _refuse_if_running(self) -> None:
        """Fail if the state file names a process group that still has members."""
        try:
            state = json.loads((self.data_dir / STATE_FILE).read_text())
        except (OSError, ValueError):
            return  # None was started here, or it was stopped cleanly.
        pgid = state.get("pgid")
        if isinstance(pgid, int) and group_members(pgid):
            raise StartupError(
                f"a devstack runs already from {self.data_dir} (process group {pgid})"
            )

    def _provision(self) -> None:
        servers = self.settings.servers
        provision.create_databases(servers, list(self.settings.database_names().values()))
        provision.create_vhosts(servers, list(self.settings.vhost_names().values()))

    def _setup(self) -> None:
        self._write_configs()
        setup(self.config_file("api"), self.plan)
        ensure_flavors(self.plan.api_database)

    def _write_configs(self) -> None:
        extra = self.settings.options
        for name in ("scheduler", "super-conductor", "api"):
            configs.write(
                self.config_file(name), merged(configs.api_level(self.plan, API_HOST), extra)
            )
        for cell in self.plan.cells:
            sections = configs.cell_conductor(self.plan, cell)
            configs.write(self.config_file(f"{cell.name}-conductor"), merged(sections, extra))
            for host in cell.computes:
                sections = configs.compute(self.plan, cell, host)
                configs.write(self.config_file(host), merged(sections, extra))

    def _spec(self, name: str, binary: str) -> ServiceSpec:
        config = self.config_file(name)
        return ServiceSpec(
            name,
            (*service_command(binary), "--config-file", str(config)),
            config,
            self.data_dir / "logs" / f"{name}.log",
        )

    def _control_specs(self) -> list[ServiceSpec]:
        """Services that must listen before any compute or API request arrives."""
        specs = [
            self._spec("scheduler", "tessera-scheduler"),
            self._spec("super-conductor", "tessera-conductor"),
        ]
        specs += [self._spec(f"{c.name}-conductor", "tessera-conductor") for c in self.plan.cells]
        return specs

    def _edge_specs(self) -> list[ServiceSpec]:
        """The computes (they register through their cell conductor) and the API."""
        specs = [self._spec(h, "tessera-compute") for c in self.plan.cells for h in c.computes]
        return [*specs, self._spec("api", "tessera-api")]

    def _vhost(self, label: str) -> str:
        return self.settings.vhost_names()[label]

    def _control_queues(self) -> dict[str, set[str]]:
        # A consumer declares its queues, so a queue with a consumer is a
        # service that listens; a cast sent before that would be lost.
        queues = {
            self._vhost("api"): {"scheduler", "conductor"},
            self._vhost("notifications"): {_NOTIFICATIONS_QUEUE},
        }
        queues.update({self._vhost(c.name): {"conductor"} for c in self.plan.cells})
        return queues

    def _compute_queues(self) -> dict[str, set[str]]:
        return {
            self._vhost(c.name): {f"compute.{host}" for host in c.computes} for c in self.plan.cells
        }

    def _start_stage(self, specs: list[ServiceSpec], queues: dict[str, set[str]]) -> None:
        for spec in specs:
            self._group.spawn(spec)
        self._wait_until("services to listen", lambda: self._listening(queues))

    # ------------------------------------------------------------------ readiness

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the API answers and every compute listens and is mapped to its cell.

        Raises StartupError when a service exits meanwhile or time runs out.
        """
        hosts = {h for c in self.plan.cells for h in c.computes}
        queues = self._compute_queues()
        self._wait_until("the computes to listen", lambda: self._listening(queues), timeout)
        self._wait_until("the API to answer", self._api_answers, timeout)
        self._wait_until("every compute host to be mapped", lambda: self._mapped(hosts), timeout)

    def _wait_until(
        self, what: str, done: Callable[[], bool], timeout: float | None = None
    ) -> None:
        started = time.monotonic()
        deadline = started + (timeout or self.settings.start_timeout)
        while True:
            self._fail_on_exit(what)
            if done():
                LOG.info("Waited %.1f s for %s", time.monotonic() - started, what)
                return
            if time.monotonic() > deadline:
                raise StartupError(f"timed out waiting for {what}")
            time.sleep(_POLL_INTERVAL)

    def _fail_on_exit(self, what: str) -> None:
        for process in self._group.processes.values():
            if not process.running:
                raise StartupError(
                    f"while waiting for {what}: {process.describe_exit()}\n{process.log_tail()}"
                )

    def _listening(self, queues: dict[str, set[str]]) -> bool:
        servers = self.settings.servers
        return all(provision.listening(servers, v, wanted) for v, wanted in queues.items())

    def _api_answers(self) -> bool:
        try:
            resp = requests.get(
                f"{self.api_url}/v2.1/flavors", headers={"X-Auth-Token": ADMIN_TOKEN}, timeout=2
            )
        except requests.RequestException:
            return False
        return resp.status_code == 200

    def _mapped(self, hosts: set[str]) -> bool:
        engine = sa.create_engine(self.plan.api_database, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                mapped = set(conn.execute(sa.select(host_mapping.TABLE.c.host)).scalars())
        finally:
            engine.dispose()
        return hosts <= mapped

    # ------------------------------------------------------------------ running

    def poll(self) -> list[ServiceProcess]:
        """Service processes that exited since the last call (none is restarted)."""
        return self._group.poll_exited()

    def _write_state(self) -> None:
        """``devstack.json``: the process group and pids, for operators and tests."""
        state = {
            "prefix": self.settings.prefix,
            "pgid": self._group.pgid,
            "placement_pgid": self.placement.pid,
            "api": self.api_url,
            "placement": self.placement_url,
            "processes": {n: p.pid for n, p in self._group.processes.items()},
        }
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    # ------------------------------------------------------------------ stop

    def stop(self) -> list[int]:
        """Stop every service (SIGTERM, wait, SIGKILL) and placement; idempotent.

        Returns pids of the group that outlived even SIGKILL (normally none).
        """
        atexit.unregister(self.stop)
        left = self._group.stop(self.settings.stop_timeout)
        self.placement.stop()
        if self._group.pgid is not None and not left:
            # Only ours: a start refused because another devstack runs from
            # this directory must not hide that one.
            with contextlib.suppress(FileNotFoundError):
                (self.data_dir / STATE_FILE).unlink()
        if left:
            LOG.error("Processes %s of group %s survived SIGKILL", left, self._group.pgid)
        return left

    def cleanup(self) -> None:
        """Drop the deployment's databases and delete its virtual hosts (after stop).

        Refuses (StartupError) while a devstack still runs from the data directory.
        """
        self._refuse_if_running()
        servers = self.settings.servers
        provision.drop_databases(servers, list(self.settings.database_names().values()))
        provision.delete_vhosts(servers, list(self.settings.vhost_names().values()))


def _timed(what: str, step: Callable[[], None]) -> None:
    started = time.monotonic()
    step()
    LOG.info("%s: ready in %.1f s", what, time.monotonic() - started)
