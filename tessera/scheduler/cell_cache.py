"""The scheduler's cache of cells, enabled cells and host -> cell, from the API DB.

Loaded on first use and rebuilt by :meth:`CellCache.reset` (SIGHUP). Each load
builds a new immutable :class:`CellView` and swaps it in, so the many RPC
threads reading it never see a half-built cache and never take a lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.objects import cell_mapping, host_mapping
from tessera.objects.cell_mapping import CellMapping, URLBases
from tessera.objects.errors import CellMappingNotFound

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class CellView:
    """One consistent load of the cell caches."""

    cells: Mapping[str, CellMapping] = field(default_factory=dict)
    """Cell uuid -> mapping, for every cell but cell0 (disabled ones included)."""
    enabled: tuple[CellMapping, ...] = ()
    """Cells that take new servers, in creation order."""
    host_to_cell: Mapping[str, str] = field(default_factory=dict)
    """Compute host -> uuid of the cell it is mapped to."""


class CellCache:
    """Cells and host mappings as the scheduler last loaded them."""

    def __init__(self, api: Engine, bases: URLBases) -> None:
        self._api = api
        self._bases = bases
        self._view: CellView | None = None
        self._load_lock = threading.Lock()

    @property
    def view(self) -> CellView:
        """The current load (loading it on first use)."""
        view = self._view
        return view if view is not None else self.reset()

    def reset(self) -> CellView:
        """Reload cells and host mappings (start-up and SIGHUP)."""
        with self._load_lock:
            with self._api.connect() as conn:
                cells = [c for c in cell_mapping.get_all(conn, self._bases) if not c.is_cell0]
                hosts = _host_cells(conn)
            view = CellView(
                cells={c.uuid: c for c in cells},
                enabled=tuple(c for c in cells if not c.disabled),
                host_to_cell=hosts,
            )
            self._view = view
        LOG.info(
            "Cell cache loaded: %d cells (%d enabled), %d mapped hosts",
            len(cells),
            len(view.enabled),
            len(hosts),
        )
        return view

    def refresh_hosts(self) -> CellView:
        """Reload only host -> cell (after host discovery mapped new hosts)."""
        base = self.view
        with self._load_lock:
            with self._api.connect() as conn:
                hosts = _host_cells(conn)
            # A reset may have swapped in newer cells meanwhile; keep them.
            view = replace(self._view or base, host_to_cell=hosts)
            self._view = view
        return view

    def cell(self, uuid: str) -> CellMapping | None:
        """The cell ``uuid`` (asking the API DB when it is newer than the cache)."""
        found = self.view.cells.get(uuid)
        if found is not None:
            return found
        try:
            with self._api.connect() as conn:
                found = cell_mapping.get_by_uuid(conn, uuid, self._bases)
        except CellMappingNotFound:
            return None
        return None if found.is_cell0 else found


def _host_cells(conn: sa.Connection) -> dict[str, str]:
    hosts, cells = host_mapping.TABLE, cell_mapping.TABLE
    stmt = sa.select(hosts.c.host, cells.c.uuid).join(cells, hosts.c.cell_id == cells.c.id)
    return {row.host: row.uuid for row in conn.execute(stmt)}
