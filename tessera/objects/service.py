"""Service rows in a cell database: what host discovery by service reads."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.Service)

COMPUTE_BINARY = "tessera-compute"


def compute_hosts(conn: sa.Connection) -> list[str]:
    """Hosts of every live compute service, disabled ones included, sorted."""
    stmt = (
        sa.select(TABLE.c.host)
        .distinct()
        .where(TABLE.c.binary == COMPUTE_BINARY, TABLE.c.deleted == 0, TABLE.c.host.is_not(None))
        .order_by(TABLE.c.host)
    )
    return [row.host for row in conn.execute(stmt)]
