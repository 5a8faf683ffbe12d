"""Parsing a boot request's ``networks`` value into what the service allocates."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping, Sequence
from typing import Any

from tessera.network.errors import InvalidNetworkRequest
from tessera.network.records import AutoNetwork, ExplicitNetworks, NoNetwork, RequestedNetworks

# Keys of one ``networks`` entry that we understand; ``tag`` only labels the NIC.
_SUPPORTED_KEYS = frozenset({"uuid", "tag"})
_UNSUPPORTED_KEYS = frozenset({"port", "fixed_ip"})


def parse(value: str | Sequence[Mapping[str, Any]] | RequestedNetworks | None) -> RequestedNetworks:
    """``"auto"``, ``"none"``, ``[{"uuid": net}, ...]`` (or None, meaning auto) as a record.

    Raises InvalidNetworkRequest for anything else, naming the offending entry.
    """
    if isinstance(value, AutoNetwork | NoNetwork | ExplicitNetworks):
        return value
    if value is None or value == "auto":
        # Before microversion 2.37 ``networks`` may be omitted: a NIC on the default network.
        return AutoNetwork()
    if value == "none":
        return NoNetwork()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidNetworkRequest(f"Invalid networks value {value!r}: use auto, none or a list.")
    if not value:
        # An empty list names no network, so nothing is allocated (as with "none").
        return NoNetwork()
    return ExplicitNetworks(tuple(_network_id(entry) for entry in value))


def _network_id(entry: object) -> str:
    if not isinstance(entry, Mapping):
        raise InvalidNetworkRequest(f"Invalid network entry {entry!r}: expected an object.")
    unsupported = sorted(_UNSUPPORTED_KEYS.intersection(entry))
    if unsupported:
        raise InvalidNetworkRequest(
            f"Requesting networks by {', '.join(unsupported)} is not supported; "
            "request a network uuid."
        )
    unknown = sorted(set(entry) - _SUPPORTED_KEYS)
    if unknown:
        raise InvalidNetworkRequest(f"Unknown keys in network entry: {', '.join(unknown)}.")
    value = entry.get("uuid")
    if not isinstance(value, str):
        raise InvalidNetworkRequest("A network entry needs a uuid.")
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise InvalidNetworkRequest(
            f"Bad networks format: network uuid {value!r} is not a UUID."
        ) from None
