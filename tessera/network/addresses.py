"""A server's ``addresses`` as the compute API shows them, built from its ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tessera.network.records import Port

Addresses = dict[str, list[dict[str, Any]]]
"""``{network name: [{"version", "addr", "OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}]}``."""


def address_entry(port: Port) -> dict[str, Any]:
    """One fixed address of a port, in the compute API's form."""
    return {
        "version": 4,
        "addr": port.ip_address,
        "OS-EXT-IPS:type": "fixed",
        "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
    }


def addresses(ports: Iterable[Port], names: Mapping[str, str]) -> Addresses:
    """Group ``ports`` (in boot order) by the name of their network.

    ``names`` maps network ids to names; a network missing from it (deleted meanwhile)
    is shown by its id so the address is not hidden.
    """
    shown: Addresses = {}
    for port in ports:
        label = names.get(port.network_id, port.network_id)
        shown.setdefault(label, []).append(address_entry(port))
    return shown
