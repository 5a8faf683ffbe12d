"""Instance faults (cell database): why a server is in ERROR."""

from __future__ import annotations

import datetime
import traceback as tb
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.InstanceFault)


@dataclass(frozen=True)
class Fault:
    """The latest fault of an instance as the API shows it."""

    code: int
    """HTTP-like code (500 for unexpected errors)."""
    message: str
    """Short message (at most 255 characters)."""
    details: str | None
    """Traceback, recorded only for code 500."""
    host: str | None
    """Host where it happened."""
    created_at: datetime.datetime | None = None
    """When it was recorded (naive UTC)."""


def record(
    conn: sa.Connection,
    instance_uuid: str,
    error: BaseException,
    host: str | None,
    code: int | None = None,
    message: str | None = None,
) -> Fault:
    """Store a fault for ``error``; return what was stored."""
    code = code or int(getattr(error, "code", 500))
    text = (message or str(error) or type(error).__name__)[:255]
    details = "".join(tb.format_exception(error)) if code == 500 else None
    conn.execute(
        sa.insert(TABLE).values(
            instance_uuid=instance_uuid, code=code, message=text, details=details, host=host
        )
    )
    return Fault(code, text, details, host)


def latest(conn: sa.Connection, instance_uuid: str) -> Fault | None:
    """The newest fault of the instance, if any."""
    stmt = (
        sa.select(TABLE)
        .where(TABLE.c.instance_uuid == instance_uuid, TABLE.c.deleted == 0)
        .order_by(TABLE.c.id.desc())
        .limit(1)
    )
    row = conn.execute(stmt).first()
    return None if row is None else from_row(row)


def from_row(row: Any) -> Fault:
    """The fault a row of ``instance_faults`` holds."""
    return Fault(row.code, row.message or "", row.details, row.host, row.created_at)
