"""The network service: networks, and the ports (MAC + fixed IPv4) of instances.

Every guarantee comes from the store's unique constraints, not from locks held in
this process, so several API or conductor processes may share one network database:

- the default network has a fixed id, so concurrent creators collide and one wins;
- a port's address is the lowest free one of its pool; two allocators that pick the
  same one collide on ``(network_id, ip_address)`` and the loser picks again;
- an instance's n-th port exists once (``(device_id, device_index)``), so allocating
  twice for one instance, even at the same time, returns the same ports.
"""

from __future__ import annotations

import dataclasses
import uuid as uuidlib
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tessera.network import ipam, queries, requested, schema
from tessera.network.addresses import Addresses, FixedAddress, addresses
from tessera.network.errors import (
    AllocationContention,
    NetworkError,
    NetworkExhausted,
    NetworkNotFound,
    PortNotFound,
)
from tessera.network.records import (
    DEFAULT_CIDR,
    DEFAULT_NETWORK_NAME,
    AutoNetwork,
    BindingStatus,
    ExplicitNetworks,
    Network,
    NoNetwork,
    Port,
    PortStatus,
    RequestedNetworks,
    Viewer,
    utcnow,
)
from tessera.network.schema import networks, port_bindings, ports, subnets
from tessera.network.transactions import is_write_conflict, retrying

_IDS = uuidlib.UUID("5f0c1d7e-3b7a-4c55-9a51-7e2f1c0e4b10")
# Fixed ids: every process that creates the default network inserts the same key.
DEFAULT_NETWORK_ID = str(uuidlib.uuid5(_IDS, "network/default"))
DEFAULT_SUBNET_ID = str(uuidlib.uuid5(_IDS, "subnet/default"))
DEFAULT_AVAILABILITY_ZONE = "nova"

# Each lost race means another port was committed meanwhile, so this bounds only a
# pathological stream of competitors, not normal contention.
ALLOCATION_ATTEMPTS = 200
_BIND_ATTEMPTS = 5

NetworkRequest = str | Sequence[dict[str, Any]] | RequestedNetworks | None
"""A boot's ``networks``: ``"auto"``, ``"none"``, ``[{"uuid": ...}]``, or None (auto)."""


