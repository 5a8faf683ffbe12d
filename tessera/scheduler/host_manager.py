"""Host states gathered from the cells' databases, concurrently and with a deadline.

Only enabled cells are asked (all of them at once through
:func:`~tessera.context.scatter_gather`); a cell that fails or misses the
per-cell deadline contributes no hosts and is logged, it never stalls the
request. A spec with ``requested_destination.cell_uuid`` asks only that cell,
disabled or not. Only nodes whose host is mapped to the cell they were found
in are kept: an unmapped host has not been discovered yet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.engine import Engine

from tessera.context import Failed, Ok, TimedOut, scatter_gather
from tessera.objects.cell_mapping import CellMapping
from tessera.scheduler import cell_queries
from tessera.scheduler.cell_cache import CellCache, CellView
from tessera.scheduler.cell_engines import CellEngines
from tessera.scheduler.host_state import HostState
from tessera.scheduler.request import SchedulingRequest

__all__ = ["CellCache", "CellView", "HostManager", "HostSettings", "HostState"]

LOG = logging.getLogger(__name__)

AZ_KEY = "availability_zone"


@dataclass(frozen=True)
class HostSettings:
    """How host states are gathered."""

    cell_timeout: float
    """Seconds one cell may take to answer (``[DEFAULT] cell_timeout``)."""
    service_down_time: float
    """Seconds without a heartbeat after which a compute is down."""
    default_availability_zone: str
    """Zone of hosts whose aggregates name none."""


HOST_REFRESH_INTERVAL = 1.0
"""Seconds between reloads of host mappings prompted by unknown hosts."""


class HostManager:
    """Turns placement's candidate providers into host states of enabled cells."""

    def __init__(
        self, cells: CellCache, engines: CellEngines, api: Engine, settings: HostSettings
    ) -> None:
        self.cells = cells
        self._engines = engines
        self._api = api
        self._settings = settings
        self._next_refresh = 0.0

    def reset(self) -> None:
        """Reload the cell caches and drop cell engines (their URLs may have changed)."""
        self._engines.dispose()
        self.cells.reset()

    def close(self) -> None:
        """Close the cell databases' pools (service stop)."""
        self._engines.dispose()

    def host_states(self, request: SchedulingRequest, node_uuids: Sequence[str]) -> list[HostState]:
        """States of the nodes among ``node_uuids`` that live in a cell the request may use."""
        view = self.cells.view
        cells = self._cells_for(request, view)
        results = scatter_gather(
            cells,
            lambda cell: cell.uuid,
            lambda cell: self._query_cell(cell, node_uuids),
            self._settings.cell_timeout,
        )
        found = [state for cell in cells for state in _states_of(cell, results[cell.uuid])]
        states = _mapped_only(found, view.host_to_cell)
        if len(states) < len(found) and self._refresh_due():
            # Hosts mapped since the cache was loaded (by the CLI, or another
            # scheduler's discovery) are usable at once, not at the next reload.
            states = _mapped_only(found, self.cells.refresh_hosts().host_to_cell)
        return self._with_aggregates(states)

    def _refresh_due(self) -> bool:
        """At most one host-mapping reload per second (unmapped nodes may stay so)."""
        now = time.monotonic()
        if now < self._next_refresh:
            return False
        self._next_refresh = now + HOST_REFRESH_INTERVAL
        return True

    def _cells_for(self, request: SchedulingRequest, view: CellView) -> list[CellMapping]:
        if request.destination_cell is None:
            return list(view.enabled)
        cell = self.cells.cell(request.destination_cell)
        if cell is None:
            LOG.warning("Requested destination cell %s does not exist", request.destination_cell)
            return []
        return [cell]

    def _query_cell(self, cell: CellMapping, node_uuids: Sequence[str]) -> list[HostState]:
        if not cell.database_connection:
            raise ValueError(f"cell {cell.identity} has no database connection")
        engine = self._engines.engine(cell.database_connection)
        with engine.connect() as conn:
            return cell_queries.nodes_in_cell(
                conn, cell.uuid, node_uuids, self._settings.service_down_time
            )

    def _with_aggregates(self, states: list[HostState]) -> list[HostState]:
        if not states:
            return states
        with self._api.connect() as conn:
            metadata = cell_queries.aggregate_metadata(conn, sorted({s.host for s in states}))
        return [self._with_metadata(s, metadata.get(s.host, {})) for s in states]

    def _with_metadata(self, state: HostState, metadata: Mapping[str, frozenset[str]]) -> HostState:
        zones = sorted(metadata.get(AZ_KEY, ()))
        zone = zones[0] if zones else self._settings.default_availability_zone
        return replace(state, aggregate_metadata=metadata, availability_zone=zone)


def _states_of(
    cell: CellMapping, result: Ok[list[HostState]] | Failed | TimedOut
) -> list[HostState]:
    """The cell's hosts, or none (logged) when it failed or was too slow."""
    if isinstance(result, Ok):
        return result.value
    if isinstance(result, TimedOut):
        LOG.warning(
            "Cell %s did not answer within %.1fs; its hosts are skipped",
            cell.identity,
            result.after,
        )
    else:
        LOG.warning("Cell %s failed; its hosts are skipped: %s", cell.identity, result.error)
    return []


def _mapped_only(states: list[HostState], host_to_cell: Mapping[str, str]) -> list[HostState]:
    """Nodes whose host is mapped to the cell they were found in."""
    kept = [s for s in states if host_to_cell.get(s.host) == s.cell_uuid]
    if len(kept) < len(states):
        skipped = sorted({s.host for s in states} - {s.host for s in kept})
        LOG.debug("Skipping hosts not mapped to their cell (run host discovery): %s", skipped)
    return kept
