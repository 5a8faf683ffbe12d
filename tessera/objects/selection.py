"""Selection: a host the scheduler chose (or an alternate), with its claim."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Selection:
    """One destination for one instance; alternates come from the same cell."""

    compute_node_uuid: str
    """The node's uuid, which is also its placement resource provider."""
    service_host: str
    """The compute host to cast ``build_and_run_instance`` to."""
    nodename: str
    """The hypervisor node name on that host."""
    cell_uuid: str
    """The cell the host is mapped to."""
    allocation_request: dict[str, Any]
    """The placement allocation request body that claims resources there."""
    allocation_request_version: str = "1.39"
    """Placement microversion of ``allocation_request``."""
    availability_zone: str | None = None
    """The host's availability zone (so the cell never asks upward)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for RPC messages."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Selection:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**values)