class NetworkService:
    """Networks and instance ports over one database (made on construction if missing)."""

    def __init__(
        self, engine: Engine, *, default_cidr: str = DEFAULT_CIDR, reader: Engine | None = None
    ) -> None:
        self._engine = engine
        self._reader = reader or engine
        self._default_cidr = default_cidr
        schema.create(engine)

    @property
    def engine(self) -> Engine:
        """The service's database."""
        return self._engine

    # ------------------------------------------------------------------ networks

    def ensure_default_network(self, cidr: str | None = None) -> Network:
        """The shared network ``default`` with one subnet, created if missing.

        ``cidr`` (else the service's default CIDR) only matters to the call that creates
        it; an existing default network is returned as it is.
        """
        existing = self.get_network(DEFAULT_NETWORK_ID)
        if existing is not None:
            return existing
        try:
            return self._create_network(
                DEFAULT_NETWORK_NAME,
                cidr or self._default_cidr,
                project_id=None,
                shared=True,
                ids=(DEFAULT_NETWORK_ID, DEFAULT_SUBNET_ID),
            )
        except DBAPIError as exc:
            if not is_write_conflict(exc):
                raise
            # Another process created it first: use theirs.
        created = self.get_network(DEFAULT_NETWORK_ID)
        if created is None:
            raise RuntimeError("the default network vanished right after it was created")
        return created

    def create_network(
        self, name: str, cidr: str, *, project_id: str | None = None, shared: bool = False
    ) -> Network:
        """A new network with one subnet over ``cidr`` (gateway first, the rest a pool)."""
        ids = (str(uuidlib.uuid4()), str(uuidlib.uuid4()))
        return self._create_network(name, cidr, project_id=project_id, shared=shared, ids=ids)

    def _create_network(
        self, name: str, cidr: str, *, project_id: str | None, shared: bool, ids: tuple[str, str]
    ) -> Network:
        plan = ipam.layout(cidr)
        network_id, subnet_id = ids
        now = utcnow()
        with self._engine.begin() as conn:
            conn.execute(
                networks.insert().values(
                    id=network_id, name=name, project_id=project_id, shared=shared, created_at=now
                )
            )
            conn.execute(
                subnets.insert().values(
                    id=subnet_id,
                    network_id=network_id,
                    name=f"{name}-subnet",
                    project_id=project_id,
                    cidr=plan.cidr,
                    gateway_ip=plan.gateway_ip,
                    ip_version=4,
                    pool_start=plan.pool_start,
                    pool_end=plan.pool_end,
                    created_at=now,
                )
            )
        return Network(network_id, name, project_id, shared, now, (subnet_id,))

    def get_network(self, network_id: str) -> Network | None:
        """The network ``network_id``, whoever owns it."""
        with self._engine.connect() as conn:
            return queries.get_network(conn, network_id)

    # ------------------------------------------------------------------ allocation

    def validate_request(
        self, project_id: str | None, request: NetworkRequest
    ) -> RequestedNetworks:
        """Parse a boot's ``networks`` and check every named network is usable by the project.

        Raises InvalidNetworkRequest or NetworkNotFound; meant for the API, before a boot
        is accepted.
        """
        wanted = requested.parse(request)
        if isinstance(wanted, ExplicitNetworks):
            self._usable(project_id, wanted.network_ids)
        return wanted

    def allocate_for_instance(
        self,
        instance_uuid: str,
        project_id: str | None,
        request: NetworkRequest,
        *,
        availability_zone: str | None = None,
    ) -> list[Port]:
        """Ports for an instance as its boot asked; the existing ones if it already has them.

        ``auto`` makes one port on the default network (created if missing), ``none``
        nothing, and a list of ``{"uuid": net}`` one port per entry, in order. If a later
        port fails (NetworkExhausted, ...) the ports this call made are removed again.
        """
        wanted = requested.parse(request)
        targets = self._targets(project_id, wanted)
        existing = self.ports_of(instance_uuid)
        if existing and len(existing) >= len(targets):
            return existing
        # None yet, or some made by a concurrent call for this instance that is still at
        # work: the loop below finds those (by index) and adds the rest.
        owner = f"compute:{availability_zone or DEFAULT_AVAILABILITY_ZONE}"
        made: list[Port] = []
        result: list[Port] = []
        try:
            for index, network_id in enumerate(targets):
                port, created = self._allocate_port(
                    network_id, instance_uuid, index, project_id, owner
                )
                result.append(port)
                if created:
                    made.append(port)
        except BaseException:
            self._delete_ports([port.id for port in made])
            raise
        return result

    def _targets(self, project_id: str | None, wanted: RequestedNetworks) -> list[str]:
        if isinstance(wanted, NoNetwork):
            return []
        if isinstance(wanted, AutoNetwork):
            return [self.ensure_default_network().id]
        self._usable(project_id, wanted.network_ids)
        return list(wanted.network_ids)

    def _usable(self, project_id: str | None, network_ids: Collection[str]) -> None:
        """Raise NetworkNotFound for the first network the project may not use."""
        viewer = Viewer(project_id, is_admin=False)
        with self._engine.connect() as conn:
            for network_id in network_ids:
                if queries.get_network(conn, network_id, viewer) is None:
                    raise NetworkNotFound(network_id)

    def _allocate_port(
        self,
        network_id: str,
        instance_uuid: str,
        index: int,
        project_id: str | None,
        owner: str,
    ) -> tuple[Port, bool]:
        """The instance's port number ``index``: (port, whether this call created it)."""

        def attempt(conn: sa.Connection) -> tuple[Port, bool]:
            twin = _port_at(conn, instance_uuid, index)
            if twin is not None:
                return twin, False  # a concurrent allocation for this instance made it
            port = Port(
                id=str(uuidlib.uuid4()),
                network_id=network_id,
                mac_address=ipam.random_mac(),
                device_id=instance_uuid,
                device_index=index,
                device_owner=owner,
                status=PortStatus.DOWN,
                project_id=project_id,
                binding_host=None,
                created_at=utcnow(),
                **_free_address(conn, network_id),
            )
            values = {**dataclasses.asdict(port), "status": port.status.value}
            conn.execute(ports.insert().values(**values))
            return port, True

        return retrying(
            self._engine,
            attempt,
            ALLOCATION_ATTEMPTS,
            lambda attempts: AllocationContention(network_id, attempts),
        )

    # ------------------------------------------------------------------ release and reads

    def deallocate_for_instance(self, instance_uuid: str) -> int:
        """Delete the instance's ports (and their bindings); how many went (0 if none)."""
        with self._engine.connect() as conn:
            query = sa.select(ports.c.id).where(ports.c.device_id == instance_uuid)
            port_ids = list(conn.execute(query).scalars())
        return self._delete_ports(port_ids)

    def _delete_ports(self, port_ids: Sequence[str]) -> int:
        if not port_ids:
            return 0
        with self._engine.begin() as conn:
            # Not left to ON DELETE CASCADE: SQLite enforces it only with a PRAGMA.
            conn.execute(port_bindings.delete().where(port_bindings.c.port_id.in_(port_ids)))
            deleted = conn.execute(ports.delete().where(ports.c.id.in_(port_ids)))
        return deleted.rowcount

    def ports_of(self, instance_uuid: str) -> list[Port]:
        """The instance's ports in boot order (empty if it has none)."""
        with self._engine.connect() as conn:
            return queries.ports_of_devices(conn, [instance_uuid])

    def addresses(self, instance_uuid: str) -> Addresses:
        """The instance's ``addresses`` as the compute API shows them (``{}`` if none)."""
        return self.addresses_many([instance_uuid])[instance_uuid]

    def addresses_many(self, instance_uuids: Collection[str]) -> dict[str, Addresses]:
        """``addresses`` of many instances in one query (per 500 instances)."""
        with self._reader.connect() as conn:
            found = queries.fixed_addresses(conn, instance_uuids)
        by_instance: dict[str, list[FixedAddress]] = {uuid: [] for uuid in instance_uuids}
        for address in found:
            by_instance.setdefault(address.device_id, []).append(address)
        return {uuid: addresses(held) for uuid, held in by_instance.items()}

    # ------------------------------------------------------------------ bindings

    def bind(self, port_id: str, host: str) -> Port:
        """Bind the port to ``host`` (ACTIVE; any other host's binding goes INACTIVE)."""

        def attempt(conn: sa.Connection) -> Port:
            port = queries.get_port(conn, port_id)
            if port is None:
                raise PortNotFound(port_id)
            _activate_binding(conn, port_id, host)
            conn.execute(
                ports.update()
                .where(ports.c.id == port_id)
                .values(binding_host=host, status=PortStatus.ACTIVE.value)
            )
            return dataclasses.replace(port, binding_host=host, status=PortStatus.ACTIVE)

        return retrying(
            self._engine,
            attempt,
            _BIND_ATTEMPTS,
            lambda attempts: NetworkError(f"Binding port {port_id} lost {attempts} races."),
        )


