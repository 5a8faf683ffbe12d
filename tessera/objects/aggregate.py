"""Host aggregates in the API database: named host sets with metadata.

The scheduler reads the same tables; an aggregate's ``availability_zone``
metadata key puts its hosts in that zone. A host may belong to several
aggregates, but they must agree on its zone.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tessera.db.api import models
from tessera.db.types import table_of
from tessera.objects.errors import NotFound

AGGREGATES = table_of(models.Aggregate)
HOSTS = table_of(models.AggregateHost)
METADATA = table_of(models.AggregateMetadata)

AZ_KEY = "availability_zone"
_CHUNK = 1000


class AggregateNotFound(NotFound):
    def __init__(self, aggregate_id: int) -> None:
        super().__init__(f"Aggregate {aggregate_id} could not be found.")


class AggregateHostNotFound(NotFound):
    def __init__(self, aggregate_id: int, host: str) -> None:
        super().__init__(f"Aggregate {aggregate_id} has no host {host}.")


class AggregateConflict(Exception):
    """The change contradicts existing aggregates (a name, a host, a zone)."""


class AggregateNameExists(AggregateConflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"Aggregate {name} already exists.")


class AggregateHostExists(AggregateConflict):
    def __init__(self, aggregate_id: int, host: str) -> None:
        super().__init__(f"Aggregate {aggregate_id} already has host {host}.")


class ZoneConflict(AggregateConflict):
    def __init__(self, host: str, zones: Iterable[str], wanted: str) -> None:
        held = ", ".join(sorted(zones))
        super().__init__(
            f"Host {host} is already in availability zone {held}; "
            f"it cannot also be in availability zone {wanted}."
        )


class AggregateNotEmpty(AggregateConflict):
    def __init__(self, aggregate_id: int) -> None:
        super().__init__(f"Aggregate {aggregate_id} still has hosts; remove them first.")


@dataclass(frozen=True)
class Aggregate:
    """One aggregate with its hosts and metadata."""

    id: int
    """Primary key (the id the API shows)."""
    uuid: str
    """Stable identity (shown from 2.41; placement aggregates use it)."""
    name: str
    """Unique name."""
    hosts: tuple[str, ...]
    """Member hosts, sorted."""
    metadata: Mapping[str, str]
    """Key/value metadata, ``availability_zone`` included."""
    created_at: datetime.datetime | None
    """Creation time (UTC, naive)."""
    updated_at: datetime.datetime | None
    """Last rename (UTC, naive)."""

    @property
    def availability_zone(self) -> str | None:
        """The zone this aggregate puts its hosts in, if any."""
        return self.metadata.get(AZ_KEY)


def _assemble(rows: Sequence[Any], conn: sa.Connection) -> list[Aggregate]:
    ids = [row.id for row in rows]
    hosts: dict[int, list[str]] = {i: [] for i in ids}
    metadata: dict[int, dict[str, str]] = {i: {} for i in ids}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for h in conn.execute(sa.select(HOSTS).where(HOSTS.c.aggregate_id.in_(chunk))):
            hosts[h.aggregate_id].append(h.host)
        for m in conn.execute(sa.select(METADATA).where(METADATA.c.aggregate_id.in_(chunk))):
            metadata[m.aggregate_id][m.key] = m.value
    return [
        Aggregate(
            r.id,
            r.uuid,
            r.name,
            tuple(sorted(hosts[r.id])),
            metadata[r.id],
            r.created_at,
            r.updated_at,
        )
        for r in rows
    ]


def get_all(conn: sa.Connection) -> list[Aggregate]:
    """Every aggregate, by id."""
    rows = conn.execute(sa.select(AGGREGATES).order_by(AGGREGATES.c.id)).all()
    return _assemble(rows, conn)


def get(conn: sa.Connection, aggregate_id: int) -> Aggregate:
    """The aggregate with ``aggregate_id``, or AggregateNotFound."""
    rows = conn.execute(sa.select(AGGREGATES).where(AGGREGATES.c.id == aggregate_id)).all()
    if not rows:
        raise AggregateNotFound(aggregate_id)
    return _assemble(rows, conn)[0]


def _name_taken(conn: sa.Connection, name: str, other_than: int | None = None) -> bool:
    stmt = sa.select(AGGREGATES.c.id).where(AGGREGATES.c.name == name)
    if other_than is not None:
        stmt = stmt.where(AGGREGATES.c.id != other_than)
    return conn.execute(stmt).first() is not None


def create(conn: sa.Connection, name: str, availability_zone: str | None) -> Aggregate:
    """A new, empty aggregate (AggregateNameExists if the name is taken)."""
    if _name_taken(conn, name):
        raise AggregateNameExists(name)
    try:
        result = conn.execute(sa.insert(AGGREGATES).values(uuid=str(uuidlib.uuid4()), name=name))
    except IntegrityError:  # a concurrent create won the unique name
        raise AggregateNameExists(name) from None
    (aggregate_id,) = result.inserted_primary_key or (None,)
    assert aggregate_id is not None
    if availability_zone is not None:
        conn.execute(
            sa.insert(METADATA).values(
                aggregate_id=aggregate_id, key=AZ_KEY, value=availability_zone
            )
        )
    return get(conn, int(aggregate_id))


def rename(conn: sa.Connection, aggregate_id: int, name: str) -> None:
    """Give the aggregate a new unique name."""
    get(conn, aggregate_id)
    if _name_taken(conn, name, other_than=aggregate_id):
        raise AggregateNameExists(name)
    try:
        conn.execute(sa.update(AGGREGATES).where(AGGREGATES.c.id == aggregate_id).values(name=name))
    except IntegrityError:
        raise AggregateNameExists(name) from None


def delete(conn: sa.Connection, aggregate_id: int) -> None:
    """Delete an aggregate that has no hosts left, with its metadata."""
    if get(conn, aggregate_id).hosts:
        raise AggregateNotEmpty(aggregate_id)
    conn.execute(sa.delete(METADATA).where(METADATA.c.aggregate_id == aggregate_id))
    conn.execute(sa.delete(AGGREGATES).where(AGGREGATES.c.id == aggregate_id))


def _other_zones(conn: sa.Connection, host: str, aggregate_id: int) -> set[str]:
    stmt = (
        sa.select(METADATA.c.value)
        .join(HOSTS, HOSTS.c.aggregate_id == METADATA.c.aggregate_id)
        .where(HOSTS.c.host == host, METADATA.c.key == AZ_KEY, HOSTS.c.aggregate_id != aggregate_id)
    )
    return {row.value for row in conn.execute(stmt)}


def _check_zone(conn: sa.Connection, aggregate_id: int, host: str, zone: str | None) -> None:
    # Without a zone of its own the aggregate leaves its hosts' zones alone.
    if zone is None:
        return
    others = _other_zones(conn, host, aggregate_id)
    if others - {zone}:
        raise ZoneConflict(host, others, zone)


def add_host(conn: sa.Connection, aggregate_id: int, host: str) -> Aggregate:
    """Add ``host`` (whose zone must not change by it) to the aggregate."""
    current = get(conn, aggregate_id)
    if host in current.hosts:
        raise AggregateHostExists(aggregate_id, host)
    _check_zone(conn, aggregate_id, host, current.availability_zone)
    try:
        conn.execute(sa.insert(HOSTS).values(aggregate_id=aggregate_id, host=host))
    except IntegrityError:
        raise AggregateHostExists(aggregate_id, host) from None
    return get(conn, aggregate_id)


def remove_host(conn: sa.Connection, aggregate_id: int, host: str) -> Aggregate:
    """Take ``host`` out of the aggregate."""
    get(conn, aggregate_id)
    deleted = conn.execute(
        sa.delete(HOSTS).where(HOSTS.c.aggregate_id == aggregate_id, HOSTS.c.host == host)
    )
    if not deleted.rowcount:
        raise AggregateHostNotFound(aggregate_id, host)
    return get(conn, aggregate_id)


def remove_host_everywhere(conn: sa.Connection, host: str) -> None:
    """Take ``host`` out of every aggregate (its compute service is gone)."""
    conn.execute(sa.delete(HOSTS).where(HOSTS.c.host == host))


def update_metadata(
    conn: sa.Connection, aggregate_id: int, changes: Mapping[str, str | None]
) -> Aggregate:
    """Set keys to new values; a None value removes the key."""
    current = get(conn, aggregate_id)
    if AZ_KEY in changes:
        for host in current.hosts:
            _check_zone(conn, aggregate_id, host, changes[AZ_KEY])
    for key, value in changes.items():
        conn.execute(
            sa.delete(METADATA).where(
                METADATA.c.aggregate_id == aggregate_id, METADATA.c.key == key
            )
        )
        if value is not None:
            conn.execute(
                sa.insert(METADATA).values(aggregate_id=aggregate_id, key=key, value=value)
            )
    return get(conn, aggregate_id)


def zones_of_hosts(conn: sa.Connection, hosts: Sequence[str]) -> dict[str, str]:
    """``{host: zone}`` for those of ``hosts`` in a zone-bearing aggregate.

    Should a host be in aggregates naming different zones (written before the
    checks here, or by hand), its zones are joined with commas, sorted.
    """
    zones: dict[str, set[str]] = {}
    unique = sorted(set(hosts))
    for start in range(0, len(unique), _CHUNK):
        stmt = (
            sa.select(HOSTS.c.host, METADATA.c.value)
            .join(METADATA, METADATA.c.aggregate_id == HOSTS.c.aggregate_id)
            .where(METADATA.c.key == AZ_KEY, HOSTS.c.host.in_(unique[start : start + _CHUNK]))
        )
        for row in conn.execute(stmt):
            zones.setdefault(row.host, set()).add(row.value)
    return {host: ",".join(sorted(values)) for host, values in zones.items()}
