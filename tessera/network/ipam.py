"""Address arithmetic: a subnet's layout, the lowest free address of a pool, MACs."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

# Neutron's default base MAC; clients and guest images recognise the prefix.
MAC_PREFIX = "fa:16:3e"


@dataclass(frozen=True)
class SubnetLayout:
    """Where the gateway and the allocation pool of an IPv4 subnet lie."""

    cidr: str
    """The normalised prefix, e.g. ``10.0.0.0/24``."""
    gateway_ip: str
    """The first host address, kept for the router."""
    pool_start: str
    """First address handed to ports (the one after the gateway)."""
    pool_end: str
    """Last address handed to ports (the last host address)."""


def layout(cidr: str) -> SubnetLayout:
    """The default layout of ``cidr``: gateway at the first host, the rest a pool.

    Raises ValueError for anything but an IPv4 prefix with room for a gateway and at
    least one port (so /31 and /32 are refused).
    """
    net = ipaddress.ip_network(cidr, strict=True)
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{cidr} is not an IPv4 prefix; only IPv4 subnets are supported")
    if net.num_addresses < 4:
        raise ValueError(f"{cidr} is too small for a gateway and a port")
    first_host = net.network_address + 1
    last_host = net.broadcast_address - 1
    return SubnetLayout(str(net), str(first_host), str(first_host + 1), str(last_host))


def lowest_free(pool_start: str, pool_end: str, used: Iterable[str]) -> str | None:
    """The lowest address of the pool not in ``used``, or None when every one is taken."""
    start = int(ipaddress.IPv4Address(pool_start))
    end = int(ipaddress.IPv4Address(pool_end))
    taken = {int(ipaddress.IPv4Address(addr)) for addr in used}
    # At most len(taken) + 1 steps: the walk stops at the first gap.
    candidate = start
    while candidate <= end:
        if candidate not in taken:
            return str(ipaddress.IPv4Address(candidate))
        candidate += 1
    return None


def random_mac() -> str:
    """A random MAC under :data:`MAC_PREFIX` (the store's unique index catches repeats)."""
    tail = secrets.token_bytes(3)
    return ":".join([MAC_PREFIX, *(f"{byte:02x}" for byte in tail)])
