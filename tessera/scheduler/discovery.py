"""Host discovery from the scheduler: periodic, and right away when a compute appears.

Runs the same default-mode discovery as ``tessera-manage cell_v2
discover_hosts`` (unmapped compute nodes, never by service) over every cell
but cell0, disabled cells included. Discovery itself is set-based and safe to
run from two schedulers at once, so there is no leader election; within one
process runs are serialized. Cells are visited concurrently with a deadline,
so a down cell is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.cells.host_discovery import CellDiscovery, discover_in_cell
from tessera.context import Failed, Ok, RequestContext, TimedOut, scatter_gather
from tessera.objects import cell_mapping
from tessera.objects.cell_mapping import CellMapping, URLBases
from tessera.objects.service import COMPUTE_BINARY
from tessera.scheduler.cell_cache import CellCache
from tessera.scheduler.cell_engines import CellEngines
from tessera.scheduler.delayed_retries import DelayedRetries

LOG = logging.getLogger(__name__)

DEFAULT_PERIOD = 60.0
"""Seconds between runs when the interval option is 0."""
DISCOVERY_DEADLINE = 60.0
"""Seconds one cell's discovery may take before the run stops waiting for it."""
SERVICE_EVENTS = frozenset({"service.create", "service.update"})


def discovery_interval(conf: cfg.ConfigOpts) -> float | None:
    """``[scheduler] discover_hosts_in_cells_interval`` in seconds; None when disabled."""
    value = int(conf.scheduler.discover_hosts_in_cells_interval)
    if value < 0:
        return None
    return float(value) if value > 0 else DEFAULT_PERIOD


class HostDiscovery:
    """Maps new compute hosts of all cells and refreshes the scheduler's cell cache."""

    def __init__(
        self,
        api: Engine,
        bases: URLBases,
        engines: CellEngines,
        cells: CellCache,
        deadline: float = DISCOVERY_DEADLINE,
    ) -> None:
        self._api = api
        self._bases = bases
        self._engines = engines
        self._cells = cells
        self._deadline = deadline
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def run(self) -> list[str]:
        """Discover once; return the new hosts as ``<cell name>:<host>``."""
        with self._lock:
            cells = self._cells_to_visit()
            results = scatter_gather(cells, _uuid, self._discover, self._deadline)
            created = [entry for cell in cells for entry in self._report(cell, results[cell.uuid])]
            # New hosts (and any new, changed or re-enabled cell) count from now on.
            self._cells.reset()
        if created:
            LOG.info("Discovered %d new hosts: %s", len(created), ",".join(created))
        return created

    def run_quietly(self) -> None:
        """:meth:`run` for callers that want no result (periodic tasks)."""
        self.run()

    def is_mapped(self, host: str) -> bool:
        """Whether the cache knows the host's cell."""
        return host in self._cells.view.host_to_cell

    def _cells_to_visit(self) -> list[CellMapping]:
        with self._api.connect() as conn:
            cells = cell_mapping.get_all(conn, self._bases)
        return [c for c in cells if not c.is_cell0 and c.database_connection]

    def _discover(self, cell: CellMapping) -> CellDiscovery:
        assert cell.database_connection is not None
        return discover_in_cell(self._api, self._engines.engine(cell.database_connection), cell)

    def _report(
        self, cell: CellMapping, result: Ok[CellDiscovery] | Failed | TimedOut
    ) -> list[str]:
        if isinstance(result, Failed):
            LOG.warning("Host discovery in cell %s failed: %s", cell.identity, result.error)
            return []
        if isinstance(result, TimedOut):
            LOG.warning("Host discovery in cell %s took over %.0fs", cell.identity, result.after)
            return []
        self._warn_foreign(cell, result.value.foreign)
        return [f"{cell.name or cell.uuid}:{host}" for host in result.value.created]

    def _warn_foreign(self, cell: CellMapping, hosts: list[str]) -> None:
        for host in hosts:
            # Once as a warning, then quietly: it stays true until an operator acts.
            log = LOG.debug if host in self._warned else LOG.warning
            self._warned.add(host)
            log("Host %s of cell %s is already mapped to another cell", host, cell.identity)


def _uuid(cell: CellMapping) -> str:
    return cell.uuid


def _payload_host(payload: Any) -> str | None:
    """``host`` of the payload, or of an object payload's data one level down."""
    if not isinstance(payload, Mapping):
        return None
    if isinstance(payload.get("host"), str):
        return str(payload["host"])
    for value in payload.values():
        if isinstance(value, Mapping) and isinstance(value.get("host"), str):
            return str(value["host"])
    return None


class ComputeServiceEvents:
    """Notification endpoint: a compute service was created or updated -> discover now.

    A compute usually announces its service before its node record exists, so
    when the host is still unmapped after a run, discovery is repeated a few
    times over the next half minute.
    """

    def __init__(self, discovery: HostDiscovery, retries: DelayedRetries | None = None) -> None:
        self._discovery = discovery
        self._retries = retries or DelayedRetries(discovery.run, discovery.is_mapped)

    def info(
        self,
        ctxt: RequestContext,
        publisher_id: str,
        event_type: str,
        payload: Any,
        metadata: Mapping[str, Any],
    ) -> None:
        """React to ``service.create`` / ``service.update`` from ``tessera-compute:<host>``."""
        binary, _, host = publisher_id.partition(":")
        if event_type not in SERVICE_EVENTS or binary != COMPUTE_BINARY:
            return None
        host = host or _payload_host(payload) or ""
        if host and self._discovery.is_mapped(host):
            return None
        self._discovery.run()
        if host and not self._discovery.is_mapped(host):
            self._retries.add(host)
        return None

    def stop(self) -> None:
        """Stop pending retries."""
        self._retries.stop()
