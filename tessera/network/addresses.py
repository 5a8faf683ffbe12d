"""A server's ``addresses`` as the compute API shows them, built from its ports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Addresses = dict[str, list[dict[str, Any]]]
"""``{network name: [{"version", "addr", "OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}]}``."""


@dataclass(frozen=True)
class FixedAddress:
    """One port's fixed address, as a server body shows it."""

    device_id: str
    """The server the port belongs to."""
    network_id: str
    """The port's network."""
    network_name: str | None
    """That network's name (None if it was deleted meanwhile)."""
    ip_address: str
    """The fixed IPv4 address."""
    mac_address: str
    """The port's MAC address."""

    def entry(self) -> dict[str, Any]:
        """The address in the compute API's form."""
        return {
            "version": 4,
            "addr": self.ip_address,
            "OS-EXT-IPS:type": "fixed",
            "OS-EXT-IPS-MAC:mac_addr": self.mac_address,
        }


def addresses(found: Iterable[FixedAddress]) -> Addresses:
    """Group one server's addresses (in boot order) by the name of their network.

    A network without a name (deleted meanwhile) is shown by its id, so the
    address is not hidden.
    """
    shown: Addresses = {}
    for address in found:
        label = address.network_name or address.network_id
        shown.setdefault(label, []).append(address.entry())
    return shown
