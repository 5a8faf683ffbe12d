"""API-level access to the cells: their mappings, databases and compute RPC clients.

Cell mappings are re-read at most every ``ttl`` seconds, so a new, changed or
disabled cell takes effect without a restart; engines and transports are
created once per URL by the owning registries.
"""

from __future__ import annotations

import threading
import time

from oslo_config import cfg
from sqlalchemy.engine import Engine

from tessera.compute.rpcapi import ComputeAPI
from tessera.db.engines import Databases
from tessera.objects import cell_mapping, host_mapping
from tessera.objects.cell_mapping import CELL0_UUID, CellMapping, URLBases
from tessera.objects.errors import CellMappingNotFound
from tessera.rpc.registry import TransportRegistry


class CellTargets:
    """Cell mappings (cached briefly) and the engines and RPC clients to reach each cell."""

    def __init__(
        self,
        api_engine: Engine,
        databases: Databases,
        transports: TransportRegistry,
        bases: URLBases,
        ttl: float = 5.0,
        rpc_timeout: float = 60.0,
        api_reader: Engine | None = None,
    ) -> None:
        self.api_engine = api_engine
        self.api_reader = api_reader or api_engine
        """Autocommit engine for single-statement reads of the API database."""
        self._databases = databases
        self._transports = transports
        self._bases = bases
        self._ttl = ttl
        self._rpc_timeout = rpc_timeout
        self._cells: dict[str, CellMapping] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_conf(
        cls, conf: cfg.ConfigOpts, databases: Databases, transports: TransportRegistry
    ) -> CellTargets:
        """Targets of an API-level service: its ``[api_database]`` and URL bases."""
        return cls(
            databases.engine(conf.api_database.connection),
            databases,
            transports,
            URLBases.from_conf(conf),
            rpc_timeout=conf.rpc_call_timeout,
            api_reader=databases.reader(conf.api_database.connection),
        )

    @property
    def bases(self) -> URLBases:
        """This host's URLs, against which cell URL templates expand."""
        return self._bases

    def cells(self) -> list[CellMapping]:
        """Every cell, cell0 included, in creation order."""
        with self._lock:
            if time.monotonic() - self._loaded_at > self._ttl:
                self._load_locked()
            return list(self._cells.values())

    def _load_locked(self) -> None:
        with self.api_engine.connect() as conn:
            self._cells = {c.uuid: c for c in cell_mapping.get_all(conn, self._bases)}
        self._loaded_at = time.monotonic()

    def reload(self) -> None:
        """Forget cached mappings (SIGHUP, or after a cell was changed)."""
        with self._lock:
            self._loaded_at = 0.0

    def cell(self, uuid: str) -> CellMapping:
        """The cell with ``uuid`` (reloading once if it is new)."""
        for cell in self.cells():
            if cell.uuid == uuid:
                return cell
        self.reload()
        for cell in self.cells():
            if cell.uuid == uuid:
                return cell
        raise CellMappingNotFound(uuid)

    def cell_by_id(self, cell_id: int) -> CellMapping:
        """The cell with primary key ``cell_id`` (reloading once if it is new)."""
        for attempt in range(2):
            for cell in self.cells():
                if cell.id == cell_id:
                    return cell
            if attempt == 0:
                self.reload()
        raise CellMappingNotFound(str(cell_id))

    def cell0(self) -> CellMapping:
        """The cell of servers that never found a host."""
        return self.cell(CELL0_UUID)

    def cell_of_host(self, host: str) -> CellMapping:
        """The cell ``host`` is mapped to (HostMappingNotFound if it is not)."""
        with self.api_engine.connect() as conn:
            return host_mapping.get_by_host(conn, host, self._bases).cell

    def engine(self, cell: CellMapping) -> Engine:
        """The cell's database engine."""
        if not cell.database_connection:
            raise ValueError(f"Cell {cell.identity} has no database connection")
        return self._databases.engine(cell.database_connection)

    def reader(self, cell: CellMapping) -> Engine:
        """The cell's autocommit engine, for single-statement reads."""
        if not cell.database_connection:
            raise ValueError(f"Cell {cell.identity} has no database connection")
        return self._databases.reader(cell.database_connection)

    def compute(self, cell: CellMapping) -> ComputeAPI:
        """An RPC client of the computes of ``cell``, over the cell's transport."""
        if not cell.transport_url or cell.transport_url.startswith("none:"):
            raise ValueError(f"Cell {cell.identity} has no message queue")
        return ComputeAPI(self._transports.rpc(cell.transport_url), self._rpc_timeout)
