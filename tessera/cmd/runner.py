"""Running services in the foreground: signals, logging and a clean stop.

SIGTERM and SIGINT stop every service gracefully (stop taking work, finish
what is in flight); SIGHUP makes every service reload its caches (cells,
host mappings) without a restart.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from oslo_config import cfg

from tessera import conf as tessera_conf
from tessera.db.engines import Databases
from tessera.placement.client import HTTPTransport, PlacementClient
from tessera.placement.embedded import open_embedded
from tessera.service import Service, stop_all

LOG = logging.getLogger(__name__)


def load(argv: Sequence[str] | None, prog: str) -> cfg.ConfigOpts:
    """Parse ``--config-file`` and friends for a service command."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return tessera_conf.load(list(sys.argv[1:] if argv is None else argv), prog=prog)


def databases(conf: cfg.ConfigOpts) -> Databases:
    """The service's engines, retrying first connections as ``[database]`` says."""
    return Databases(tessera_conf.database.DatabaseSettings.from_conf(conf, "database"))


def placement_client(conf: cfg.ConfigOpts) -> tuple[PlacementClient, Callable[[], None]]:
    """A placement client and how to release it: HTTP to ``[placement] endpoint``,
    else the placement service in-process on ``[placement] connection``."""
    if conf.placement.endpoint:
        return PlacementClient(HTTPTransport(conf.placement.endpoint)), lambda: None
    if not conf.placement.connection:
        raise SystemExit("Set [placement] endpoint (or connection for in-process placement).")
    embedded = open_embedded(conf.placement.connection)
    return PlacementClient(embedded.transport()), embedded.close


def serve(services: list[Service], cleanups: Sequence[Callable[[], None]] = ()) -> int:
    """Start ``services`` and block until SIGTERM/SIGINT; SIGHUP reloads caches."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: _reset(services))
    try:
        for service in services:
            service.start()
        while not stop.wait(1.0):
            pass
        LOG.info("Stopping %d service(s)", len(services))
    finally:
        stop_all(services)
        for cleanup in cleanups:
            cleanup()
    return 0


def _reset(services: list[Service]) -> None:
    LOG.info("SIGHUP: reloading caches")
    for service in services:
        service.reset()
