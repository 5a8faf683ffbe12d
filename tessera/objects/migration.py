"""Migrations (cell database): one record per move of a server, and their queries.

Rows are written by moves (a later issue); here they are read: one cell's page
of a filtered listing in the API's order (newest first), and a server's
in-progress live migrations. Soft-deleted rows are never returned, nor are
``hidden`` ones (the other copy of a cross-cell move).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from tessera.db.main import models
from tessera.db.types import table_of

TABLE = table_of(models.Migration)

LIVE_MIGRATION = "live-migration"
MIGRATION_TYPES = ("migration", "resize", "live-migration", "evacuation")
LIVE_IN_PROGRESS = ("queued", "preparing", "running", "post-migrating")
"""Statuses of a live migration still under way."""


@dataclass(frozen=True)
class Migration:
    """One migration record as a cell stores it."""

    id: int
    """Primary key (unique within its cell only)."""
    uuid: str | None
    """Globally unique id."""
    instance_uuid: str | None
    """The server that moves."""
    status: str | None
    """``queued``, ``running``, ``finished``, ``confirmed``, ``error``, ..."""
    migration_type: str | None
    """``migration``, ``resize``, ``live-migration`` or ``evacuation``."""
    source_compute: str | None
    """Host the server leaves."""
    dest_compute: str | None
    """Host it goes to."""
    source_node: str | None
    """Node it leaves."""
    dest_node: str | None
    """Node it goes to."""
    dest_host: str | None
    """Address of the destination host."""
    old_instance_type_id: int | None
    """Flavor (internal id) before a resize."""
    new_instance_type_id: int | None
    """Flavor after it."""
    memory_total: int | None
    """Live migration progress: memory to copy, bytes."""
    memory_processed: int | None
    """Memory copied so far."""
    memory_remaining: int | None
    """Memory left."""
    disk_total: int | None
    """Disk to copy, bytes."""
    disk_processed: int | None
    """Disk copied so far."""
    disk_remaining: int | None
    """Disk left."""
    user_id: str | None
    """Who started the move."""
    project_id: str | None
    """The server's project."""
    created_at: datetime.datetime | None
    """When the move started."""
    updated_at: datetime.datetime | None
    """When the record last changed."""

    @classmethod
    def from_row(cls, row: Any) -> Migration:
        """The record of a ``migrations`` row."""
        values = row._mapping
        return cls(**{f.name: values[f.name] for f in fields(cls)})

    @property
    def is_live_in_progress(self) -> bool:
        """A live migration that has not ended."""
        return self.migration_type == LIVE_MIGRATION and self.status in LIVE_IN_PROGRESS


_COLUMNS = [TABLE.c[f.name] for f in fields(Migration)]


@dataclass(frozen=True)
class MigrationFilters:
    """Which migrations a listing asks for (every field set narrows it)."""

    status: str | None = None
    """Only this status."""
    host: str | None = None
    """Only moves from or to this host."""
    source_compute: str | None = None
    """Only moves from this host (ignored when ``host`` is given, as the reference does)."""
    instance_uuid: str | None = None
    """Only this server's moves."""
    migration_type: str | None = None
    """Only this kind of move."""
    user_id: str | None = None
    """Only moves started by this user."""
    project_id: str | None = None
    """Only moves of this project's servers."""
    changes_since: datetime.datetime | None = None
    """Only records changed at or after this time (naive UTC)."""
    changes_before: datetime.datetime | None = None
    """Only records changed at or before this time (naive UTC)."""
    hidden: bool = False
    """Hidden records are never listed: asking for them matches nothing."""


def _where(filters: MigrationFilters) -> list[sa.ColumnElement[bool]]:
    c = TABLE.c
    clauses: list[sa.ColumnElement[bool]] = [c.deleted == 0, c.hidden.is_not(sa.true())]
    if filters.hidden:
        clauses.append(sa.false())
    if filters.host is not None:
        clauses.append(sa.or_(c.source_compute == filters.host, c.dest_compute == filters.host))
    elif filters.source_compute is not None:
        clauses.append(c.source_compute == filters.source_compute)
    for name in ("status", "instance_uuid", "migration_type", "user_id", "project_id"):
        value = getattr(filters, name)
        if value is not None:
            clauses.append(c[name] == value)
    if filters.changes_since is not None:
        clauses.append(c.updated_at >= filters.changes_since)
    if filters.changes_before is not None:
        clauses.append(c.updated_at <= filters.changes_before)
    return clauses


