"""An app with only the image API mounted, over a service in a temporary directory."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon
import falcon.testing
import pytest

from tessera.image import ImageService, install

ALICE = {"X-Auth-Token": "alice:project-a"}
BOB = {"X-Auth-Token": "bob:project-b"}
ADMIN = {"X-Auth-Token": "admin:admin"}
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
MAX_SIZE = 64 * 1024


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ImageService]:
    svc = ImageService(tmp_path / "images", max_image_size=MAX_SIZE)
    yield svc
    svc.close()


@pytest.fixture
def client(service: ImageService) -> falcon.testing.TestClient:
    app = falcon.App()
    install(app, service)
    return falcon.testing.TestClient(app)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def create(
    client: falcon.testing.TestClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """POST an image (qcow2/bare unless given) and return its JSON."""
    body = {"disk_format": "qcow2", "container_format": "bare", **body}
    result = client.simulate_post("/image/v2/images", json=body, headers=headers)
    assert result.status_code == 201, result.text
    image: dict[str, Any] = result.json
    return image


def upload(
    client: falcon.testing.TestClient, headers: dict[str, str], image_id: str, data: bytes
) -> falcon.testing.Result:
    return client.simulate_put(
        f"/image/v2/images/{image_id}/file",
        body=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def patch(
    client: falcon.testing.TestClient,
    headers: dict[str, str],
    image_id: str,
    ops: list[dict[str, Any]],
) -> falcon.testing.Result:
    return client.simulate_patch(
        f"/image/v2/images/{image_id}",
        body=json.dumps(ops),
        headers={**headers, "Content-Type": PATCH_TYPE},
    )


def names(result: falcon.testing.Result) -> list[str]:
    return [image["name"] for image in result.json["images"]]
