"""Deleting a server at any moment of its build leaves nothing behind."""

from __future__ import annotations

import threading
import time

import pytest

from tessera.compute.api import ServerRequest
from tessera.context import RequestContext
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects.errors import InstanceNotFound
from tessera.placement.client import PlacementClient
from tests.functional.conftest import ADMIN, DEMO, StartCloud, wait_for
from tests.functional.inspect import Where, where


def _placement(cloud: EmbeddedCloud) -> PlacementClient:
    assert cloud.placement is not None
    return PlacementClient(cloud.placement.transport())


def _clean(seen: Where) -> bool:
    """Nothing live, no build request, no claim, and no mapping pointing nowhere."""
    no_live_row = not any(seen.live_rows.values())
    mapping_ok = seen.mapping_cell == "" or seen.mapping_cell in seen.live_rows
    return no_live_row and mapping_ok and not seen.has_build_request and not seen.allocations


def _boot_one(cloud: EmbeddedCloud, name: str) -> str:
    assert cloud.server_api is not None
    return cloud.server_api.create(DEMO, ServerRequest(name, "1", "cirros"))[0].uuid


def test_deletes_racing_every_step_of_the_build_leave_nothing(start_cloud: StartCloud) -> None:
    cloud = start_cloud(
        fake_driver={"vcpus": "8", "memory_mb": "16384", "disk_gb": "200", "spawn_seconds": "0.2"}
    )
    assert cloud.server_api is not None
    api = cloud.server_api
    delays = [i * 0.025 for i in range(16)]  # from "at once" to "while spawning"
    uuids: list[str] = []

    def boot_then_delete(delay: float, index: int) -> None:
        uuid = _boot_one(cloud, f"racer{index}")
        uuids.append(uuid)
        time.sleep(delay)
        api.delete(DEMO, uuid)

    threads = [threading.Thread(target=boot_then_delete, args=(d, i)) for i, d in enumerate(delays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placement = _placement(cloud)
    for uuid in uuids:
        seen = wait_for(
            lambda u=uuid: (lambda s: s if _clean(s) else None)(where(cloud, placement, u)),
            30,
            f"{uuid} to be cleaned up",
        )
        assert _clean(seen)
    assert placement.get_usages("demo") in ({}, {"VCPU": 0, "MEMORY_MB": 0, "DISK_GB": 0})


def test_deleting_an_active_server_removes_its_guest_and_claim(start_cloud: StartCloud) -> None:
    cloud = start_cloud()
    uuid = _boot_one(cloud, "doomed")
    assert cloud.server_api is not None
    wait_for(lambda: cloud.server_api.get(ADMIN, uuid).instance.vm_state == "active", 30)
    host = cloud.server_api.get(ADMIN, uuid).instance.host
    disk = cloud.layout.data_dir / "instances" / host / uuid / "disk"
    assert disk.exists()
    cloud.server_api.delete(DEMO, uuid)
    placement = _placement(cloud)
    seen = wait_for(
        lambda: (lambda s: s if _clean(s) else None)(where(cloud, placement, uuid)),
        30,
        "the delete to finish",
    )
    assert seen.live_rows == {seen.mapping_cell: False}  # soft-deleted where it lived
    assert not disk.exists()


def test_another_project_cannot_see_or_delete_a_server(start_cloud: StartCloud) -> None:
    cloud = start_cloud()
    uuid = _boot_one(cloud, "private")
    assert cloud.server_api is not None
    other = RequestContext(user_id="eve", project_id="evil", roles=("member",))
    with pytest.raises(InstanceNotFound):
        cloud.server_api.get(other, uuid)
    with pytest.raises(InstanceNotFound):
        cloud.server_api.delete(other, uuid)
    wait_for(lambda: cloud.server_api.get(DEMO, uuid).instance.vm_state == "active", 30)
