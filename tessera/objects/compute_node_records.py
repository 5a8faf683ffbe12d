"""A cell's compute hosts as the admin API shows them: services, nodes, their servers.

:mod:`tessera.objects.service` and :mod:`tessera.objects.compute_node` serve the
services themselves and host discovery; the admin API also needs timestamps,
lookups by id or uuid, operator writes and the full node rows, kept here.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.db.types import utcnow
from tessera.objects import compute_node, instance, service
from tessera.objects.service import COMPUTE_BINARY, Service

SERVICES = service.TABLE
NODES = compute_node.TABLE
INSTANCES = instance.TABLE

_CHUNK = 1000


@dataclass(frozen=True)
class ServiceRecord:
    """A service row with the timestamps the admin API reports."""

    service: Service
    """The service itself (state, disabled, forced down)."""
    created_at: datetime.datetime | None
    """When the service first registered (UTC, naive)."""
    updated_at: datetime.datetime | None
    """When the row last changed (UTC, naive)."""

    @property
    def last_heard(self) -> datetime.datetime | None:
        """The latest sign of life: heartbeat, else last change, else registration."""
        return self.service.last_seen_up or self.updated_at or self.created_at

    @property
    def is_compute(self) -> bool:
        """Computes have host mappings, nodes, zones and servers."""
        return self.service.binary == COMPUTE_BINARY


@dataclass(frozen=True)
class NodeRecord:
    """A compute node row and the compute service of its host."""

    id: int
    """Primary key in the cell's ``compute_nodes`` (the id before 2.53)."""
    uuid: str | None
    """The node's uuid (the id from 2.53)."""
    host: str | None
    """The compute service host."""
    hypervisor_hostname: str | None
    """The node name the virt driver reports."""
    hypervisor_type: str | None
    """``fake``, ``QEMU``, ..."""
    hypervisor_version: int | None
    """Driver version as one integer."""
    host_ip: str | None
    """Management address of the host."""
    vcpus: int
    """CPUs of the node."""
    vcpus_used: int
    """CPUs claimed by servers."""
    memory_mb: int
    """Memory of the node."""
    memory_mb_used: int
    """Memory claimed by servers."""
    local_gb: int
    """Local disk of the node."""
    local_gb_used: int
    """Local disk claimed by servers."""
    free_ram_mb: int | None
    """Memory left as the resource tracker last computed it."""
    free_disk_gb: int | None
    """Disk left as the resource tracker last computed it."""
    running_vms: int | None
    """Servers on the node."""
    cpu_info: str | None
    """The driver's CPU description (a JSON document)."""
    stats: dict[str, Any]
    """Free-form counters of the resource tracker."""
    service: ServiceRecord | None
    """The live compute service of ``host``, if it has one."""


def _service(values: Any, prefix: str = "") -> Service:
    def get(name: str) -> Any:
        return values[f"{prefix}{name}"]

    return Service(
        id=get("id"),
        uuid=get("uuid"),
        host=get("host"),
        binary=get("binary"),
        topic=get("topic"),
        report_count=get("report_count") or 0,
        disabled=bool(get("disabled")),
        disabled_reason=get("disabled_reason"),
        forced_down=bool(get("forced_down")),
        last_seen_up=get("last_seen_up"),
    )


def _service_record(values: Any, prefix: str = "") -> ServiceRecord:
    return ServiceRecord(
        _service(values, prefix), values[f"{prefix}created_at"], values[f"{prefix}updated_at"]
    )


def _live_services() -> sa.Select[Any]:
    return sa.select(SERVICES).where(SERVICES.c.deleted == 0).order_by(SERVICES.c.id)


def _one_service(stmt: sa.Select[Any], conn: sa.Connection) -> ServiceRecord | None:
    row = conn.execute(stmt).first()
    return None if row is None else _service_record(row._mapping)


def services(
    conn: sa.Connection, host: str | None = None, binary: str | None = None
) -> list[ServiceRecord]:
    """Live services of the cell, by id, optionally of one host and/or binary."""
    stmt = _live_services()
    if host is not None:
        stmt = stmt.where(SERVICES.c.host == host)
    if binary is not None:
        stmt = stmt.where(SERVICES.c.binary == binary)
    return [_service_record(row._mapping) for row in conn.execute(stmt)]


def service_by_uuid(conn: sa.Connection, uuid: str) -> ServiceRecord | None:
    """The live service with ``uuid``, if this cell has it."""
    return _one_service(_live_services().where(SERVICES.c.uuid == uuid), conn)


def service_by_id(conn: sa.Connection, service_id: int) -> ServiceRecord | None:
    """The live service with primary key ``service_id``, if this cell has it."""
    return _one_service(_live_services().where(SERVICES.c.id == service_id), conn)


def service_by_host(conn: sa.Connection, host: str, binary: str) -> ServiceRecord | None:
    """The live ``binary`` service of ``host``, if this cell has it."""
    stmt = _live_services().where(SERVICES.c.host == host, SERVICES.c.binary == binary)
    return _one_service(stmt, conn)


@dataclass(frozen=True)
class ServiceChange:
    """What an operator asked to change on a compute service."""

    disabled: bool | None = None
    """The new disabled flag; None leaves it."""
    reason: str | None = None
    """Why it is disabled (cleared when enabling)."""
    forced_down: bool | None = None
    """The new forced-down flag; None leaves it."""


