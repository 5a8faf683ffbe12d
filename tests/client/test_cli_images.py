"""Server snapshots with the real ``openstack`` CLI: ``server image create`` into the image API."""

from __future__ import annotations

import uuid as uuidlib
from pathlib import Path

from tessera.virt.fake import GIB
from tests.client.cli import osc


def test_server_image_create_show_delete(cloud: Path) -> None:
    suffix = uuidlib.uuid4().hex[:8]
    server_name, image_name = f"snapsrc-{suffix}", f"snap-{suffix}"
    server = osc(
        cloud,
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--no-network",
        "--wait",
        server_name,
        "-f",
        "json",
    )
    try:
        created = osc(
            cloud,
            "server",
            "image",
            "create",
            "--name",
            image_name,
            "--property",
            "purpose=cli-test",
            "--wait",
            server_name,
            "-f",
            "json",
        )
        assert created["name"] == image_name

        image = osc(cloud, "image", "show", image_name, "-f", "json")
        assert image["status"] == "active"
        assert image["size"] == GIB  # m1.tiny's whole (sparse) root disk
        assert (image["disk_format"], image["container_format"]) == ("raw", "bare")
        properties = image["properties"]
        assert properties["instance_uuid"] == server["id"]
        assert properties["image_type"] == "snapshot"
        assert properties["purpose"] == "cli-test"
        shown = osc(cloud, "server", "show", server_name, "-f", "json")
        assert shown["status"] == "ACTIVE"

        osc(cloud, "image", "delete", image_name)
        listed = {i["Name"] for i in osc(cloud, "image", "list", "-f", "json")}
        assert image_name not in listed
    finally:
        osc(cloud, "server", "delete", "--wait", server_name)
