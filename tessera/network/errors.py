"""What can go wrong in the network service, each carrying the HTTP status it maps to.

The service raises these; the REST layer (``api.py``) renders them as Neutron does,
``{"NeutronError": {"type": ..., "message": ..., "detail": ""}}``. The compute API,
which reports bad boot requests as 400, maps them itself.
"""

from __future__ import annotations

from typing import ClassVar


class NetworkError(Exception):
    """Base of every error the network service reports."""

    status: ClassVar[int] = 500
    """The HTTP status code this error is reported with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def kind(self) -> str:
        """The ``type`` a Neutron-style error body names (the class name)."""
        return type(self).__name__


class InvalidNetworkRequest(NetworkError):
    """The requested networks of a boot are malformed or ask for what is not supported."""

    status = 400


class NetworkNotFound(NetworkError):
    """No such network, or one the project may not use."""

    status = 404

    def __init__(self, network_id: str) -> None:
        super().__init__(f"Network {network_id} could not be found.")
        self.network_id = network_id


class PortNotFound(NetworkError):
    """No such port."""

    status = 404

    def __init__(self, port_id: str) -> None:
        super().__init__(f"Port {port_id} could not be found.")
        self.port_id = port_id


class SubnetNotFound(NetworkError):
    """No such subnet, or one on a network the caller may not see."""

    status = 404

    def __init__(self, subnet_id: str) -> None:
        super().__init__(f"Subnet {subnet_id} could not be found.")
        self.subnet_id = subnet_id


class InvalidFilter(NetworkError):
    """A list filter with a value of the wrong type (``?shared=maybe``)."""

    status = 400


class NetworkExhausted(NetworkError):
    """Every address of the network's allocation pools is in use."""

    status = 409

    def __init__(self, network_id: str) -> None:
        super().__init__(f"No more IP addresses available on network {network_id}.")
        self.network_id = network_id


class AllocationContention(NetworkError):
    """Concurrent allocators kept taking the candidate addresses; the caller may retry."""

    status = 409

    def __init__(self, network_id: str, attempts: int) -> None:
        super().__init__(
            f"Could not allocate an address on network {network_id} after {attempts} "
            "attempts because of concurrent allocations; try again."
        )
        self.network_id = network_id
