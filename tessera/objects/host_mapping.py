"""HostMapping: which cell a compute host belongs to (one cell per host)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.bulk import insert_ignore_returning
from tessera.db.types import table_of
from tessera.objects.cell_mapping import TABLE as CELLS
from tessera.objects.cell_mapping import CellMapping, URLBases, from_row
from tessera.objects.errors import HostMappingNotFound

TABLE = table_of(models.HostMapping)


@dataclass(frozen=True)
class HostMapping:
    """A host and the cell it lives in (loaded together in one query)."""

    id: int
    """Primary key in ``host_mappings``."""
    host: str
    """The compute host's name (its ``[DEFAULT] host``)."""
    cell: CellMapping
    """The cell the host is mapped to."""


def _joined() -> sa.Select[Any]:
    cell_cols = [c.label(f"cm_{c.name}") for c in CELLS.c]
    return sa.select(TABLE.c.id, TABLE.c.host, *cell_cols).join(
        CELLS, TABLE.c.cell_id == CELLS.c.id
    )


def _from_joined(row: Any, bases: URLBases) -> HostMapping:
    cell_row = {c.name: row._mapping[f"cm_{c.name}"] for c in CELLS.c}
    return HostMapping(row.id, row.host, from_row(cell_row, bases))


def get_by_host(conn: sa.Connection, host: str, bases: URLBases) -> HostMapping:
    """The mapping of ``host`` with its cell, or HostMappingNotFound."""
    row = conn.execute(_joined().where(TABLE.c.host == host)).one_or_none()
    if row is None:
        raise HostMappingNotFound(host)
    return _from_joined(row, bases)


def get_all(conn: sa.Connection, bases: URLBases, cell_id: int | None = None) -> list[HostMapping]:
    """All host mappings (or one cell's), sorted by host name."""
    stmt = _joined().order_by(TABLE.c.host)
    if cell_id is not None:
        stmt = stmt.where(TABLE.c.cell_id == cell_id)
    return [_from_joined(row, bases) for row in conn.execute(stmt)]


def cells_of_hosts(conn: sa.Connection, hosts: Sequence[str]) -> dict[str, int]:
    """``{host: cell_id}`` for those of ``hosts`` that are mapped (batched IN)."""
    found: dict[str, int] = {}
    for start in range(0, len(hosts), 1000):
        chunk = hosts[start : start + 1000]
        stmt = sa.select(TABLE.c.host, TABLE.c.cell_id).where(TABLE.c.host.in_(chunk))
        found.update({row.host: row.cell_id for row in conn.execute(stmt)})
    return found


def count_by_cell(conn: sa.Connection, cell_id: int) -> int:
    """How many hosts are mapped to the cell."""
    stmt = sa.select(sa.func.count()).select_from(TABLE).where(TABLE.c.cell_id == cell_id)
    return int(conn.execute(stmt).scalar_one())


def create_many(conn: sa.Connection, cell_id: int, hosts: Iterable[str]) -> list[str]:
    """Map ``hosts`` to the cell, skipping any host mapped meanwhile; return those added."""
    rows = [{"host": host, "cell_id": cell_id} for host in hosts]
    added: list[str] = insert_ignore_returning(conn, TABLE, rows, TABLE.c.host)
    return added


def delete(conn: sa.Connection, host: str) -> None:
    """Remove the mapping of ``host``."""
    conn.execute(sa.delete(TABLE).where(TABLE.c.host == host))


def delete_by_cell(conn: sa.Connection, cell_id: int) -> int:
    """Remove every host mapping of the cell; return how many."""
    return conn.execute(sa.delete(TABLE).where(TABLE.c.cell_id == cell_id)).rowcount
