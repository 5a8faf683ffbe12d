"""Resume cursors of ``map_instances``: the last instance id mapped per cell."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.types import table_of

TABLE = table_of(models.InstanceMappingCursor)


def get(conn: sa.Connection, cell_id: int) -> int | None:
    """The id of the last instance a bounded run mapped in the cell, if any."""
    stmt = sa.select(TABLE.c.last_instance_id).where(TABLE.c.cell_id == cell_id)
    value = conn.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value)


def save(conn: sa.Connection, cell_id: int, last_instance_id: int) -> None:
    """Record where to resume in the cell (replacing any earlier cursor)."""
    clear(conn, cell_id)
    conn.execute(sa.insert(TABLE).values(cell_id=cell_id, last_instance_id=last_instance_id))


def clear(conn: sa.Connection, cell_id: int) -> None:
    """Forget the cell's cursor (the next run starts from the beginning)."""
    conn.execute(sa.delete(TABLE).where(TABLE.c.cell_id == cell_id))
