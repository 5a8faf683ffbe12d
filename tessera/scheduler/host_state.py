"""HostState: one compute node as the filters and weighers see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

DEFAULT_AVAILABILITY_ZONE = "nova"
"""The zone of hosts in no zone, unless ``[DEFAULT] default_availability_zone`` says otherwise."""


@dataclass(frozen=True)
class HostState:
    """A candidate node: where it is, whether it may take servers, what it has free."""

    node_uuid: str
    """The compute node's uuid, which is also its placement resource provider."""
    host: str
    """The compute service host the node belongs to."""
    nodename: str
    """The hypervisor node name."""
    cell_uuid: str
    """The cell the host is mapped to."""
    service_up: bool = True
    """The host's compute service sent a heartbeat within ``service_down_time``."""
    service_disabled: bool = False
    """An operator disabled the host's compute service."""
    availability_zone: str = DEFAULT_AVAILABILITY_ZONE
    """The zone from the host's aggregates' metadata, else the default zone."""
    aggregate_metadata: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Metadata key -> values, over every aggregate the host is in."""
    total: Mapping[str, int] = field(default_factory=dict)
    """Resource class -> capacity (placement's, overcommit included)."""
    free: Mapping[str, int] = field(default_factory=dict)
    """Resource class -> what is still allocatable, in-flight claims deducted."""

    def with_resources(self, total: Mapping[str, int], free: Mapping[str, int]) -> HostState:
        """The same host with capacities and free amounts from another source."""
        return replace(self, total=dict(total), free=dict(free))

    def minus(self, used: Mapping[str, int]) -> HostState:
        """The same host after ``used`` more has been consumed on it."""
        if not used:
            return self
        free = dict(self.free)
        for rc, amount in used.items():
            free[rc] = free.get(rc, 0) - amount
        return replace(self, free=free)

    def fits(self, resources: Mapping[str, int]) -> bool:
        """Whether every requested amount is still free here."""
        return all(self.free.get(rc, 0) >= amount for rc, amount in resources.items())
