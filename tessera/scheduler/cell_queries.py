"""The two queries behind host states: nodes of a cell, aggregates of hosts.

Both are set-based (IN lists in chunks), so a request costs one query per
cell plus one on the API DB however many candidates placement offered.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from tessera.db.api import models as api_models
from tessera.db.types import table_of, utcnow
from tessera.objects import compute_node, service
from tessera.objects.service import Service
from tessera.scheduler.host_state import HostState

AGGREGATE_HOSTS = table_of(api_models.AggregateHost)
AGGREGATE_METADATA = table_of(api_models.AggregateMetadata)

_CHUNK = 1000
_SERVICE_FIELDS = [f.name for f in dataclasses.fields(Service)]
T = TypeVar("T")

AggregateMetadata = dict[str, dict[str, frozenset[str]]]
"""Host -> metadata key -> values over all of the host's aggregates."""


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for any backend's IN list."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _nodes_statement(uuids: Sequence[str]) -> sa.Select[Any]:
    nodes, services = compute_node.TABLE, service.TABLE
    joined = nodes.outerjoin(
        services,
        sa.and_(
            services.c.host == nodes.c.host,
            services.c.binary == service.COMPUTE_BINARY,
            services.c.deleted == 0,
        ),
    )
    service_cols = [services.c[name].label(f"svc_{name}") for name in _SERVICE_FIELDS]
    return (
        sa.select(nodes, *service_cols)
        .select_from(joined)
        .where(nodes.c.deleted == 0, nodes.c.uuid.in_(uuids))
    )


def _service(row: Any) -> Service | None:
    values = row._mapping
    if values["svc_id"] is None:
        return None
    return Service(**{name: values[f"svc_{name}"] for name in _SERVICE_FIELDS})


def _host_state(row: Any, cell_uuid: str, down_time: float, now: datetime.datetime) -> HostState:
    svc = _service(row)
    total = {"VCPU": row.vcpus, "MEMORY_MB": row.memory_mb, "DISK_GB": row.local_gb}
    used = {"VCPU": row.vcpus_used, "MEMORY_MB": row.memory_mb_used, "DISK_GB": row.local_gb_used}
    return HostState(
        node_uuid=row.uuid,
        host=row.host,
        nodename=row.hypervisor_hostname or row.host,
        cell_uuid=cell_uuid,
        # A node whose compute service record is gone cannot take servers.
        service_up=svc is not None and svc.is_up(down_time, now),
        service_disabled=svc is None or bool(svc.disabled),
        total=total,
        free={rc: total[rc] - (used[rc] or 0) for rc in total},
    )


def nodes_in_cell(
    conn: sa.Connection, cell_uuid: str, uuids: Sequence[str], down_time: float
) -> list[HostState]:
    """Live nodes of the cell among ``uuids``, with their compute service's state."""
    now = utcnow()
    found: list[HostState] = []
    for chunk in chunks(uuids):
        rows = conn.execute(_nodes_statement(chunk))
        found.extend(_host_state(row, cell_uuid, down_time, now) for row in rows if row.host)
    return found


def aggregate_metadata(conn: sa.Connection, hosts: Sequence[str]) -> AggregateMetadata:
    """Aggregate metadata of ``hosts`` (API DB), merged per host and key."""
    merged: dict[str, dict[str, set[str]]] = {}
    hosts_t, meta_t = AGGREGATE_HOSTS, AGGREGATE_METADATA
    for chunk in chunks(hosts):
        stmt = (
            sa.select(hosts_t.c.host, meta_t.c.key, meta_t.c.value)
            .join(meta_t, meta_t.c.aggregate_id == hosts_t.c.aggregate_id)
            .where(hosts_t.c.host.in_(chunk))
        )
        for row in conn.execute(stmt):
            merged.setdefault(row.host, {}).setdefault(row.key, set()).add(row.value)
    return {h: {k: frozenset(v) for k, v in keys.items()} for h, keys in merged.items()}
