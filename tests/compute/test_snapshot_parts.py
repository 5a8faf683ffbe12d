"""Parts a snapshot is made of: the driver's disk capture and the two image clients."""

from __future__ import annotations

from pathlib import Path

import pytest

import tessera.conf
from tessera.context import RequestContext
from tessera.image import ImageService
from tessera.image import client as image_client
from tessera.image.client import (
    HTTPImageClient,
    ImageServiceUnavailable,
    LocalImageClient,
    file_chunks,
)
from tessera.image.errors import ImageBadRequest, ImageForbidden, ImageNotFound
from tessera.virt.driver import GuestSpec
from tessera.virt.fake import GIB, HEADER_SIZE, FakeDriver, FakeSettings

ALICE = RequestContext(user_id="alice", project_id="project-a", roles=("member",))
BOB = RequestContext(user_id="bob", project_id="project-b", roles=("member",))
UNREACHABLE = "http://127.0.0.1:1/image"


def test_fake_driver_captures_the_root_disk(tmp_path: Path) -> None:
    driver = FakeDriver(FakeSettings("h1", tmp_path))
    driver.spawn(GuestSpec("u1", "vm", 1, 512, 1, "cirros"))
    with driver.disk_path("u1").open("rb") as live:
        written = live.read(HEADER_SIZE)

    disk = driver.snapshot("u1")
    try:
        assert (disk.size, disk.disk_format, disk.container_format) == (GIB, "raw", "bare")
        # Destroying the guest meanwhile does not take the captured bytes away.
        driver.destroy("u1")
        head = disk.data.read(HEADER_SIZE)
        rest = sum(len(chunk) for chunk in file_chunks(disk.data, disk.size))
    finally:
        disk.close()
    assert head == written and b'"uuid": "u1"' in head
    assert HEADER_SIZE + rest == GIB
    with pytest.raises(LookupError, match="Guest u1 does not exist on host h1"):
        driver.snapshot("u1")


def test_a_sparse_disk_is_stored_sparse(tmp_path: Path, images: ImageService) -> None:
    source = tmp_path / "disk"
    with source.open("wb") as handle:
        handle.write(b"header")
        handle.truncate(64 * 1024 * 1024)  # 64 MiB, nearly all a hole
    client = LocalImageClient(images)
    image = client.create(ALICE, {"name": "s", "disk_format": "raw", "container_format": "bare"})

    with source.open("rb") as handle:
        client.upload(ALICE, image.id, handle, source.stat().st_size)

    stored = tmp_path / "images" / "data" / image.id
    assert stored.stat().st_size == 64 * 1024 * 1024
    assert stored.stat().st_blocks * 512 < 1024 * 1024
    download = images.download(ALICE, image.id)
    assert download.chunks is not None
    try:
        assert b"".join(download.chunks) == source.read_bytes()
    finally:
        download.chunks.close()


@pytest.mark.parametrize("kind", ["local", "http"])
def test_both_clients_behave_alike(kind: str, images: ImageService, image_api: str) -> None:
    client = LocalImageClient(images) if kind == "local" else HTTPImageClient([image_api])
    image = client.create(ALICE, {"name": "x", "owner": "project-a", "purpose": "test"})
    assert (image.status, image.name, image.properties) == ("queued", "x", {"purpose": "test"})
    updated = client.update(ALICE, image.id, {"disk_format": "raw", "container_format": "bare"})
    assert updated.status == "queued"
    with pytest.raises(ImageNotFound):
        client.get(BOB, image.id)  # another project's private image does not exist for Bob
    with pytest.raises(ImageForbidden):
        client.create(ALICE, {"name": "y", "status": "active"})
    with pytest.raises(ImageBadRequest):
        client.create(ALICE, {"name": "y", "min_disk": "big"})
    client.delete(ALICE, image.id)
    client.delete(ALICE, image.id)  # gone already: not an error
    with pytest.raises(ImageNotFound):
        client.get(ALICE, image.id)


def test_http_client_tries_the_next_endpoint(tmp_path: Path, image_api: str) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"snapshot bytes" * 100)
    client = HTTPImageClient([UNREACHABLE, image_api], timeout=10)
    image = client.create(ALICE, {"name": "z", "disk_format": "raw", "container_format": "bare"})
    with data.open("rb") as handle:
        client.upload(ALICE, image.id, handle, data.stat().st_size)
    assert client.get(ALICE, image.id).size == 1400

    with pytest.raises(ImageServiceUnavailable, match="No image API reachable"):
        HTTPImageClient([UNREACHABLE], timeout=10).get(ALICE, image.id)


def test_clients_from_configuration() -> None:
    conf = tessera.conf.new_conf()
    conf([], default_config_files=[])
    assert image_client.from_conf(conf) is None
    conf.set_override("api_servers", [UNREACHABLE], group="image")
    made = image_client.from_conf(conf)
    assert isinstance(made, HTTPImageClient)
    assert image_client.token(ALICE) == "alice:project-a"
    assert image_client.token(ALICE.elevated()) == "admin:project-a"
