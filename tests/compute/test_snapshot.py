"""``snapshot_instance`` on a compute: real transport, real guest disks, a real image service.

The image service is reached in-process (:class:`LocalImageClient`) or over real
HTTP (:class:`HTTPImageClient` to the image API served by cheroot), as a compute
in its own process does.
"""

from __future__ import annotations

import hashlib

import pytest

from tessera.compute.snapshot import EVENT_SNAPSHOT, PENDING, UPLOADING
from tessera.context import RequestContext
from tessera.image import ImageService
from tessera.image.client import HTTPImageClient, ImageClient, LocalImageClient
from tessera.image.errors import ImageNotFound
from tessera.objects.flavor import Flavor
from tests.compute.conftest import PROJECT, USER, Build, Cell, Compute

# A flavor without a root disk: the fake guest disk is then just its 4 KiB header.
NANO = Flavor(2, "2", "t0.nano", vcpus=1, memory_mb=128, root_gb=0)
OWNER = RequestContext(user_id=USER, project_id=PROJECT, roles=("member",))


def _active_server(cell: Cell, client: ImageClient | None) -> tuple[Compute, Build]:
    compute = cell.start_compute("host1")
    compute.manager.images = client
    build = cell.new_build(compute, NANO)
    cell.cast_build(build)
    assert cell.wait_vm_state(build.uuid, "active")
    return compute, build


def _snapshot(cell: Cell, build: Build, client: ImageClient, name: str = "snap") -> str:
    """What the API does: a queued image, the pending task state, then the cast."""
    image = client.create(OWNER, {"name": name, "owner": PROJECT, "image_type": "snapshot"})
    cell.conductor.t_set(build.uuid, task_state=PENDING)
    cell.compute_api.snapshot_instance(OWNER, "host1", build.uuid, image.id)
    assert cell.conductor.t_wait(lambda s: any(e.event == EVENT_SNAPSHOT for e in s.events))
    return image.id


def _event(cell: Cell) -> tuple[str, str | None]:
    [event] = [e for e in cell.conductor.state.events if e.event == EVENT_SNAPSHOT]
    return event.result, event.error


def _downloaded(images: ImageService, image_id: str) -> bytes:
    download = images.download(OWNER, image_id)
    assert download.chunks is not None
    try:
        return b"".join(download.chunks)
    finally:
        download.chunks.close()


def test_snapshot_uploads_the_guest_disk_in_process(cell: Cell, images: ImageService) -> None:
    client = LocalImageClient(images)
    compute, build = _active_server(cell, client)

    image_id = _snapshot(cell, build, client)

    image = images.get(OWNER, image_id)
    assert (image.status.value, image.disk_format, image.container_format) == (
        "active",
        "raw",
        "bare",
    )
    assert _downloaded(images, image_id) == compute.driver.disk_path(build.uuid).read_bytes()
    values = cell.conductor.t_values(build.uuid)
    assert (values["vm_state"], values["task_state"]) == ("active", None)
    assert _event(cell) == ("Success", None)
    assert cell.conductor.state.faults == []
    # pending -> image_snapshot -> image_pending_upload -> image_uploading -> idle
    updates = [c for c in cell.conductor.state.calls if c.startswith("instance_update")]
    assert updates[-4:] == ["instance_update"] * 4


def test_snapshot_uploads_over_http(cell: Cell, images: ImageService, image_api: str) -> None:
    client = HTTPImageClient([image_api], timeout=30)
    compute, build = _active_server(cell, client)

    image_id = _snapshot(cell, build, client)

    disk = compute.driver.disk_path(build.uuid).read_bytes()
    info = client.get(OWNER, image_id)
    assert (info.status, info.size) == ("active", len(disk))
    assert info.checksum == hashlib.md5(disk, usedforsecurity=False).hexdigest()
    assert info.properties["image_type"] == "snapshot"
    assert _downloaded(images, image_id) == disk
    assert cell.conductor.t_values(build.uuid)["task_state"] is None
    assert _event(cell) == ("Success", None)
    client.close()


