"""BuildRequest: a requested server that has not reached a cell yet."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from tessera.db.api import models
from tessera.db.types import table_of

TABLE = table_of(models.BuildRequest)


@dataclass(frozen=True)
class BuildRequest:
    """The serialized instance (and its devices and tags) awaiting a cell."""

    instance_uuid: str
    """The future instance's uuid."""
    project_id: str
    """Owner project (non-admin listings are scoped by it)."""
    instance: str
    """JSON of the instance as the API built it."""
    block_device_mappings: str = "[]"
    """JSON list of requested block devices."""
    tags: str = "[]"
    """JSON list of requested tags."""


def create(conn: sa.Connection, request: BuildRequest) -> None:
    """Insert a build request."""
    conn.execute(
        sa.insert(TABLE).values(
            instance_uuid=request.instance_uuid,
            project_id=request.project_id,
            instance=request.instance,
            block_device_mappings=request.block_device_mappings,
            tags=request.tags,
        )
    )


def get(conn: sa.Connection, instance_uuid: str) -> BuildRequest | None:
    """The build request for ``instance_uuid``, or None once it is gone."""
    row = conn.execute(sa.select(TABLE).where(TABLE.c.instance_uuid == instance_uuid)).first()
    if row is None:
        return None
    return BuildRequest(
        row.instance_uuid,
        row.project_id,
        row.instance or "{}",
        row.block_device_mappings or "[]",
        row.tags or "[]",
    )


def delete(conn: sa.Connection, instance_uuid: str) -> bool:
    """Delete it; True if this call removed it (False: someone else did first)."""
    result = conn.execute(sa.delete(TABLE).where(TABLE.c.instance_uuid == instance_uuid))
    return result.rowcount > 0
