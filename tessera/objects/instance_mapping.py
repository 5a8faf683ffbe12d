"""InstanceMapping: the one authority on which cell an instance lives in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.bulk import insert_ignore
from tessera.db.types import table_of
from tessera.objects.cell_mapping import TABLE as CELLS
from tessera.objects.cell_mapping import CellMapping, URLBases, from_row
from tessera.objects.errors import InstanceMappingNotFound

TABLE = table_of(models.InstanceMapping)


@dataclass(frozen=True)
class InstanceMapping:
    """Where an instance lives; ``cell`` is None until it is scheduled."""

    id: int
    """Primary key in ``instance_mappings``."""
    instance_uuid: str
    """The instance's uuid."""
    project_id: str
    """Owner project (indexed: quota and per-project listing use it)."""
    user_id: str | None
    """Owner user; None for rows mapped before user ids were recorded."""
    queued_for_delete: bool | None
    """The user asked to delete it (intent, not completion); None = unknown."""
    cell: CellMapping | None
    """The cell holding the instance, loaded with the mapping; None while building."""


@dataclass(frozen=True)
class NewMapping:
    """Values for one row of a bulk insert into ``instance_mappings``."""

    instance_uuid: str
    """The instance's uuid."""
    project_id: str
    """Owner project."""
    user_id: str | None
    """Owner user."""


def get_by_instance_uuid(conn: sa.Connection, uuid: str, bases: URLBases) -> InstanceMapping:
    """The mapping of ``uuid`` with its cell (one query), or InstanceMappingNotFound."""
    cell_cols = [c.label(f"cm_{c.name}") for c in CELLS.c]
    stmt = (
        sa.select(TABLE, *cell_cols)
        .join(CELLS, TABLE.c.cell_id == CELLS.c.id, isouter=True)
        .where(TABLE.c.instance_uuid == uuid)
    )
    row = conn.execute(stmt).one_or_none()
    if row is None:
        raise InstanceMappingNotFound(uuid)
    return _from_joined(row._mapping, bases)


def _from_joined(row: Any, bases: URLBases) -> InstanceMapping:
    cell = None
    if row["cell_id"] is not None:
        cell = from_row({c.name: row[f"cm_{c.name}"] for c in CELLS.c}, bases)
    return InstanceMapping(
        row["id"],
        row["instance_uuid"],
        row["project_id"],
        row["user_id"],
        row["queued_for_delete"],
        cell,
    )


def create(
    conn: sa.Connection,
    instance_uuid: str,
    project_id: str,
    user_id: str | None,
    cell_id: int | None = None,
) -> None:
    """Insert one mapping (``queued_for_delete`` false)."""
    conn.execute(
        sa.insert(TABLE).values(
            instance_uuid=instance_uuid,
            project_id=project_id,
            user_id=user_id,
            cell_id=cell_id,
            queued_for_delete=False,
        )
    )


def create_many(conn: sa.Connection, cell_id: int, mappings: Sequence[NewMapping]) -> int:
    """Map instances to a cell in bulk, skipping those already mapped; return rows added."""
    rows = [
        {
            "instance_uuid": m.instance_uuid,
            "project_id": m.project_id,
            "user_id": m.user_id,
            "cell_id": cell_id,
            "queued_for_delete": False,
        }
        for m in mappings
    ]
    return insert_ignore(conn, TABLE, rows)


def count_by_cell(conn: sa.Connection, cell_id: int) -> int:
    """How many instances are mapped to the cell."""
    stmt = sa.select(sa.func.count()).select_from(TABLE).where(TABLE.c.cell_id == cell_id)
    return int(conn.execute(stmt).scalar_one())


def delete_by_cell(conn: sa.Connection, cell_id: int) -> int:
    """Remove every instance mapping of the cell; return how many."""
    return conn.execute(sa.delete(TABLE).where(TABLE.c.cell_id == cell_id)).rowcount


def set_cell(conn: sa.Connection, instance_uuid: str, cell_id: int | None) -> None:
    """Point the mapping of ``instance_uuid`` at a cell."""
    conn.execute(
        sa.update(TABLE).where(TABLE.c.instance_uuid == instance_uuid).values(cell_id=cell_id)
    )