def _after(marker: Migration) -> sa.ColumnElement[bool]:
    """Rows strictly after ``marker`` in the listing order (see :func:`page`)."""
    c = TABLE.c
    created = sa.literal(marker.created_at, c.created_at.type)
    return sa.or_(
        c.created_at < created,
        sa.and_(c.created_at == created, c.id < marker.id),
        sa.and_(c.created_at == created, c.id == marker.id, c.uuid > marker.uuid),
    )


def page(
    conn: sa.Connection, filters: MigrationFilters, after: Migration | None, limit: int | None
) -> list[Migration]:
    """Up to ``limit`` migrations (all if None) after ``after``, newest first.

    The order is ``created_at`` then ``id`` descending, then ``uuid`` ascending:
    ids repeat across cells, so the uuid makes it total for a merge of cells.
    """
    stmt = sa.select(*_COLUMNS).where(*_where(filters))
    if after is not None:
        stmt = stmt.where(_after(after))
    stmt = stmt.order_by(TABLE.c.created_at.desc(), TABLE.c.id.desc(), TABLE.c.uuid.asc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [Migration.from_row(row) for row in conn.execute(stmt)]


def sort_key(record: Migration) -> tuple[Any, ...]:
    """Sorting by this puts migrations in the listing order (a stable sort, see merge)."""
    return (record.created_at or datetime.datetime.min, record.id)


def merge(streams: Sequence[Sequence[Migration]]) -> list[Migration]:
    """Several cells' pages as one, in the listing order; a uuid seen twice (the two
    copies of a cross-cell move) keeps its most recently changed record."""
    newest: dict[str, Migration] = {}
    unnamed: list[Migration] = []
    for record in (r for stream in streams for r in stream):
        if record.uuid is None:
            unnamed.append(record)
            continue
        kept = newest.get(record.uuid)
        if kept is None or _changed(record) > _changed(kept):
            newest[record.uuid] = record
    ordered = sorted([*newest.values(), *unnamed], key=lambda r: r.uuid or "")
    # Stable: equal (created_at, id) keep the ascending uuid order.
    return sorted(ordered, key=sort_key, reverse=True)


def _changed(record: Migration) -> datetime.datetime:
    return record.updated_at or record.created_at or datetime.datetime.min


def get_by_uuid(conn: sa.Connection, uuid: str) -> Migration | None:
    """The live migration record ``uuid`` in this cell, or None."""
    stmt = sa.select(*_COLUMNS).where(TABLE.c.uuid == uuid, TABLE.c.deleted == 0)
    row = conn.execute(stmt).first()
    return None if row is None else Migration.from_row(row)


def get_for_instance(
    conn: sa.Connection, migration_id: int, instance_uuid: str
) -> Migration | None:
    """Migration ``migration_id`` of the server ``instance_uuid``, or None."""
    stmt = sa.select(*_COLUMNS).where(
        TABLE.c.id == migration_id,
        TABLE.c.instance_uuid == instance_uuid,
        TABLE.c.deleted == 0,
    )
    row = conn.execute(stmt).first()
    return None if row is None else Migration.from_row(row)


def live_in_progress(conn: sa.Connection, instance_uuid: str) -> list[Migration]:
    """The server's live migrations still under way, oldest first."""
    stmt = (
        sa.select(*_COLUMNS)
        .where(
            TABLE.c.instance_uuid == instance_uuid,
            TABLE.c.deleted == 0,
            TABLE.c.migration_type == LIVE_MIGRATION,
            TABLE.c.status.in_(LIVE_IN_PROGRESS),
        )
        .order_by(TABLE.c.id)
    )
    return [Migration.from_row(row) for row in conn.execute(stmt)]
