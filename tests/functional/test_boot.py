"""Booting servers across cells in one process: API -> super conductor -> scheduler -> cell."""

from __future__ import annotations

from collections import Counter

from tessera.compute.api import ServerRequest
from tessera.deploy.cloud import EmbeddedCloud
from tessera.placement.client import PlacementClient
from tessera.virt.fake import read_header
from tests.functional.conftest import ADMIN, DEMO, StartCloud, lift_quota, wait_for
from tests.functional.inspect import rows, where


def _placement(cloud: EmbeddedCloud) -> PlacementClient:
    assert cloud.placement is not None
    return PlacementClient(cloud.placement.transport())


def _status(cloud: EmbeddedCloud, uuid: str) -> str:
    assert cloud.server_api is not None
    return str(cloud.server_api.get(ADMIN, uuid).instance.vm_state)


def _boot(cloud: EmbeddedCloud, count: int, flavor: str = "1", name: str = "vm") -> list[str]:
    assert cloud.server_api is not None
    created = cloud.server_api.create(DEMO, ServerRequest(name, flavor, "cirros", max_count=count))
    return [r.uuid for r in created]


def _settled(cloud: EmbeddedCloud, uuids: list[str]) -> dict[str, str]:
    states = {u: _status(cloud, u) for u in uuids}
    return states if all(s in ("active", "error") for s in states.values()) else {}


def test_twenty_servers_land_active_in_exactly_one_cell(start_cloud: StartCloud) -> None:
    cloud = start_cloud()
    lift_quota(cloud)  # 20 servers: twice the default instance quota
    uuids = _boot(cloud, 10) + _boot(cloud, 10, name="more")
    states = wait_for(lambda: _settled(cloud, uuids), 60, "20 servers to settle")
    assert set(states.values()) == {"active"}
    placement = _placement(cloud)
    cells: Counter[str] = Counter()
    for uuid in uuids:
        seen = where(cloud, placement, uuid)
        assert list(seen.live_rows.values()) == [True], seen
        (cell,) = seen.live_rows
        assert seen.mapping_cell == cell and cell != "cell0"
        assert not seen.has_build_request
        cells[cell] += 1
    assert set(cells) == {"cell1", "cell2"}
    usage = placement.get_usages("demo")
    assert usage == {"VCPU": 20, "MEMORY_MB": 20 * 512, "DISK_GB": 20 * 1}


def test_each_guest_has_a_real_disk_on_its_host(start_cloud: StartCloud) -> None:
    cloud = start_cloud()
    (uuid,) = _boot(cloud, 1)
    wait_for(lambda: _status(cloud, uuid) == "active", 30)
    assert cloud.server_api is not None
    host = cloud.server_api.get(ADMIN, uuid).instance.host
    disk = cloud.layout.data_dir / "instances" / host / uuid / "disk"
    assert read_header(disk)["uuid"] == uuid
    assert disk.stat().st_size == 1024**3  # m1.tiny: 1 GiB, sparse
    assert disk.stat().st_blocks * 512 < 1024**2


def test_no_valid_host_buries_the_server_in_cell0(start_cloud: StartCloud) -> None:
    cloud = start_cloud(fake_driver={"vcpus": "8", "memory_mb": "4096", "disk_gb": "200"})
    (uuid,) = _boot(cloud, 1, flavor="4")  # m1.large: 8 GiB of RAM on 4 GiB hosts
    wait_for(lambda: _status(cloud, uuid) == "error", 30)
    assert cloud.server_api is not None
    view = cloud.server_api.get(DEMO, uuid)
    assert view.fault is not None
    assert view.fault.message.startswith("No valid host was found.")
    seen = where(cloud, _placement(cloud), uuid)
    assert seen.live_rows == {"cell0": True} and seen.mapping_cell == "cell0"
    assert seen.allocations == {} and not seen.has_build_request


def test_spawn_failure_reschedules_to_an_alternate_in_the_same_cell(
    start_cloud: StartCloud,
) -> None:
    broken = {"cell1-compute1": {"fail_spawn": "true"}, "cell2-compute1": {"fail_spawn": "true"}}
    cloud = start_cloud(host_fake_driver=broken)
    # One request each: a multi-create excludes hosts chosen for its other servers
    # from the alternates, and two hosts per cell leave no room for that.
    uuids = [u for i in range(6) for u in _boot(cloud, 1, name=f"vm{i}")]
    wait_for(lambda: _settled(cloud, uuids), 60, "servers to settle")
    assert cloud.server_api is not None
    placement = _placement(cloud)
    for uuid in uuids:
        record = cloud.server_api.get(ADMIN, uuid).instance
        assert record.vm_state == "active"
        assert record.host in ("cell1-compute2", "cell2-compute2")
        (rp,) = placement.get_allocations(uuid).allocations  # one host's claim only
        assert rp


def test_exhausted_alternates_end_in_error_with_the_reference_fault(
    start_cloud: StartCloud,
) -> None:
    every = {f"cell{c}-compute{h}": {"fail_spawn": "true"} for c in (1, 2) for h in (1, 2)}
    cloud = start_cloud(host_fake_driver=every)
    (uuid,) = _boot(cloud, 1)
    assert cloud.server_api is not None
    api = cloud.server_api
    # The state and the fault are two writes: wait for both.
    wait_for(lambda: api.get(ADMIN, uuid).fault is not None, 30)
    assert _status(cloud, uuid) == "error"
    assert cloud.server_api is not None
    view = cloud.server_api.get(ADMIN, uuid)
    assert view.fault is not None
    assert view.fault.message.startswith("Exceeded maximum number of retries.")
    assert _placement(cloud).get_allocations(uuid).allocations == {}
    assert list(rows(cloud, uuid)) != ["cell0"]
