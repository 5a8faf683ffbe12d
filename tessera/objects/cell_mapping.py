"""CellMapping: where a cell's database and message queue are.

URLs are stored as given (possibly templates) and expanded on every load
against the loading host's own base URLs (:class:`URLBases`).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from oslo_config import cfg

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import CellMappingNotFound
from tessera.urls import template

CELL0_UUID = "00000000-0000-0000-0000-000000000000"
CELL0_NAME = "cell0"
CELL0_TRANSPORT_URL = "none:///"

# Core, not ORM sessions: rows are read as plain tuples, nothing loads lazily.
TABLE = table_of(models.CellMapping)


@dataclass(frozen=True)
class URLBases:
    """The loading host's own URLs that cell URL templates expand against."""

    transport_url: str | None
    """This host's ``[DEFAULT] transport_url``."""
    database_connection: str | None
    """This host's ``[database] connection``."""

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> URLBases:
        """Read the bases from a service's configuration."""
        return cls(conf.transport_url, conf.database.connection)


class _Values:
    """Attribute view of a row mapping, so field access reads like the model."""

    def __init__(self, row: Mapping[Any, Any]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> Any:
        return self._row[name]


@dataclass(frozen=True)
class CellMapping:
    """One cell: its identity, expanded URLs and whether it takes new servers."""

    id: int
    """Primary key in ``cell_mappings``."""
    uuid: str
    """The cell's uuid (cell0's is all zeros)."""
    name: str | None
    """Operator-given name; may be empty."""
    transport_url: str | None
    """Message queue URL, template-expanded for this host."""
    database_connection: str | None
    """Database URL, template-expanded for this host."""
    disabled: bool
    """A disabled cell gets no new servers from the scheduler."""
    stored_transport_url: str | None = None
    """``transport_url`` as stored (maybe a template)."""
    stored_database_connection: str | None = None
    """``database_connection`` as stored (maybe a template)."""

    @property
    def is_cell0(self) -> bool:
        """Cell0 holds only servers that never reached a real cell."""
        return self.uuid == CELL0_UUID

    @property
    def identity(self) -> str:
        """How logs and messages name the cell: ``uuid(name)`` or ``uuid``."""
        return f"{self.uuid}({self.name})" if self.name else self.uuid


def from_row(row: Mapping[Any, Any], bases: URLBases) -> CellMapping:
    """Build a record from a ``cell_mappings`` row, expanding its URL templates."""
    m = _Values(row)
    label = f"{m.name} ({m.uuid})" if m.name else m.uuid
    return CellMapping(
        id=m.id,
        uuid=m.uuid,
        name=m.name,
        transport_url=template.expand(
            m.transport_url,
            bases.transport_url,
            cell=label,
            option="transport_url",
            base_option="[DEFAULT] transport_url",
        ),
        database_connection=template.expand(
            m.database_connection,
            bases.database_connection,
            cell=label,
            option="database_connection",
            base_option="[database] connection",
        ),
        disabled=bool(m.disabled),
        stored_transport_url=m.transport_url,
        stored_database_connection=m.database_connection,
    )


def get_by_uuid(conn: sa.Connection, uuid: str, bases: URLBases) -> CellMapping:
    """The cell with ``uuid``, or CellMappingNotFound."""
    stmt = sa.select(TABLE).where(TABLE.c.uuid == uuid)
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise CellMappingNotFound(uuid)
    return from_row(row._mapping, bases)


def get_by_id(conn: sa.Connection, id_: int, bases: URLBases) -> CellMapping:
    """The cell with primary key ``id_``, or CellMappingNotFound."""
    stmt = sa.select(TABLE).where(TABLE.c.id == id_)
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise CellMappingNotFound(str(id_))
    return from_row(row._mapping, bases)


def get_all(conn: sa.Connection, bases: URLBases) -> list[CellMapping]:
    """Every cell, cell0 included, in creation order."""
    rows = conn.execute(sa.select(TABLE).order_by(TABLE.c.id))
    return [from_row(row._mapping, bases) for row in rows]


def get_by_disabled(conn: sa.Connection, disabled: bool, bases: URLBases) -> list[CellMapping]:
    """Cells that are (or are not) disabled, in creation order."""
    stmt = sa.select(TABLE).where(TABLE.c.disabled == disabled).order_by(TABLE.c.id)
    return [from_row(row._mapping, bases) for row in conn.execute(stmt)]


def create(
    conn: sa.Connection,
    *,
    name: str | None,
    transport_url: str | None,
    database_connection: str | None,
    disabled: bool = False,
    uuid: str | None = None,
) -> str:
    """Insert a cell mapping and return its uuid (random unless given)."""
    cell_uuid = uuid or str(uuidlib.uuid4())
    conn.execute(
        sa.insert(TABLE).values(
            uuid=cell_uuid,
            name=name,
            transport_url=transport_url,
            database_connection=database_connection,
            disabled=disabled,
        )
    )
    return cell_uuid


def update(conn: sa.Connection, uuid: str, values: dict[str, object]) -> None:
    """Change only the given columns of the cell with ``uuid``."""
    if values:
        conn.execute(sa.update(TABLE).where(TABLE.c.uuid == uuid).values(**values))


def delete(conn: sa.Connection, uuid: str) -> None:
    """Delete the cell mapping row (callers remove what refers to it first)."""
    conn.execute(sa.delete(TABLE).where(TABLE.c.uuid == uuid))


def find_duplicate(
    cells: Sequence[CellMapping],
    transport_url: str | None,
    database_connection: str | None,
    *,
    exclude: str | None = None,
) -> CellMapping | None:
    """A cell (other than ``exclude``) sharing either expanded URL, if any."""
    for cell in cells:
        if cell.uuid == exclude:
            continue
        if (transport_url is not None and cell.transport_url == transport_url) or (
            database_connection is not None and cell.database_connection == database_connection
        ):
            return cell
    return None