def update_service(
    conn: sa.Connection, record: ServiceRecord, change: ServiceChange
) -> ServiceRecord:
    """Apply ``change`` to the service; return the row as it now is."""
    service_id = record.service.id
    if change.disabled is not None:
        service.set_disabled(conn, service_id, change.disabled, change.reason)
    if change.forced_down is not None:
        conn.execute(
            sa.update(SERVICES)
            .where(SERVICES.c.id == service_id)
            .values(forced_down=change.forced_down)
        )
    updated = service_by_id(conn, service_id)
    assert updated is not None
    return updated


class ServiceHostsServers(Exception):
    def __init__(self, host: str | None) -> None:
        super().__init__(
            f"Compute service of host {host} still hosts servers; "
            "migrate or delete them before deleting the service."
        )


def destroy_service(conn: sa.Connection, record: ServiceRecord) -> None:
    """Soft-delete the service and, for a compute, the nodes of its host.

    A compute still hosting servers is refused (ServiceHostsServers); they are
    counted in the caller's transaction, so none can land in between unseen.
    """
    svc = record.service
    if record.is_compute and instance.count_live(conn, svc.host):
        raise ServiceHostsServers(svc.host)
    now = utcnow()
    conn.execute(
        sa.update(SERVICES)
        .where(SERVICES.c.id == svc.id)
        .values(deleted=SERVICES.c.id, deleted_at=now)
    )
    if record.is_compute:
        conn.execute(
            sa.update(NODES)
            .where(NODES.c.host == svc.host, NODES.c.deleted == 0)
            .values(deleted=NODES.c.id, deleted_at=now)
        )


# --------------------------------------------------------------------------- nodes


def _nodes_statement() -> sa.Select[Any]:
    # The compute service is matched by host: the service_id column is not
    # kept up to date by every writer, the host always is.
    joined = NODES.outerjoin(
        SERVICES,
        sa.and_(
            SERVICES.c.host == NODES.c.host,
            SERVICES.c.binary == COMPUTE_BINARY,
            SERVICES.c.deleted == 0,
        ),
    )
    service_cols = [c.label(f"svc_{c.name}") for c in SERVICES.c]
    return (
        sa.select(NODES, *service_cols)
        .select_from(joined)
        .where(NODES.c.deleted == 0)
        .order_by(NODES.c.id)
    )


def _stats(raw: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _node(row: Any) -> NodeRecord:
    values = row._mapping
    svc = None if values["svc_id"] is None else _service_record(values, "svc_")
    return NodeRecord(
        id=row.id,
        uuid=row.uuid,
        host=row.host,
        hypervisor_hostname=row.hypervisor_hostname,
        hypervisor_type=row.hypervisor_type,
        hypervisor_version=row.hypervisor_version,
        host_ip=row.host_ip,
        vcpus=row.vcpus or 0,
        vcpus_used=row.vcpus_used or 0,
        memory_mb=row.memory_mb or 0,
        memory_mb_used=row.memory_mb_used or 0,
        local_gb=row.local_gb or 0,
        local_gb_used=row.local_gb_used or 0,
        free_ram_mb=row.free_ram_mb,
        free_disk_gb=row.free_disk_gb,
        running_vms=row.running_vms,
        cpu_info=row.cpu_info,
        stats=_stats(row.stats),
        service=svc,
    )


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def nodes(conn: sa.Connection, hostname_pattern: str | None = None) -> list[NodeRecord]:
    """Live nodes of the cell by id; with a pattern, those whose name contains it."""
    stmt = _nodes_statement()
    if hostname_pattern is not None:
        stmt = stmt.where(
            NODES.c.hypervisor_hostname.like(f"%{_like_escaped(hostname_pattern)}%", escape="\\")
        )
    return [_node(row) for row in conn.execute(stmt)]


def node_by_uuid(conn: sa.Connection, uuid: str) -> NodeRecord | None:
    """The live node with ``uuid``, if this cell has it."""
    row = conn.execute(_nodes_statement().where(NODES.c.uuid == uuid)).first()
    return None if row is None else _node(row)


def node_by_id(conn: sa.Connection, node_id: int) -> NodeRecord | None:
    """The live node with primary key ``node_id``, if this cell has it."""
    row = conn.execute(_nodes_statement().where(NODES.c.id == node_id)).first()
    return None if row is None else _node(row)


@dataclass(frozen=True)
class HostedServer:
    """A server as a hypervisor listing names it."""

    name: str
    """The instance name on the hypervisor (``instance-<id in hex>``)."""
    uuid: str
    """The server's uuid."""


def servers_on_nodes(
    conn: sa.Connection, nodes_: Sequence[NodeRecord]
) -> dict[int, list[HostedServer]]:
    """``{node id: servers}`` of live servers on the given nodes of this cell."""
    by_place = {(n.host, n.hypervisor_hostname): n.id for n in nodes_ if n.host}
    found: dict[int, list[HostedServer]] = {n.id: [] for n in nodes_}
    hosts = sorted({host for host, _ in by_place if host})
    for start in range(0, len(hosts), _CHUNK):
        stmt = (
            sa.select(INSTANCES.c.id, INSTANCES.c.uuid, INSTANCES.c.host, INSTANCES.c.node)
            .where(INSTANCES.c.deleted == 0, INSTANCES.c.host.in_(hosts[start : start + _CHUNK]))
            .order_by(INSTANCES.c.id)
        )
        for row in conn.execute(stmt):
            node_id = by_place.get((row.host, row.node))
            if node_id is not None:
                found[node_id].append(HostedServer(f"instance-{row.id:08x}", row.uuid))
    return found
