"""The resource tracker: compute node record through the conductor, inventory in placement."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tessera.compute.resource_tracker import ResourceTracker
from tessera.conductor.rpcapi import CellConductorAPI
from tessera.placement.client import PlacementClient
from tessera.virt.driver import HostResources
from tessera.virt.fake import FakeDriver
from tests.compute.conftest import RATIOS, TINY, Cell, CountingTransport


class ResizableDriver(FakeDriver):
    """A fake host whose capacity a test can change (as after adding RAM)."""

    extra_memory_mb = 0

    def host_resources(self) -> HostResources:
        base = super().host_resources()
        return replace(base, memory_mb=base.memory_mb + self.extra_memory_mb)


def _inventories(cell: Cell, rp_uuid: str) -> dict[str, Any]:
    resp = cell.embedded.transport().request("GET", f"/resource_providers/{rp_uuid}/inventories")
    assert resp.json is not None
    return dict(resp.json["inventories"])


def _tracker(cell: Cell, driver: FakeDriver) -> tuple[ResourceTracker, CountingTransport]:
    counting = CountingTransport(cell.embedded.transport())
    conductor = CellConductorAPI(cell.transport, timeout=10)
    tracker = ResourceTracker("host1", driver, conductor, PlacementClient(counting), RATIOS)
    return tracker, counting


def test_inventory_carries_the_ratios_and_unchanged_inventory_is_not_rewritten(
    cell: Cell,
) -> None:
    driver = ResizableDriver(cell.fake_settings("host1", vcpus=8, memory_mb=4096, disk_gb=100))
    tracker, counting = _tracker(cell, driver)

    tracker.update()
    rp = tracker.node_uuid
    assert rp is not None
    inventories = _inventories(cell, rp)
    assert {rc: (inv["total"], inv["allocation_ratio"]) for rc, inv in inventories.items()} == {
        "VCPU": (8, 4.0),
        "MEMORY_MB": (4096, 1.5),
        "DISK_GB": (100, 1.0),
    }
    writes = len(counting.writes())
    assert writes >= 1

    tracker.update()
    tracker.update()
    assert len(counting.writes()) == writes, "unchanged inventory must not be written again"

    driver.extra_memory_mb = 1024
    tracker.update()
    assert len(counting.writes()) == writes + 1
    assert _inventories(cell, rp)["MEMORY_MB"]["total"] == 5120


def test_node_record_counts_the_guests_on_the_host(cell: Cell) -> None:
    compute = cell.start_compute("host1", vcpus=8, memory_mb=4096, disk_gb=100)
    for _ in range(2):
        build = cell.new_build(compute)
        cell.cast_build(build)
        assert cell.wait_vm_state(build.uuid, "active")

    compute.tracker.update()

    [node] = cell.conductor.state.nodes.values()
    assert node["uuid"] == compute.node_uuid
    expected = {
        "vcpus": 8,
        "memory_mb": 4096,
        "local_gb": 100,
        "vcpus_used": 2 * TINY.vcpus,
        "memory_mb_used": 2 * TINY.memory_mb,
        "local_gb_used": 2 * TINY.root_gb,
        "running_vms": 2,
        "hypervisor_type": "fake",
        "hypervisor_hostname": "host1",
        "cpu_allocation_ratio": 4.0,
        "ram_allocation_ratio": 1.5,
        "disk_allocation_ratio": 1.0,
    }
    assert {key: node[key] for key in expected} == expected
