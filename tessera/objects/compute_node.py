"""Compute node rows in a cell database: what host discovery reads and marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.ComputeNode)


@dataclass(frozen=True)
class UnmappedNode:
    """A compute node that host discovery has not yet marked as mapped."""

    id: int
    """Primary key in ``compute_nodes``."""
    uuid: str | None
    """The node's uuid (its placement resource provider)."""
    host: str
    """The compute service host the node belongs to."""


def get_unmapped(conn: sa.Connection) -> list[UnmappedNode]:
    """Live nodes with ``mapped < 1`` (or NULL), by id (one indexed query)."""
    # Spelled as a range on the bare column, not ``coalesce(mapped, 0) < 1``,
    # so the (mapped, deleted) index finds the few new nodes of a periodic
    # discovery instead of every node being scanned.
    unmapped = sa.or_(TABLE.c.mapped.is_(None), TABLE.c.mapped < 1)
    stmt = (
        sa.select(TABLE.c.id, TABLE.c.uuid, TABLE.c.host)
        .where(unmapped, TABLE.c.deleted == 0, TABLE.c.host.is_not(None))
        .order_by(TABLE.c.id)
    )
    return [UnmappedNode(r.id, r.uuid, r.host) for r in conn.execute(stmt)]


def count(conn: sa.Connection) -> int:
    """Live compute nodes in the cell."""
    stmt = sa.select(sa.func.count()).select_from(TABLE).where(TABLE.c.deleted == 0)
    return int(conn.execute(stmt).scalar_one())


def mark_mapped(conn: sa.Connection, node_ids: Sequence[int]) -> None:
    """Set ``mapped = 1`` on the given nodes (batched IN lists)."""
    for start in range(0, len(node_ids), 1000):
        chunk = node_ids[start : start + 1000]
        conn.execute(sa.update(TABLE).where(TABLE.c.id.in_(chunk)).values(mapped=1))


def reset_mapped(conn: sa.Connection, host: str | None = None) -> None:
    """Set ``mapped = 0`` on the cell's nodes (or one host's) so discovery finds them again."""
    stmt = sa.update(TABLE).values(mapped=0)
    if host is not None:
        stmt = stmt.where(TABLE.c.host == host)
    conn.execute(stmt)
