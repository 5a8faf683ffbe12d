"""A whole cloud in one process: every service on its own configuration.

Services share nothing but the process: each loads its own configuration
file, owns its transports and engines, and reaches the others over the
(in-process) message queues, exactly as separate processes would. Only the
embedded placement service is shared, because it can run once per process.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oslo_config import cfg

from tessera import conf as tessera_conf
from tessera.api.server import APIServer
from tessera.api.wiring import build_api_server, build_server_api, image_service
from tessera.cmd import manage
from tessera.compute.api import ServerAPI
from tessera.compute.service import build_compute_service
from tessera.conductor.service import build_conductor_service
from tessera.db.engines import Databases
from tessera.deploy.embedded import EmbeddedLayout
from tessera.image import ImageService
from tessera.image.client import LocalImageClient
from tessera.image.seed import seed_cirros
from tessera.objects import flavor
from tessera.placement.client import PlacementClient
from tessera.placement.embedded import EmbeddedPlacement, open_embedded
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.service import build_scheduler_service
from tessera.service import Service, stop_all

LOG = logging.getLogger(__name__)


@dataclass
class _Runtime:
    """What one service's configuration owns."""

    transports: TransportRegistry
    databases: Databases


Builder = Callable[[cfg.ConfigOpts, _Runtime], Service]


@dataclass
class EmbeddedCloud:
    """Starts and stops the all-in-one's services."""

    layout: EmbeddedLayout
    """Where state and configuration live."""
    services: list[Service] = field(default_factory=list)
    """Running services, in start order."""
    placement: EmbeddedPlacement | None = None
    """The in-process placement service."""
    api_server: APIServer | None = None
    """The REST API server."""
    server_api: ServerAPI | None = None
    """What the REST API calls (also handy for tests)."""
    images: ImageService | None = None
    """The built-in image service (with a ``cirros`` image)."""
    _runtimes: list[_Runtime] = field(default_factory=list)

    def _load(self, path: Path) -> tuple[cfg.ConfigOpts, _Runtime]:
        conf = tessera_conf.load(["--config-file", str(path)], config_files=[])
        runtime = _Runtime(
            TransportRegistry(conf),
            Databases(tessera_conf.database.DatabaseSettings.from_conf(conf, "database")),
        )
        self._runtimes.append(runtime)
        return conf, runtime

    def start(self) -> None:
        """Start placement, the API level, every cell and the REST API."""
        plan = self.layout.plan()
        self.placement = open_embedded(plan.placement["connection"])
        client = PlacementClient(self.placement.transport())
        self._start_api_level(client)
        for cell in plan.cells:
            self._start(
                self.layout.etc / f"{cell.name}-conductor.conf",
                lambda c, r: build_conductor_service(c, r.transports, r.databases, client),
            )
            for host in cell.computes:
                self._start(
                    self.layout.etc / f"{host}.conf", lambda c, r: self._compute(c, r, client)
                )
        self._start_rest(client)

    def _start(self, path: Path, build: Builder) -> Service:
        conf, runtime = self._load(path)
        service = build(conf, runtime)
        service.start()
        self.services.append(service)
        return service

    def _compute(self, conf: cfg.ConfigOpts, runtime: _Runtime, client: PlacementClient) -> Service:
        # The computes share the process with the image service: snapshots go straight in.
        images = None if self.images is None else LocalImageClient(self.images)
        return build_compute_service(conf, runtime.transports, client, images)

    def _start_api_level(self, client: PlacementClient) -> None:
        conf, runtime = self._load(self.layout.config_file)
        # Before any compute starts: they upload snapshots into it.
        self.images = image_service(conf)
        seed_cirros(self.images)
        with runtime.databases.engine(conf.api_database.connection).begin() as conn:
            flavor.ensure_defaults(conn)
        for build in (build_scheduler_service, _conductor_builder):
            service = build(conf, runtime.transports, runtime.databases, client)
            service.start()
            self.services.append(service)

    def _start_rest(self, client: PlacementClient) -> None:
        conf, runtime = self._load(self.layout.config_file)
        assert self.images is not None
        self.server_api = build_server_api(
            conf, runtime.transports, runtime.databases, client, self.images
        )
        self.api_server = build_api_server(conf, self.server_api, self.images)
        self.api_server.start()

    def discover_hosts(self) -> None:
        """Map new compute hosts now (as an operator would), and refresh caches."""
        with contextlib.redirect_stdout(io.StringIO()):
            manage.main(
                ["--config-file", str(self.layout.config_file), "cell_v2", "discover_hosts"]
            )
        for service in self.services:
            service.reset()

    def stop(self) -> None:
        """Stop the REST API, then every service, then release everything."""
        if self.api_server is not None:
            self.api_server.stop()
        stop_all(list(reversed(self.services)))
        self.services.clear()
        for runtime in self._runtimes:
            runtime.transports.cleanup()
            runtime.databases.dispose()
        self._runtimes.clear()
        if self.images is not None:
            self.images.close()
            self.images = None
        if self.placement is not None:
            self.placement.close()
            self.placement = None


def _conductor_builder(
    conf: object, transports: TransportRegistry, databases: Databases, client: PlacementClient
) -> Service:
    return build_conductor_service(conf, transports, databases, client)  # type: ignore[arg-type]
