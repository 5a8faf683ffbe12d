"""``openstack flavor ...`` (python-openstackclient over openstacksdk) against a running cloud.

``tessera-admin`` manages flavors; ``tessera`` is a member of project ``demo``;
``--os-token alt:alt`` is a member of project ``alt``.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client.cli import osc

ADMIN = "tessera-admin"
ALT = ("--os-token", "alt:alt")


def _admin(cloud: Path, *args: str, check: bool = True) -> Any:
    return osc(cloud, *args, cloud=ADMIN, check=check)


@pytest.fixture
def name(cloud: Path) -> Iterator[str]:
    """A fresh flavor name; the flavor is deleted after the test if it still exists."""
    fresh = f"cli-{uuidlib.uuid4().hex[:8]}"
    yield fresh
    _admin(cloud, "flavor", "delete", fresh, check=False)


def test_create_show_set_unset_delete(cloud: Path, name: str) -> None:
    made = _admin(
        cloud,
        "flavor",
        "create",
        "--ram",
        "256",
        "--vcpus",
        "2",
        "--disk",
        "3",
        "--ephemeral",
        "1",
        "--swap",
        "64",
        "--description",
        "for the CLI test",
        "--property",
        "hw:cpu_policy=shared",
        name,
        "-f",
        "json",
    )
    assert (made["name"], made["ram"], made["vcpus"], made["disk"]) == (name, 256, 2, 3)
    assert made["OS-FLV-EXT-DATA:ephemeral"] == 1 and made["swap"] == 64
    assert made["description"] == "for the CLI test"
    assert made["os-flavor-access:is_public"] is True
    assert made["properties"] == {"hw:cpu_policy": "shared"}

    listed = osc(cloud, "flavor", "list", "--long", "-f", "json")
    [row] = [f for f in listed if f["Name"] == name]
    assert row["ID"] == made["id"] and row["RAM"] == 256 and row["Is Public"] is True
    assert row["Properties"] == {"hw:cpu_policy": "shared"}

    _admin(cloud, "flavor", "set", "--property", "hw:numa_nodes=1", "--description", "d2", name)
    _admin(cloud, "flavor", "unset", "--property", "hw:cpu_policy", name)
    shown = osc(cloud, "flavor", "show", name, "-f", "json")
    assert shown["id"] == made["id"] and shown["description"] == "d2"
    assert shown["properties"] == {"hw:numa_nodes": "1"}

    denied = osc(cloud, "flavor", "set", "--property", "a=b", name, check=False)
    assert denied.returncode == 1
    assert "a" not in osc(cloud, "flavor", "show", name, "-f", "json")["properties"]

    assert _admin(cloud, "flavor", "delete", name).returncode == 0
    gone = osc(cloud, "flavor", "show", name, check=False)
    assert gone.returncode == 1 and name in gone.stderr


def test_private_flavor_and_project_access(cloud: Path, name: str) -> None:
    made = _admin(
        cloud,
        "flavor",
        "create",
        "--ram",
        "128",
        "--vcpus",
        "1",
        "--disk",
        "1",
        "--private",
        "--project",
        "demo",
        name,
        "-f",
        "json",
    )
    assert made["os-flavor-access:is_public"] is False
    shown = _admin(cloud, "flavor", "show", name, "-f", "json")
    assert shown["access_project_ids"] == ["demo"]

    # demo may use it; alt does not know it exists.
    assert name in {f["Name"] for f in osc(cloud, "flavor", "list", "-f", "json")}
    assert osc(cloud, "flavor", "show", name, "-f", "json")["id"] == made["id"]
    assert name not in {f["Name"] for f in osc(cloud, *ALT, "flavor", "list", "-f", "json")}
    assert osc(cloud, *ALT, "flavor", "show", name, check=False).returncode == 1

    _admin(cloud, "flavor", "set", "--project", "alt", name)
    assert osc(cloud, *ALT, "flavor", "show", name, "-f", "json")["id"] == made["id"]
    again = _admin(cloud, "flavor", "set", "--project", "alt", name, check=False)
    assert again.returncode == 1 and "409" in again.stderr
    shown = _admin(cloud, "flavor", "show", name, "-f", "json")
    assert sorted(shown["access_project_ids"]) == ["alt", "demo"]

    _admin(cloud, "flavor", "unset", "--project", "demo", name)
    assert osc(cloud, "flavor", "show", name, check=False).returncode == 1
    private = _admin(cloud, "flavor", "list", "--private", "-f", "json")
    assert name in {f["Name"] for f in private}
    assert name not in {f["Name"] for f in _admin(cloud, "flavor", "list", "-f", "json")}


def test_bad_requests_fail_cleanly(cloud: Path, name: str) -> None:
    zero_ram = _admin(
        cloud, "flavor", "create", "--ram", "0", "--vcpus", "1", "--disk", "1", name, check=False
    )
    assert zero_ram.returncode == 1 and "400" in zero_ram.stderr
    assert _admin(cloud, "flavor", "show", name, check=False).returncode == 1
    _admin(cloud, "flavor", "create", "--ram", "64", "--vcpus", "1", name)
    dup = _admin(cloud, "flavor", "create", "--ram", "64", "--vcpus", "1", name, check=False)
    assert dup.returncode == 1 and "409" in dup.stderr
    user = osc(cloud, "flavor", "create", "--ram", "64", "--vcpus", "1", f"{name}-u", check=False)
    assert user.returncode == 1 and "403" in user.stderr
