"""``tessera-scheduler`` as a :class:`tessera.service.Service`.

It serves topic ``scheduler`` on the API-level transport (``[DEFAULT]
transport_url``), reads the API DB (``[api_database] connection``), records
itself in ``[database] connection`` (cell0 for API-level services), runs
periodic host discovery, and listens for compute service notifications to
discover new hosts at once.

Notifications are read from ``[oslo_messaging_notifications] transport_url``
(else ``[DEFAULT] transport_url``); computes reach this scheduler only if they
send their notifications there. Each scheduler listens in its own pool, so
every scheduler hears every event and refreshes its own host cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oslo_config import cfg

from tessera.db.engines import Databases
from tessera.objects.cell_mapping import URLBases
from tessera.placement.client import PlacementClient
from tessera.rpc.notifier import listen, notification_url
from tessera.rpc.registry import TransportRegistry
from tessera.scheduler.cell_engines import CellEngines
from tessera.scheduler.discovery import ComputeServiceEvents, HostDiscovery, discovery_interval
from tessera.scheduler.manager import SchedulerManager, build_manager
from tessera.scheduler.rpcapi import TOPIC
from tessera.service import DirectReporter, Periodic, Service

BINARY = "tessera-scheduler"


class SchedulerService(Service):
    """The RPC service plus notification listeners for compute service events."""

    def __init__(
        self,
        *,
        events: ComputeServiceEvents,
        transports: TransportRegistry,
        listen_urls: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.events = events
        self._transports = transports
        self._listen_urls = list(listen_urls)
        self._listeners: list[Any] = []

    def start(self) -> None:
        """Start serving, then start listening for compute service events."""
        super().start()
        pool = f"{BINARY}:{self.host}"
        for url in self._listen_urls:
            self._listeners.append(listen(self._transports, url, [self.events], pool=pool))

    def stop(self) -> None:
        """Stop listening and serving."""
        self.events.stop()
        for listener in self._listeners:
            listener.stop()
        super().stop()

    def wait(self) -> None:
        """Wait for listeners and the RPC server to finish."""
        for listener in self._listeners:
            listener.wait()
        super().wait()


def _required(value: str | None, option: str) -> str:
    if not value:
        raise ValueError(f"tessera-scheduler needs {option} set")
    return value


def build_scheduler_service(
    conf: cfg.ConfigOpts,
    transports: TransportRegistry,
    databases: Databases,
    placement: PlacementClient,
    notification_urls: Sequence[str] | None = None,
) -> Service:
    """Wire a scheduler from its configuration (not started yet).

    ``notification_urls`` overrides where compute service events are heard
    (default: the notification URL of ``conf``).
    """
    transport_url = _required(conf.transport_url, "[DEFAULT] transport_url")
    api = databases.engine(_required(conf.api_database.connection, "[api_database] connection"))
    local = databases.engine(_required(conf.database.connection, "[database] connection"))
    engines = CellEngines()
    manager = build_manager(conf, api, placement, engines)
    discovery = HostDiscovery(api, URLBases.from_conf(conf), engines, manager.hosts.cells)
    return SchedulerService(
        events=ComputeServiceEvents(discovery),
        transports=transports,
        listen_urls=notification_urls or [notification_url(conf, transport_url)],
        binary=BINARY,
        host=conf.host,
        topic=TOPIC,
        manager=manager,
        transport=transports.rpc(transport_url),
        reporter=DirectReporter(local, conf.host, BINARY, TOPIC),
        report_interval=conf.report_interval,
        periodic=_periodic(conf, discovery),
    )


def _periodic(conf: cfg.ConfigOpts, discovery: HostDiscovery) -> list[Periodic]:
    interval = discovery_interval(conf)
    if interval is None:
        return []
    return [Periodic("discover_hosts", interval, discovery.run_quietly, run_immediately=True)]


__all__ = ["BINARY", "SchedulerManager", "SchedulerService", "build_scheduler_service"]
