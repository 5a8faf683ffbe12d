"""What a ``createImage`` asks of the image service, and the action's request checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.api.errors import APIError
from tessera.api.schemas import server_actions as schemas
from tessera.api.server_actions import check
from tessera.compute.actions import snapshot_image_body
from tessera.context import RequestContext
from tessera.image import ImageService
from tessera.image.client import LocalImageClient
from tessera.objects.instance import Instance

OWNER = RequestContext(user_id="alice", project_id="project-a", roles=("member",))
ADMIN = RequestContext(user_id="admin", project_id="ops", is_admin=True, roles=("admin",))


def server(**values: object) -> Instance:
    base = {
        "uuid": "8e4a57bc-1f1b-4c43-a7a0-1b7c2a1f7f10",
        "project_id": "project-a",
        "user_id": "alice",
        "image_ref": "b6f6a7a6-1b9e-4a33-8a46-5a37dbd1f1a4",
        "root_gb": 20,
    }
    return Instance({**base, **values}, {}, {})


def test_the_owners_snapshot_is_private_and_says_where_it_came_from() -> None:
    body = snapshot_image_body(OWNER, server(), "daily", {"purpose": "backup", "name": "x"})

    assert body == {
        "name": "daily",  # the user's metadata cannot rename it
        "purpose": "backup",
        "instance_uuid": "8e4a57bc-1f1b-4c43-a7a0-1b7c2a1f7f10",
        "user_id": "alice",
        "image_type": "snapshot",
        "base_image_ref": "b6f6a7a6-1b9e-4a33-8a46-5a37dbd1f1a4",
        "visibility": "private",
        "owner": "project-a",
        "min_disk": 20,
    }


def test_an_admins_snapshot_belongs_to_the_servers_project(tmp_path: Path) -> None:
    body = snapshot_image_body(ADMIN, server(image_ref=None), "rescue", {})
    assert body["owner"] == "project-a" and body["instance_owner"] == "project-a"
    assert body["user_id"] == "admin" and "base_image_ref" not in body

    # The image service takes it as it is, and the server's owner can see the image.
    images = ImageService(tmp_path / "images")
    try:
        created = LocalImageClient(images).create(ADMIN, body)
        assert images.get(OWNER, created.id).owner == "project-a"
    finally:
        images.close()


@pytest.mark.parametrize(
    "args",
    [
        {"name": "ok"},
        {"name": "été 2026", "metadata": {"a.b:c-d_e f": "v"}},
        {"name": "x" * 255},
    ],
)
def test_create_image_bodies_accepted(args: dict[str, object]) -> None:
    check(args, schemas.CREATE_IMAGE)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"name": "x" * 256},
        {"name": "tab\tinside"},
        {"name": "trailing "},
        {"name": "x", "metadata": {"k": 1}},
        {"name": "x", "metadata": []},
        {"name": "x", "other": True},
    ],
)
def test_create_image_bodies_refused(args: dict[str, object]) -> None:
    with pytest.raises(APIError) as refused:
        check(args, schemas.CREATE_IMAGE)
    assert refused.value.status == 400
