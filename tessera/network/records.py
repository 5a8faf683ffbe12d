"""Network service records: what the store keeps, as frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

DEFAULT_NETWORK_NAME = "default"
DEFAULT_CIDR = "10.0.0.0/24"


class PortStatus(StrEnum):
    """Whether a port is wired to a host (Neutron's port states that we use)."""

    DOWN = "DOWN"
    ACTIVE = "ACTIVE"


class BindingStatus(StrEnum):
    """Which of a port's host bindings is in use; a move keeps the other one INACTIVE."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


def utcnow() -> datetime:
    """The current time as the store keeps it: naive UTC, whole seconds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Subnet:
    """One IPv4 subnet of a network and the pool addresses are handed out from."""

    id: str
    """UUID of the subnet."""
    network_id: str
    """The network it belongs to."""
    name: str
    """Display name."""
    project_id: str | None
    """Owning project (its network's)."""
    cidr: str
    """The subnet's prefix, e.g. ``10.0.0.0/24``."""
    gateway_ip: str | None
    """The router address, never handed to a port."""
    ip_version: int
    """Always 4 for now."""
    pool_start: str
    """First address of the allocation pool."""
    pool_end: str
    """Last address of the allocation pool (inclusive)."""
    created_at: datetime
    """When it was created (naive UTC)."""


@dataclass(frozen=True)
class Network:
    """A network that ports are created on."""

    id: str
    """UUID of the network."""
    name: str
    """Display name; not unique."""
    project_id: str | None
    """Owning project; ``None`` for networks the control plane made."""
    shared: bool
    """Shared networks are usable by every project."""
    created_at: datetime
    """When it was created (naive UTC)."""
    subnet_ids: tuple[str, ...] = ()
    """Its subnets, oldest first."""


@dataclass(frozen=True)
class Port:
    """One virtual NIC of an instance: a MAC and a fixed IPv4 on a network."""

    id: str
    """UUID of the port."""
    network_id: str
    """The network it is on."""
    subnet_id: str
    """The subnet its address comes from."""
    ip_address: str
    """Its fixed IPv4 address, unique on the network."""
    mac_address: str
    """Its MAC address (``fa:16:3e:xx:xx:xx``), unique in the service."""
    device_id: str | None
    """UUID of the instance using it."""
    device_index: int | None
    """Position among the instance's ports (the order the boot request named them)."""
    device_owner: str
    """``compute:<availability zone>`` for instance ports."""
    status: PortStatus
    """DOWN until bound to a host."""
    project_id: str | None
    """Project of the instance."""
    binding_host: str | None
    """The host its active binding is on, if bound."""
    created_at: datetime
    """When it was created (naive UTC)."""


@dataclass(frozen=True)
class PortBinding:
    """A port's binding to one host; during a move a port has one per host."""

    port_id: str
    """The bound port."""
    host: str
    """The compute host."""
    status: BindingStatus
    """ACTIVE for the host the port is in use on, INACTIVE otherwise."""


@dataclass(frozen=True)
class AutoNetwork:
    """Boot request ``networks: "auto"``: one port on the default network."""


@dataclass(frozen=True)
class NoNetwork:
    """Boot request ``networks: "none"``: no port at all."""


@dataclass(frozen=True)
class ExplicitNetworks:
    """Boot request naming networks: one port on each, in this order."""

    network_ids: tuple[str, ...]
    """UUIDs of the requested networks (a network may appear more than once)."""


RequestedNetworks = AutoNetwork | NoNetwork | ExplicitNetworks
"""What a boot asked for, parsed (see ``requested.py``)."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: decides which networks, subnets and ports exist for them."""

    project_id: str | None
    """The caller's project."""
    is_admin: bool
    """Admins see everything."""