def _port_at(conn: sa.Connection, instance_uuid: str, index: int) -> Port | None:
    query = sa.select(ports).where(
        ports.c.device_id == instance_uuid, ports.c.device_index == index
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else queries.port_from_row(row)


def _free_address(conn: sa.Connection, network_id: str) -> dict[str, str]:
    """``{"subnet_id", "ip_address"}`` of the lowest free address, subnets oldest first."""
    used = queries.used_addresses(conn, network_id)
    for subnet in queries.subnets_of(conn, network_id):
        address = ipam.lowest_free(subnet.pool_start, subnet.pool_end, used)
        if address is not None:
            return {"subnet_id": subnet.id, "ip_address": address}
    raise NetworkExhausted(network_id)


def _activate_binding(conn: sa.Connection, port_id: str, host: str) -> None:
    bindings = port_bindings.c
    conn.execute(
        port_bindings.update()
        .where(bindings.port_id == port_id, bindings.host != host)
        .values(status=BindingStatus.INACTIVE.value)
    )
    found = conn.execute(
        sa.select(bindings.host).where(bindings.port_id == port_id, bindings.host == host)
    ).first()
    if found is None:
        conn.execute(
            port_bindings.insert().values(
                port_id=port_id, host=host, status=BindingStatus.ACTIVE.value
            )
        )
    else:
        conn.execute(
            port_bindings.update()
            .where(bindings.port_id == port_id, bindings.host == host)
            .values(status=BindingStatus.ACTIVE.value)
        )
