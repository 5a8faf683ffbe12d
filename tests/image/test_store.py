"""The store underneath: integrity on read, atomic writes, threads, seeding, persistence."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import falcon.testing
import pytest

from tessera.context import RequestContext
from tessera.image import ImageService
from tessera.image.errors import ImageConflict, ImageDataCorrupt, ImageNotFound
from tessera.image.records import ImageSpec, Status, Visibility
from tests.image.conftest import ALICE, BOB, MAX_SIZE, create, md5, upload

OWNER = RequestContext(user_id="alice", project_id="project-a")
SPEC = ImageSpec(name="img", disk_format="raw", container_format="bare")


def _data_file(tmp_path: Path, image_id: str) -> Path:
    return tmp_path / "images" / "data" / image_id


@pytest.mark.parametrize("damage", ["flip", "truncate", "remove"])
def test_corrupted_data_is_a_500_not_bad_bytes(
    client: falcon.testing.TestClient, tmp_path: Path, damage: str
) -> None:
    image = create(client, ALICE)
    upload(client, ALICE, image["id"], b"A" * 5000)
    path = _data_file(tmp_path, image["id"])
    if damage == "flip":
        path.write_bytes(b"A" * 4999 + b"B")
    elif damage == "truncate":
        path.write_bytes(b"A" * 10)
    else:
        path.unlink()

    result = client.simulate_get(f"/image/v2/images/{image['id']}/file", headers=ALICE)
    assert result.status_code == 500
    assert result.json["code"] == 500
    assert "failed verification" in result.json["message"]
    assert b"AAAA" not in result.content


def test_a_file_changed_after_the_check_aborts_the_stream(
    service: ImageService, tmp_path: Path
) -> None:
    image = service.create(OWNER, SPEC)
    service.upload(OWNER, image.id, [b"A" * 60_000])
    stream = service.download(OWNER, image.id).chunks
    assert stream is not None
    with _data_file(tmp_path, image.id).open("r+b") as handle:
        handle.seek(50_000)
        handle.write(b"B")
    with pytest.raises(ImageDataCorrupt):
        b"".join(stream)
    stream.close()


def test_failed_upload_leaves_no_file_behind(service: ImageService, tmp_path: Path) -> None:
    image = service.create(OWNER, SPEC)

    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        service.upload(OWNER, image.id, broken())
    assert list((tmp_path / "images" / "data").iterdir()) == []
    assert service.get(OWNER, image.id).status is Status.QUEUED


def test_concurrent_uploads_of_different_images(client: falcon.testing.TestClient) -> None:
    payloads = {
        create(client, ALICE, name=f"t{i}")["id"]: bytes([i]) * (1000 + i) for i in range(8)
    }
    statuses: dict[str, int] = {}
    start = threading.Barrier(len(payloads))

    def put(image_id: str) -> None:
        start.wait()
        statuses[image_id] = upload(client, ALICE, image_id, payloads[image_id]).status_code

    threads = [threading.Thread(target=put, args=(i,)) for i in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert set(statuses.values()) == {204}
    for image_id, data in payloads.items():
        got = client.simulate_get(f"/image/v2/images/{image_id}/file", headers=ALICE)
        assert got.content == data
        assert got.headers["Content-MD5"] == md5(data)


def test_concurrent_uploads_to_one_image_only_one_wins(service: ImageService) -> None:
    image = service.create(OWNER, SPEC)
    streaming, release = threading.Event(), threading.Event()

    def slow() -> Iterator[bytes]:
        yield b"first"
        streaming.set()  # the image is "saving" by now
        release.wait(timeout=10)

    first = threading.Thread(target=service.upload, args=(OWNER, image.id, slow()))
    first.start()
    assert streaming.wait(timeout=10)
    with pytest.raises(ImageConflict):
        service.upload(OWNER, image.id, [b"second"])
    release.set()
    first.join(timeout=10)

    download = service.download(OWNER, image.id)
    assert download.image.status is Status.ACTIVE
    assert download.chunks is not None and b"".join(download.chunks) == b"first"
    download.chunks.close()


def test_delete_during_upload_discards_the_data(service: ImageService, tmp_path: Path) -> None:
    image = service.create(OWNER, SPEC)

    def deleting() -> Iterator[bytes]:
        yield b"data"
        service.delete(OWNER, image.id)

    with pytest.raises(ImageNotFound):
        service.upload(OWNER, image.id, deleting())
    assert list((tmp_path / "images" / "data").iterdir()) == []


def test_ensure_image_seeds_once(service: ImageService) -> None:
    first = service.ensure_image("cirros", b"\x00" * 4096)
    again = service.ensure_image("cirros", b"other bytes")
    assert again.id == first.id
    assert first.status is Status.ACTIVE and first.visibility is Visibility.PUBLIC
    assert first.digest is not None and first.digest.size == 4096
    other = RequestContext(user_id="bob", project_id="project-b")
    assert service.get(other, first.id).name == "cirros"


def test_records_and_data_survive_a_restart(tmp_path: Path) -> None:
    directory = tmp_path / "images"
    before = ImageService(directory, max_image_size=MAX_SIZE)
    image = before.create(
        OWNER,
        ImageSpec(
            name="kept",
            disk_format="raw",
            container_format="bare",
            tags=("t",),
            properties={"k": "v"},
        ),
    )
    before.upload(OWNER, image.id, [b"kept-bytes"])
    before.close()

    after = ImageService(directory, max_image_size=MAX_SIZE)
    reopened = after.get(OWNER, image.id)
    assert (reopened.name, reopened.tags, dict(reopened.properties)) == ("kept", ("t",), {"k": "v"})
    download = after.download(OWNER, image.id)
    assert download.chunks is not None and b"".join(download.chunks) == b"kept-bytes"
    download.chunks.close()
    after.close()


def test_other_projects_cannot_upload(client: falcon.testing.TestClient) -> None:
    image = create(client, ALICE, visibility="community")
    assert upload(client, BOB, image["id"], b"x").status_code == 403
