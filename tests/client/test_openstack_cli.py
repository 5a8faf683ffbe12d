"""The real ``openstack`` CLI (python-openstackclient) against a running embedded cloud."""

from __future__ import annotations

import json
from pathlib import Path

from tests.client.cli import osc


def test_flavors_and_images(cloud: Path) -> None:
    names = {f["Name"] for f in osc(cloud, "flavor", "list", "-f", "json")}
    assert {"m1.tiny", "m1.small"} <= names
    assert "cirros" in {i["Name"] for i in osc(cloud, "image", "list", "-f", "json")}


def test_image_create_and_delete(cloud: Path, tmp_path: Path) -> None:
    data = tmp_path / "disk.img"
    data.write_bytes(b"\x00tessera" * 512)
    image = osc(
        cloud,
        "image",
        "create",
        "--file",
        str(data),
        "--disk-format",
        "raw",
        "--container-format",
        "bare",
        "mine",
        "-f",
        "json",
    )
    assert image["status"] == "active" and image["size"] == 4096
    osc(cloud, "image", "delete", image["id"])
    assert "mine" not in {i["Name"] for i in osc(cloud, "image", "list", "-f", "json")}


def test_server_life_cycle(cloud: Path) -> None:
    server = osc(
        cloud,
        "server",
        "create",
        "--flavor",
        "m1.tiny",
        "--image",
        "cirros",
        "--nic",
        "auto",
        "--wait",
        "web1",
        "-f",
        "json",
    )
    assert server["status"] == "ACTIVE"
    assert "default" in json.dumps(server["addresses"])
    listed = osc(cloud, "server", "list", "-f", "json")
    assert [s["Status"] for s in listed if s["Name"] == "web1"] == ["ACTIVE"]
    osc(cloud, "server", "stop", "web1")
    osc(cloud, "server", "start", "web1")
    osc(cloud, "server", "reboot", "web1")
    actions = {e["Action"] for e in osc(cloud, "server", "event", "list", "web1", "-f", "json")}
    assert {"create", "stop", "start", "reboot"} <= actions
    osc(cloud, "server", "delete", "--wait", "web1")
    assert "web1" not in {s["Name"] for s in osc(cloud, "server", "list", "-f", "json")}


def test_server_without_network_and_unknown_flavor(cloud: Path) -> None:
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
        "plain",
        "-f",
        "json",
    )
    assert server["status"] == "ACTIVE" and server["addresses"] in ({}, "")
    failed = osc(
        cloud,
        "server",
        "create",
        "--flavor",
        "no-such-flavor",
        "--image",
        "cirros",
        "--no-network",
        "x",
        check=False,
    )
    assert failed.returncode != 0
    osc(cloud, "server", "delete", "--wait", "plain")


def test_keypairs_and_server_groups(cloud: Path) -> None:
    osc(cloud, "keypair", "create", "k1")
    assert "k1" in [k["Name"] for k in osc(cloud, "keypair", "list", "-f", "json")]
    group = osc(cloud, "server", "group", "create", "--policy", "anti-affinity", "g1", "-f", "json")
    assert group["policy"] == "anti-affinity"
    hosts = set()
    for name in ("apart1", "apart2"):
        server = osc(
            cloud,
            "server",
            "create",
            *("--flavor", "m1.tiny", "--image", "cirros", "--no-network", "--key-name", "k1"),
            *("--hint", f"group={group['id']}", "--wait", name, "-f", "json"),
            cloud="tessera-admin",
        )
        assert server["status"] == "ACTIVE" and server["key_name"] == "k1"
        hosts.add(server["OS-EXT-SRV-ATTR:host"])
    assert len(hosts) == 2  # anti-affinity: one member per compute
    shown = osc(cloud, "server", "group", "show", group["id"], "-f", "json")
    assert len(shown["members"]) == 2
    osc(cloud, "server", "delete", "--wait", "apart1", "apart2", cloud="tessera-admin")
    osc(cloud, "server", "group", "delete", "g1")
    osc(cloud, "keypair", "delete", "k1")


def test_admin_views(cloud: Path) -> None:
    services = osc(cloud, "compute", "service", "list", "-f", "json", cloud="tessera-admin")
    computes = [s for s in services if s["Binary"] == "tessera-compute"]
    assert len(computes) == 2 and {s["State"] for s in computes} == {"up"}
    host = computes[0]["Host"]
    osc(
        cloud,
        "compute",
        "service",
        "set",
        "--disable",
        host,
        "tessera-compute",
        cloud="tessera-admin",
    )
    services = osc(cloud, "compute", "service", "list", "-f", "json", cloud="tessera-admin")
    assert {s["Status"] for s in services if s["Host"] == host} == {"disabled"}
    hypervisors = osc(cloud, "hypervisor", "list", "-f", "json", cloud="tessera-admin")
    assert len(hypervisors) == 2
    aggregate = osc(
        cloud, "aggregate", "create", "--zone", "az1", "agg1", "-f", "json", cloud="tessera-admin"
    )
    assert aggregate["availability_zone"] == "az1"
    osc(cloud, "aggregate", "add", "host", "agg1", host, cloud="tessera-admin")
    osc(cloud, "aggregate", "remove", "host", "agg1", host, cloud="tessera-admin")
    osc(cloud, "aggregate", "delete", "agg1", cloud="tessera-admin")
    osc(
        cloud,
        "compute",
        "service",
        "set",
        "--enable",
        host,
        "tessera-compute",
        cloud="tessera-admin",
    )


def test_a_member_cannot_use_admin_calls(cloud: Path) -> None:
    denied = osc(cloud, "compute", "service", "list", check=False)
    assert denied.returncode != 0 and "403" in denied.stderr
