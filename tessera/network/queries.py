"""Reads of the network store, as records, with the visibility rules of the REST API.

Filters are ``{field: accepted values}``; a field the resource does not list in its
``*_FILTERS`` is not filterable and is refused with KeyError (the caller validates).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from tessera.network.addresses import FixedAddress
from tessera.network.records import Network, Port, PortStatus, Subnet, Viewer
from tessera.network.schema import networks, ports, subnets

Filters = Mapping[str, Sequence[Any]]

NETWORK_FILTERS: Mapping[str, sa.ColumnElement[Any]] = {
    "id": networks.c.id,
    "name": networks.c.name,
    "shared": networks.c.shared,
    "project_id": networks.c.project_id,
    "tenant_id": networks.c.project_id,
}
SUBNET_FILTERS: Mapping[str, sa.ColumnElement[Any]] = {
    "id": subnets.c.id,
    "name": subnets.c.name,
    "network_id": subnets.c.network_id,
    "cidr": subnets.c.cidr,
    "ip_version": subnets.c.ip_version,
}
PORT_FILTERS: Mapping[str, sa.ColumnElement[Any]] = {
    "id": ports.c.id,
    "network_id": ports.c.network_id,
    "device_id": ports.c.device_id,
    "device_owner": ports.c.device_owner,
    "mac_address": ports.c.mac_address,
    "status": ports.c.status,
    "project_id": ports.c.project_id,
    "tenant_id": ports.c.project_id,
}

# Long IN lists are split so no backend meets its bound-parameter limit.
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _where(
    query: sa.Select[Any], columns: Mapping[str, sa.ColumnElement[Any]], filters: Filters
) -> sa.Select[Any]:
    for name, values in filters.items():
        query = query.where(columns[name].in_(list(values)))
    return query


def _network_visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    if viewer.is_admin:
        return sa.true()
    return sa.or_(networks.c.shared.is_(True), networks.c.project_id == viewer.project_id)


# --------------------------------------------------------------------------- networks


def _subnet_ids(conn: sa.Connection, network_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for chunk in _chunks(network_ids):
        query = (
            sa.select(subnets.c.network_id, subnets.c.id)
            .where(subnets.c.network_id.in_(chunk))
            .order_by(subnets.c.created_at, subnets.c.id)
        )
        for network_id, subnet_id in conn.execute(query):
            found.setdefault(network_id, []).append(subnet_id)
    return {key: tuple(value) for key, value in found.items()}


def _networks(conn: sa.Connection, query: sa.Select[Any]) -> list[Network]:
    rows = conn.execute(query).mappings().all()
    owned = _subnet_ids(conn, [row["id"] for row in rows])
    return [Network(**dict(row), subnet_ids=owned.get(row["id"], ())) for row in rows]


def get_network(
    conn: sa.Connection, network_id: str, viewer: Viewer | None = None
) -> Network | None:
    """The network ``network_id`` if it exists (and ``viewer``, when given, may see it)."""
    query = sa.select(networks).where(networks.c.id == network_id)
    if viewer is not None:
        query = query.where(_network_visible(viewer))
    found = _networks(conn, query)
    return found[0] if found else None


def list_networks(conn: sa.Connection, viewer: Viewer, filters: Filters) -> list[Network]:
    """Networks ``viewer`` may see that match ``filters``, oldest first."""
    query = sa.select(networks).where(_network_visible(viewer))
    query = _where(query, NETWORK_FILTERS, filters)
    return _networks(conn, query.order_by(networks.c.created_at, networks.c.id))


# --------------------------------------------------------------------------- subnets


def subnets_of(conn: sa.Connection, network_id: str) -> list[Subnet]:
    """The subnets of a network, oldest first (the order addresses are drawn from)."""
    query = (
        sa.select(subnets)
        .where(subnets.c.network_id == network_id)
        .order_by(subnets.c.created_at, subnets.c.id)
    )
    return [Subnet(**dict(row)) for row in conn.execute(query).mappings()]


def list_subnets(conn: sa.Connection, viewer: Viewer, filters: Filters) -> list[Subnet]:
    """Subnets of the networks ``viewer`` may see that match ``filters``."""
    query = (
        sa.select(subnets)
        .join(networks, networks.c.id == subnets.c.network_id)
        .where(_network_visible(viewer))
    )
    query = _where(query, SUBNET_FILTERS, filters)
    query = query.order_by(subnets.c.created_at, subnets.c.id)
    return [Subnet(**dict(row)) for row in conn.execute(query).mappings()]


# --------------------------------------------------------------------------- ports


def port_from_row(row: sa.RowMapping) -> Port:
    """A port record from a ``ports`` row."""
    return Port(**{**row, "status": PortStatus(row["status"])})


def used_addresses(conn: sa.Connection, network_id: str) -> list[str]:
    """Every address held by a port of the network."""
    query = sa.select(ports.c.ip_address).where(ports.c.network_id == network_id)
    return list(conn.execute(query).scalars())


def get_port(conn: sa.Connection, port_id: str) -> Port | None:
    """The port ``port_id``, if it exists."""
    row = conn.execute(sa.select(ports).where(ports.c.id == port_id)).mappings().first()
    return None if row is None else port_from_row(row)


def ports_of_devices(conn: sa.Connection, device_ids: Collection[str]) -> list[Port]:
    """The ports of these instances, each instance's in its boot order."""
    found: list[Port] = []
    for chunk in _chunks(sorted(set(device_ids))):
        query = (
            sa.select(ports)
            .where(ports.c.device_id.in_(chunk))
            .order_by(ports.c.device_id, ports.c.device_index)
        )
        found.extend(port_from_row(row) for row in conn.execute(query).mappings())
    return found


def fixed_addresses(conn: sa.Connection, device_ids: Collection[str]) -> list[FixedAddress]:
    """The addresses of these instances' ports, each instance's in boot order.

    Only what a server body shows (five columns: the driver's cost is per column).
    """
    found: list[FixedAddress] = []
    joined = ports.outerjoin(networks, networks.c.id == ports.c.network_id)
    columns = (ports.c.device_id, ports.c.network_id, networks.c.name)
    for chunk in _chunks(sorted(set(device_ids))):
        query = (
            sa.select(*columns, ports.c.ip_address, ports.c.mac_address)
            .select_from(joined)
            .where(ports.c.device_id.in_(chunk))
            .order_by(ports.c.device_id, ports.c.device_index)
        )
        found.extend(FixedAddress(*row) for row in conn.execute(query))
    return found


def list_ports(conn: sa.Connection, viewer: Viewer, filters: Filters) -> list[Port]:
    """Ports ``viewer`` may see (their project's, or all for admins) matching ``filters``."""
    query = sa.select(ports)
    if not viewer.is_admin:
        query = query.where(ports.c.project_id == viewer.project_id)
    query = _where(query, PORT_FILTERS, filters)
    query = query.order_by(ports.c.created_at, ports.c.id)
    return [port_from_row(row) for row in conn.execute(query).mappings()]
