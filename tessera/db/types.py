"""Column types and mixins shared by the API and cell schemas."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Table, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

# Serialized objects (build requests, request specs, connection info) outgrow
# MySQL's 64 KiB TEXT; other backends have no such limit.
MediumText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def utcnow() -> datetime.datetime:
    """The current time in UTC, naive, as every timestamp column stores it."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class Timestamps:
    """``created_at`` / ``updated_at`` columns present on every table."""

    created_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, onupdate=utcnow)


class SoftDelete:
    """Cell rows are soft-deleted: ``deleted`` is set to the row's ``id``."""

    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    deleted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


__all__ = ["MediumText", "SoftDelete", "Timestamps", "table_of", "utcnow"]


def table_of(model: type[Any]) -> Table:
    """The Core table of a declarative model, typed for insert/update/delete."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
