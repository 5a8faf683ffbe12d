"""``PATCH /v2/images/{id}`` with openstack-images-v2.1-json-patch (what ``image set`` sends)."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from tests.image.conftest import ADMIN, ALICE, create, patch, upload


@pytest.fixture
def image(client: falcon.testing.TestClient) -> dict[str, Any]:
    return create(client, ALICE, name="old", hw_disk_bus="virtio")


def test_add_replace_remove(client: falcon.testing.TestClient, image: dict[str, Any]) -> None:
    result = patch(
        client,
        ALICE,
        image["id"],
        [
            {"op": "replace", "path": "/name", "value": "new"},
            {"op": "add", "path": "/os_distro", "value": "cirros"},
            {"op": "replace", "path": "/hw_disk_bus", "value": "scsi"},
            {"op": "add", "path": "/visibility", "value": "community"},
        ],
    )
    assert result.status_code == 200, result.text
    assert result.json["name"] == "new"
    assert result.json["os_distro"] == "cirros"
    assert result.json["hw_disk_bus"] == "scsi"
    assert result.json["visibility"] == "community"

    removed = patch(client, ALICE, image["id"], [{"op": "remove", "path": "/os_distro"}])
    assert "os_distro" not in removed.json
    shown = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert "os_distro" not in shown and shown["name"] == "new"


def test_openstacksdk_style_adds_of_core_attributes(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    """openstacksdk sends ``add`` for every attribute ``image set`` changes."""
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": "/min_disk", "value": 2},
        {"op": "add", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/protected", "value": True},
        {"op": "add", "path": "/tags", "value": ["a", "b", "a"]},
    ]
    result = patch(client, ALICE, image["id"], ops)
    assert result.status_code == 200, result.text
    assert (result.json["min_disk"], result.json["name"]) == (2, "renamed")
    assert result.json["protected"] is True
    assert result.json["tags"] == ["a", "b"]


def test_patch_bumps_updated_at_only_on_change(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    same = patch(client, ALICE, image["id"], [{"op": "add", "path": "/name", "value": "old"}])
    assert same.json["updated_at"] == image["updated_at"]


@pytest.mark.parametrize(
    ("ops", "status"),
    [
        ([{"op": "replace", "path": "/status", "value": "active"}], 403),
        ([{"op": "replace", "path": "/id", "value": "x"}], 403),
        ([{"op": "remove", "path": "/name"}], 403),
        ([{"op": "add", "path": "/os_glance_x", "value": "1"}], 403),
        ([{"op": "replace", "path": "/absent", "value": "1"}], 409),
        ([{"op": "remove", "path": "/absent"}], 409),
        ([{"op": "add", "path": "/visibility", "value": "everyone"}], 400),
        ([{"op": "add", "path": "/min_ram", "value": "lots"}], 400),
        ([{"op": "add", "path": "/custom", "value": 3}], 400),
        ([{"op": "add", "path": "/name"}], 400),
        ([{"op": "move", "path": "/name", "value": "x"}], 400),
        ([{"op": "add", "path": "/tags/0", "value": "x"}], 400),
        ({"op": "add"}, 400),
    ],
)
def test_refused_operations(
    client: falcon.testing.TestClient, image: dict[str, Any], ops: Any, status: int
) -> None:
    result = patch(client, ALICE, image["id"], ops)
    assert result.status_code == status, result.text
    unchanged = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert unchanged["name"] == "old"


def test_a_refused_operation_undoes_the_earlier_ones(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    ops = [
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "remove", "path": "/absent"},
    ]
    assert patch(client, ALICE, image["id"], ops).status_code == 409
    shown = client.simulate_get(f"/image/v2/images/{image['id']}", headers=ALICE).json
    assert shown["name"] == "old"


def test_patch_needs_the_json_patch_media_type(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    result = client.simulate_patch(
        f"/image/v2/images/{image['id']}",
        json=[{"op": "replace", "path": "/name", "value": "x"}],
        headers=ALICE,
    )
    assert result.status_code == 415


def test_formats_are_fixed_once_data_exists(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    upload(client, ALICE, image["id"], b"data")
    op = [{"op": "replace", "path": "/disk_format", "value": "raw"}]
    assert patch(client, ALICE, image["id"], op).status_code == 403


def test_only_admins_publicize_or_give_away(
    client: falcon.testing.TestClient, image: dict[str, Any]
) -> None:
    public = [{"op": "replace", "path": "/visibility", "value": "public"}]
    give = [{"op": "replace", "path": "/owner", "value": "project-b"}]
    assert patch(client, ALICE, image["id"], public).status_code == 403
    assert patch(client, ALICE, image["id"], give).status_code == 403
    assert patch(client, ADMIN, image["id"], public).json["visibility"] == "public"
    assert patch(client, ADMIN, image["id"], give).json["owner"] == "project-b"
