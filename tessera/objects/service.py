"""Service rows in a cell database: records, heartbeats and up/down state."""

from __future__ import annotations

import datetime
import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of, utcnow

TABLE = table_of(models.Service)

COMPUTE_BINARY = "tessera-compute"


@dataclass(frozen=True)
class Service:
    """A running (or once-running) service of a cell."""

    id: int
    """Primary key in the cell's ``services`` table."""
    uuid: str
    """Stable identity of the service record."""
    host: str
    """The host the service runs on."""
    binary: str
    """``tessera-compute``, ``tessera-conductor``, ..."""
    topic: str | None
    """RPC topic it listens on."""
    report_count: int
    """Heartbeats recorded so far."""
    disabled: bool
    """Disabled services get no new work (computes: no new servers)."""
    disabled_reason: str | None
    """Why an operator disabled it."""
    forced_down: bool
    """An operator declared it down regardless of heartbeats."""
    last_seen_up: datetime.datetime | None
    """Time of the last heartbeat (UTC, naive)."""

    def is_up(self, down_time: float, now: datetime.datetime | None = None) -> bool:
        """Up when not forced down and heard from within ``down_time`` seconds."""
        if self.forced_down or self.last_seen_up is None:
            return False
        elapsed = ((now or utcnow()) - self.last_seen_up).total_seconds()
        return elapsed <= down_time


def _record(row: Any) -> Service:
    return Service(
        row.id,
        row.uuid,
        row.host,
        row.binary,
        row.topic,
        row.report_count,
        bool(row.disabled),
        row.disabled_reason,
        bool(row.forced_down),
        row.last_seen_up,
    )


def compute_hosts(conn: sa.Connection) -> list[str]:
    """Hosts of every live compute service, disabled ones included, sorted."""
    stmt = (
        sa.select(TABLE.c.host)
        .distinct()
        .where(TABLE.c.binary == COMPUTE_BINARY, TABLE.c.deleted == 0, TABLE.c.host.is_not(None))
        .order_by(TABLE.c.host)
    )
    return [row.host for row in conn.execute(stmt)]


def get_by_host_and_binary(conn: sa.Connection, host: str, binary: str) -> Service | None:
    """The live service record of ``binary`` on ``host``, if any."""
    stmt = sa.select(TABLE).where(
        TABLE.c.host == host, TABLE.c.binary == binary, TABLE.c.deleted == 0
    )
    row = conn.execute(stmt).first()
    return None if row is None else _record(row)


def get_all(conn: sa.Connection, binary: str | None = None) -> list[Service]:
    """Live service records of the cell (of one binary), by id."""
    stmt = sa.select(TABLE).where(TABLE.c.deleted == 0).order_by(TABLE.c.id)
    if binary is not None:
        stmt = stmt.where(TABLE.c.binary == binary)
    return [_record(row) for row in conn.execute(stmt)]


def register(conn: sa.Connection, host: str, binary: str, topic: str | None) -> Service:
    """Create the service record, or return the existing one (a restart)."""
    existing = get_by_host_and_binary(conn, host, binary)
    if existing is not None:
        return existing
    conn.execute(
        sa.insert(TABLE).values(
            uuid=str(uuidlib.uuid4()),
            host=host,
            binary=binary,
            topic=topic,
            report_count=0,
            disabled=False,
            forced_down=False,
            last_seen_up=utcnow(),
        )
    )
    created = get_by_host_and_binary(conn, host, binary)
    assert created is not None
    return created


def heartbeat(conn: sa.Connection, service_id: int) -> None:
    """Record that the service is alive now."""
    conn.execute(
        sa.update(TABLE)
        .where(TABLE.c.id == service_id)
        .values(report_count=TABLE.c.report_count + 1, last_seen_up=utcnow())
    )


def set_disabled(
    conn: sa.Connection, service_id: int, disabled: bool, reason: str | None = None
) -> None:
    """Enable or disable a service (with a reason when disabling)."""
    conn.execute(
        sa.update(TABLE)
        .where(TABLE.c.id == service_id)
        .values(disabled=disabled, disabled_reason=reason if disabled else None)
    )