def test_a_lost_guest_disk_fails_the_snapshot_and_deletes_the_image(
    cell: Cell, images: ImageService
) -> None:
    client = LocalImageClient(images)
    compute, build = _active_server(cell, client)
    compute.driver.disk_path(build.uuid).unlink()

    image_id = _snapshot(cell, build, client)

    with pytest.raises(ImageNotFound):
        images.get(OWNER, image_id)
    values = cell.conductor.t_values(build.uuid)
    assert (values["vm_state"], values["task_state"]) == ("active", None)
    result, error = _event(cell)
    assert result == "Error" and "LookupError" in (error or "")
    [fault] = cell.conductor.state.faults
    assert (fault.uuid, fault.code, fault.host) == (build.uuid, 500, "host1")
    assert fault.message == f"Guest {build.uuid} does not exist on host host1"


def test_an_upload_the_image_service_refuses_deletes_the_image(
    cell: Cell, images: ImageService
) -> None:
    client = LocalImageClient(images)
    _, build = _active_server(cell, client)
    images.max_image_size = 1024  # the guest's disk (its 4 KiB header) is over the cap

    image_id = _snapshot(cell, build, client)

    with pytest.raises(ImageNotFound):
        images.get(OWNER, image_id)
    assert cell.conductor.t_values(build.uuid)["task_state"] is None
    assert _event(cell)[0] == "Error"
    [fault] = cell.conductor.state.faults
    assert "size limit" in fault.message


def test_a_host_without_image_service_fails_cleanly(cell: Cell, images: ImageService) -> None:
    _, build = _active_server(cell, None)

    _snapshot(cell, build, LocalImageClient(images))

    assert cell.conductor.t_values(build.uuid)["task_state"] is None
    [fault] = cell.conductor.state.faults
    assert "has no image service" in fault.message
    assert _event(cell)[0] == "Error"


def test_an_image_deleted_meanwhile_just_ends_the_snapshot(
    cell: Cell, images: ImageService
) -> None:
    client = LocalImageClient(images)
    _, build = _active_server(cell, client)
    image = client.create(OWNER, {"name": "gone", "owner": PROJECT})
    client.delete(OWNER, image.id)
    cell.conductor.t_set(build.uuid, task_state=PENDING)

    cell.compute_api.snapshot_instance(OWNER, "host1", build.uuid, image.id)

    assert cell.conductor.t_wait(lambda s: any(e.event == EVENT_SNAPSHOT for e in s.events))
    assert cell.conductor.t_values(build.uuid)["task_state"] is None
    assert cell.conductor.state.faults == []


def test_a_server_being_deleted_is_not_snapshotted(cell: Cell, images: ImageService) -> None:
    client = LocalImageClient(images)
    _, build = _active_server(cell, client)
    image = client.create(OWNER, {"name": "late", "owner": PROJECT})
    # The delete won the race: the API replaced the pending state with its own.
    cell.conductor.t_set(build.uuid, task_state="deleting")

    cell.compute_api.snapshot_instance(OWNER, "host1", build.uuid, image.id)

    assert cell.conductor.t_wait(lambda s: any(e.event == EVENT_SNAPSHOT for e in s.events))
    with pytest.raises(ImageNotFound):
        images.get(OWNER, image.id)
    assert cell.conductor.t_values(build.uuid)["task_state"] == "deleting"
    assert cell.conductor.state.faults == []


def test_a_restart_clears_an_interrupted_snapshot(cell: Cell, images: ImageService) -> None:
    client = LocalImageClient(images)
    compute, build = _active_server(cell, client)
    image = client.create(OWNER, {"name": "cut", "owner": PROJECT})
    cell.conductor.t_set(build.uuid, task_state=UPLOADING)

    compute.manager.init_host()  # what the service does first when it starts again

    assert cell.conductor.t_values(build.uuid)["task_state"] is None
    # The message of the interrupted request, delivered late, finds nothing to do.
    cell.compute_api.snapshot_instance(OWNER, "host1", build.uuid, image.id)
    assert cell.conductor.t_wait(lambda s: any(e.event == EVENT_SNAPSHOT for e in s.events))
    with pytest.raises(ImageNotFound):
        images.get(OWNER, image.id)
    assert cell.conductor.t_values(build.uuid)["task_state"] is None
