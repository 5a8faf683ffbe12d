"""What one compute host has and uses: its compute node record and its placement inventory.

The tracker reads capacity from the virt driver and usage from the host's
guests, writes the compute node record through the cell conductor (computes
never open a database) and keeps the node's resource provider inventory in
placement current. Placement is written only when the inventory changed since
the last successful write, so a quiet host costs placement nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tessera.conductor.rpcapi import CellConductorAPI
from tessera.context import RequestContext, admin_context
from tessera.objects.flavor import Flavor
from tessera.objects.instance import Instance
from tessera.placement.client import Inventory, PlacementClient
from tessera.virt.driver import HostResources, VirtDriver

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllocationRatios:
    """Overcommit factors a host reports to placement (``[compute] *_allocation_ratio``)."""

    cpu: float = 4.0
    """vCPU overcommit."""
    ram: float = 1.0
    """RAM overcommit."""
    disk: float = 1.0
    """Disk overcommit."""


@dataclass(frozen=True)
class GuestSize:
    """Resources one guest occupies on this host."""

    vcpus: int = 0
    """Virtual CPUs."""
    memory_mb: int = 0
    """RAM, MiB."""
    disk_gb: int = 0
    """Root plus ephemeral disk, GiB."""


@dataclass(frozen=True)
class Usage:
    """What the host's guests occupy together."""

    vcpus: int
    """Virtual CPUs in use."""
    memory_mb: int
    """RAM in use, MiB."""
    disk_gb: int
    """Disk in use, GiB."""
    running_vms: int
    """Guests on the host."""


def size_of(instance: Instance) -> GuestSize:
    """The resources ``instance`` occupies, from its flavor (its columns as a fallback)."""
    if instance.flavor:
        flavor = Flavor.from_dict(instance.flavor)
        return GuestSize(flavor.vcpus, flavor.memory_mb, flavor.root_gb + flavor.ephemeral_gb)
    values = instance.values
    disk = int(values.get("root_gb") or 0) + int(values.get("ephemeral_gb") or 0)
    return GuestSize(int(values.get("vcpus") or 0), int(values.get("memory_mb") or 0), disk)


def total_usage(sizes: Iterable[GuestSize]) -> Usage:
    """Sum the guests' sizes."""
    sizes = list(sizes)
    return Usage(
        vcpus=sum(s.vcpus for s in sizes),
        memory_mb=sum(s.memory_mb for s in sizes),
        disk_gb=sum(s.disk_gb for s in sizes),
        running_vms=len(sizes),
    )


def node_values(resources: HostResources, usage: Usage, ratios: AllocationRatios) -> dict[str, Any]:
    """The compute node record's columns for this capacity and usage."""
    return {
        "vcpus": resources.vcpus,
        "memory_mb": resources.memory_mb,
        "local_gb": resources.disk_gb,
        "vcpus_used": usage.vcpus,
        "memory_mb_used": usage.memory_mb,
        "local_gb_used": usage.disk_gb,
        "free_ram_mb": resources.memory_mb - usage.memory_mb,
        "free_disk_gb": resources.disk_gb - usage.disk_gb,
        "hypervisor_type": resources.hypervisor_type,
        "hypervisor_hostname": resources.hypervisor_hostname,
        "running_vms": usage.running_vms,
        "cpu_allocation_ratio": ratios.cpu,
        "ram_allocation_ratio": ratios.ram,
        "disk_allocation_ratio": ratios.disk,
    }


def inventory_of(resources: HostResources, ratios: AllocationRatios) -> dict[str, Inventory]:
    """Placement inventory of the node: VCPU, MEMORY_MB and DISK_GB with their ratios."""
    return {
        "VCPU": Inventory(resources.vcpus, allocation_ratio=ratios.cpu),
        "MEMORY_MB": Inventory(resources.memory_mb, allocation_ratio=ratios.ram),
        "DISK_GB": Inventory(resources.disk_gb, allocation_ratio=ratios.disk),
    }


@dataclass(frozen=True)
class ReportedInventory:
    """The inventory last written to placement successfully."""

    provider_uuid: str
    """The node's resource provider."""
    inventory: dict[str, Inventory]
    """Resource class -> inventory as written."""


class ResourceTracker:
    """Keeps the host's compute node record and placement inventory current."""

    def __init__(
        self,
        host: str,
        driver: VirtDriver,
        conductor: CellConductorAPI,
        placement: PlacementClient,
        ratios: AllocationRatios,
        context: Callable[[], RequestContext] = admin_context,
    ) -> None:
        self._host = host
        self._driver = driver
        self._conductor = conductor
        self._placement = placement
        self._ratios = ratios
        self._context = context
        # Guest sizes looked up once per guest; the conductor has no per-host listing.
        self._sizes: dict[str, GuestSize] = {}
        self._reported: ReportedInventory | None = None
        self._node_uuid: str | None = None
        # The periodic task and init_host may overlap; one update at a time.
        self._lock = threading.Lock()

    @property
    def node_uuid(self) -> str | None:
        """The compute node's uuid (its resource provider) once an update succeeded."""
        return self._node_uuid

    def update(self) -> None:
        """Write the node record, then the placement inventory if it changed."""
        with self._lock:
            ctx = self._context()
            resources = self._driver.host_resources()
            usage = total_usage(self._guest_sizes(ctx))
            values = node_values(resources, usage, self._ratios)
            nodename = resources.hypervisor_hostname
            node_uuid = self._conductor.compute_node_update(ctx, self._host, nodename, values)
            self._node_uuid = node_uuid
            self._report_inventory(node_uuid, nodename, inventory_of(resources, self._ratios))

    def _guest_sizes(self, ctx: RequestContext) -> list[GuestSize]:
        guests = self._driver.list_guests()
        for uuid in set(self._sizes) - set(guests):
            del self._sizes[uuid]
        return [self._size(ctx, uuid) for uuid in guests]

    def _size(self, ctx: RequestContext, uuid: str) -> GuestSize:
        size = self._sizes.get(uuid)
        if size is None:
            instance = self._conductor.instance_get(ctx, uuid)
            if instance is None:
                # A guest without a live instance (its delete is in flight): it still
                # occupies the host until destroyed, but its size is unknown now.
                LOG.info("Guest %s on %s has no live instance", uuid, self._host)
                return GuestSize()
            size = self._sizes[uuid] = size_of(instance)
        return size

    def _report_inventory(
        self, node_uuid: str, nodename: str, inventory: dict[str, Inventory]
    ) -> None:
        wanted = ReportedInventory(node_uuid, inventory)
        if wanted == self._reported:
            return
        generation = self._placement.ensure_resource_provider(node_uuid, nodename)
        self._placement.set_inventory(node_uuid, inventory, generation)
        self._reported = wanted
        LOG.info("Inventory of %s (%s) set in placement", nodename, node_uuid)
