"""Over real HTTP (cheroot, as the API server runs): chunked uploads and streamed downloads."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import falcon
import pytest

from tessera.api.server import APIServer
from tessera.image import ImageService, install
from tessera.image.seed import CIRROS_NAME, fake_disk, seed_cirros
from tests.image.conftest import ALICE, md5


@pytest.fixture
def server(service: ImageService) -> Iterator[APIServer]:
    app = falcon.App()
    install(app, service)
    running = APIServer(app, "127.0.0.1", 0, threads=4)
    running.start()
    yield running
    running.stop()


def _connect(server: APIServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


def _status(conn: http.client.HTTPConnection) -> int:
    response = conn.getresponse()
    response.read()
    return response.status


def _create(server: APIServer) -> str:
    conn = _connect(server)
    body = json.dumps({"name": "h", "disk_format": "raw", "container_format": "bare"})
    conn.request("POST", "/image/v2/images", body=body, headers={**ALICE})
    image_id: str = json.loads(conn.getresponse().read())["id"]
    return image_id


def test_chunked_upload_and_streamed_download(server: APIServer) -> None:
    image_id = _create(server)
    parts = [b"a" * 10_000, b"b" * 30_000, b"c" * 5]
    conn = _connect(server)
    headers = {**ALICE, "Content-Type": "application/octet-stream"}
    conn.request(
        "PUT",
        f"/image/v2/images/{image_id}/file",
        body=iter(parts),
        headers=headers,
        encode_chunked=True,
    )
    assert _status(conn) == 204

    conn.request("GET", f"/image/v2/images/{image_id}/file", headers=ALICE)
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200
    assert data == b"".join(parts)
    assert response.getheader("Content-MD5") == md5(data)
    assert response.getheader("Content-Length") == str(len(data))


def test_corrupted_data_over_http_is_500(server: APIServer, tmp_path: Path) -> None:
    image_id = _create(server)
    conn = _connect(server)
    conn.request("PUT", f"/image/v2/images/{image_id}/file", body=b"x" * 100, headers=ALICE)
    assert _status(conn) == 204
    (tmp_path / "images" / "data" / image_id).write_bytes(b"y" * 100)

    conn.request("GET", f"/image/v2/images/{image_id}/file", headers=ALICE)
    response = conn.getresponse()
    assert response.status == 500
    assert json.loads(response.read())["code"] == 500


def test_seeded_cirros_is_public_and_stable(service: ImageService, server: APIServer) -> None:
    image = seed_cirros(service)
    assert seed_cirros(service).id == image.id
    assert image.digest is not None and image.digest.checksum == md5(fake_disk())
    conn = _connect(server)
    conn.request("GET", f"/image/v2/images?name={CIRROS_NAME}", headers={"X-Auth-Token": "x"})
    found = json.loads(conn.getresponse().read())["images"]
    assert [(i["id"], i["os_distro"]) for i in found] == [(image.id, "cirros")]
