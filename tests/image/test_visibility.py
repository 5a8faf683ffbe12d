"""Who sees which image: owners, other projects and admins."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from tests.image.conftest import ADMIN, ALICE, BOB, create, names, patch, upload


def _status(client: falcon.testing.TestClient, method: str, path: str, headers: Any) -> int:
    return client.simulate_request(method, path, headers=headers).status_code


@pytest.fixture
def images(client: falcon.testing.TestClient) -> dict[str, str]:
    made = {
        "private": create(client, ALICE, name="private", visibility="private"),
        "shared": create(client, ALICE, name="shared", visibility="shared"),
        "community": create(client, ALICE, name="community", visibility="community"),
        "public": create(client, ADMIN, name="public", visibility="public"),
    }
    for image in made.values():
        upload(client, ADMIN, image["id"], b"bytes")
    return {name: image["id"] for name, image in made.items()}


@pytest.mark.parametrize("name", ["private", "shared"])
def test_other_projects_get_404_for_private_and_shared(
    client: falcon.testing.TestClient, images: dict[str, str], name: str
) -> None:
    url = f"/image/v2/images/{images[name]}"
    assert _status(client, "GET", url, ALICE) == 200
    assert _status(client, "GET", url, BOB) == 404
    assert _status(client, "GET", f"{url}/file", BOB) == 404
    assert _status(client, "DELETE", url, BOB) == 404
    ops = [{"op": "replace", "path": "/name", "value": "mine"}]
    assert patch(client, BOB, images[name], ops).status_code == 404


@pytest.mark.parametrize("name", ["public", "community"])
def test_everyone_sees_public_and_community_but_cannot_change_them(
    client: falcon.testing.TestClient, images: dict[str, str], name: str
) -> None:
    url = f"/image/v2/images/{images[name]}"
    assert _status(client, "GET", url, BOB) == 200
    assert client.simulate_get(f"{url}/file", headers=BOB).content == b"bytes"
    assert _status(client, "DELETE", url, BOB) == 403
    ops = [{"op": "replace", "path": "/name", "value": "mine"}]
    assert patch(client, BOB, images[name], ops).status_code == 403


def test_default_listing_per_project(
    client: falcon.testing.TestClient, images: dict[str, str]
) -> None:
    def listed(headers: dict[str, str], **params: str) -> list[str]:
        result = client.simulate_get("/image/v2/images", params=params, headers=headers)
        return sorted(names(result))

    assert listed(ALICE) == ["community", "private", "public", "shared"]
    # Glance leaves other projects' community images out unless asked for.
    assert listed(BOB) == ["public"]
    assert listed(BOB, visibility="community") == ["community"]
    assert listed(BOB, visibility="all") == ["community", "public"]
    assert listed(BOB, visibility="private") == []
    assert listed(ADMIN) == ["community", "private", "public", "shared"]


def test_admin_sees_and_deletes_everything(
    client: falcon.testing.TestClient, images: dict[str, str]
) -> None:
    url = f"/image/v2/images/{images['private']}"
    assert _status(client, "GET", url, ADMIN) == 200
    assert _status(client, "DELETE", url, ADMIN) == 204


def test_marker_of_an_invisible_image_is_400(
    client: falcon.testing.TestClient, images: dict[str, str]
) -> None:
    params = {"marker": images["private"]}
    result = client.simulate_get("/image/v2/images", params=params, headers=BOB)
    assert result.status_code == 400


def test_non_admins_cannot_create_public_images(client: falcon.testing.TestClient) -> None:
    body = {"name": "x", "visibility": "public"}
    assert client.simulate_post("/image/v2/images", json=body, headers=BOB).status_code == 403
    body = {"name": "x", "owner": "project-a"}
    assert client.simulate_post("/image/v2/images", json=body, headers=BOB).status_code == 403
