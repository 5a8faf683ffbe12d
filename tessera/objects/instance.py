"""Instance rows in a cell database: the queries the control plane needs so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.Instance)


@dataclass(frozen=True)
class InstanceRef:
    """The identity of an instance as a cell stores it (for mapping backfills)."""

    id: int
    """Primary key in the cell's ``instances`` table (insertion order)."""
    uuid: str
    """The instance's uuid."""
    project_id: str | None
    """Owner project."""
    user_id: str | None
    """Owner user."""
    deleted: bool
    """Soft-deleted in the cell."""


def get_ref(conn: sa.Connection, uuid: str) -> InstanceRef | None:
    """The instance with ``uuid``, deleted or not; None if the row is gone."""
    stmt = sa.select(*_REF_COLUMNS).where(TABLE.c.uuid == uuid)
    row = conn.execute(stmt).first()
    return None if row is None else _ref(row)


_REF_COLUMNS = (TABLE.c.id, TABLE.c.uuid, TABLE.c.project_id, TABLE.c.user_id, TABLE.c.deleted)


def _ref(row: Any) -> InstanceRef:
    return InstanceRef(row.id, row.uuid, row.project_id, row.user_id, bool(row.deleted))


def page_after(conn: sa.Connection, after_id: int, limit: int) -> Sequence[Any]:
    """Up to ``limit`` instances (deleted ones too) with ``id > after_id``, by id.

    Keyset paging on the primary key: each page is one index range scan,
    however deep into the table it starts.
    """
    stmt = (
        sa.select(TABLE.c.id, TABLE.c.uuid, TABLE.c.project_id, TABLE.c.user_id)
        .where(TABLE.c.id > after_id)
        .order_by(TABLE.c.id)
        .limit(limit)
    )
    return conn.execute(stmt).all()


def count_live(conn: sa.Connection, host: str | None = None) -> int:
    """Non-deleted instances in the cell (or on one of its hosts)."""
    stmt = sa.select(sa.func.count()).select_from(TABLE).where(TABLE.c.deleted == 0)
    if host is not None:
        stmt = stmt.where(TABLE.c.host == host)
    return int(conn.execute(stmt).scalar_one())


def count_all(conn: sa.Connection) -> int:
    """Every instance row in the cell, deleted ones included."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar_one())
