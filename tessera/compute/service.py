"""Wiring of ``tessera-compute``: a cell-level service on its cell's transport only.

A compute's configuration has no ``[api_database]`` and no API transport, and
nothing here reads them: its service record, node record and instances all go
through the cell conductor on ``[DEFAULT] transport_url``; claims go to placement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from oslo_config import cfg

from tessera.compute.manager import ComputeManager
from tessera.compute.resource_tracker import AllocationRatios, ResourceTracker
from tessera.compute.rpcapi import TOPIC
from tessera.conductor.rpcapi import CellConductorAPI
from tessera.context import RequestContext, admin_context
from tessera.image import client as image_client
from tessera.image.client import ImageClient
from tessera.objects.service import COMPUTE_BINARY
from tessera.placement.client import PlacementClient
from tessera.rpc.notifier import Notifier, notification_url
from tessera.rpc.registry import TransportRegistry
from tessera.service import Periodic, Service
from tessera.virt.fake import FakeDriver, FakeSettings

LOG = logging.getLogger(__name__)


class ConductorReporter:
    """Keeps a service record alive through the cell conductor (no database access)."""

    def __init__(
        self,
        conductor: CellConductorAPI,
        host: str,
        binary: str = COMPUTE_BINARY,
        topic: str | None = TOPIC,
        context: Callable[[], RequestContext] = admin_context,
        announce: Callable[[], None] | None = None,
    ) -> None:
        self._conductor = conductor
        self._announce = announce
        self._host, self._binary, self._topic = host, binary, topic
        self._context = context
        self._service_id: int | None = None

    @property
    def service_id(self) -> int | None:
        """The service record's id once registered."""
        return self._service_id

    def register(self) -> None:
        """Create or find the service record."""
        self._service_id = self._conductor.service_register(
            self._context(), self._host, self._binary, self._topic
        )
        LOG.info("%s on %s registered as service %s", self._binary, self._host, self._service_id)
        if self._announce is not None:
            self._announce()

    def heartbeat(self) -> None:
        """Record that the service is up now (registering first if that never succeeded)."""
        if self._service_id is None:
            self.register()
            return
        self._conductor.service_heartbeat(self._context(), self._service_id)


def instances_path(conf: cfg.ConfigOpts, host: str) -> Path:
    """``[compute] instances_path``, or ``<state_path>/instances/<host>``."""
    configured: str | None = conf.compute.instances_path
    if configured:
        return Path(configured)
    return Path(conf.state_path) / "instances" / host


def fake_settings(conf: cfg.ConfigOpts, host: str) -> FakeSettings:
    """The simulated host ``[fake_driver]`` describes."""
    fake = conf.fake_driver
    return FakeSettings(
        host=host,
        instances_path=instances_path(conf, host),
        vcpus=fake.vcpus,
        memory_mb=fake.memory_mb,
        disk_gb=fake.disk_gb,
        spawn_seconds=fake.spawn_seconds,
        fail_spawn=fake.fail_spawn,
    )


def allocation_ratios(conf: cfg.ConfigOpts) -> AllocationRatios:
    """The ``[compute]`` allocation ratios."""
    compute = conf.compute
    return AllocationRatios(
        compute.cpu_allocation_ratio, compute.ram_allocation_ratio, compute.disk_allocation_ratio
    )


def cell_transport_url(conf: cfg.ConfigOpts) -> str:
    """``[DEFAULT] transport_url``: the cell's message queue (required)."""
    url: str | None = conf.transport_url
    if not url:
        raise ValueError("tessera-compute needs [DEFAULT] transport_url (its cell's queue)")
    return url


def build_compute_service(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    placement: PlacementClient,
    images: ImageClient | None = None,
) -> Service:
    """A compute service for ``[DEFAULT] host`` with a fake driver, ready to start.

    Snapshots go to ``images``, or else to the image API ``[image] api_servers`` names.
    """
    host: str = conf.host
    transport = transports.rpc(cell_transport_url(conf))
    conductor = CellConductorAPI(transport, timeout=conf.rpc_call_timeout)
    driver = FakeDriver(fake_settings(conf, host))
    tracker = ResourceTracker(host, driver, conductor, placement, allocation_ratios(conf))
    uploads = images if images is not None else image_client.from_conf(conf)
    manager = ComputeManager(host, driver, conductor, placement, tracker, images=uploads)
    update = Periodic(
        "update_available_resource", conf.compute.resource_update_interval, tracker.update
    )
    return Service(
        binary=COMPUTE_BINARY,
        host=host,
        topic=TOPIC,
        manager=manager,
        transport=transport,
        reporter=ConductorReporter(conductor, host, announce=_announcer(conf, transports, host)),
        report_interval=conf.report_interval,
        periodic=[update],
    )


def _announcer(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    host: str,
) -> Callable[[], None]:
    """Emit ``service.create`` so the API level maps this host without an operator."""
    notifier = Notifier(
        transports, notification_url(conf, cell_transport_url(conf)), COMPUTE_BINARY, host
    )

    def announce() -> None:
        notifier.info(admin_context(), "service.create", {"host": host, "binary": COMPUTE_BINARY})

    return announce
