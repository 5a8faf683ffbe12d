"""``/os-hypervisors`` across cells: list, detail, show, servers, patterns, paging."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.admin.conftest import AdminCloud

RESOURCE_KEYS = {
    "vcpus",
    "memory_mb",
    "local_gb",
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "free_ram_mb",
    "free_disk_gb",
    "current_workload",
    "running_vms",
    "disk_available_least",
    "cpu_info",
}


@pytest.fixture
def nodes(admin_cloud: AdminCloud) -> dict[str, Any]:
    """compute1 (cell1, up, 2 servers), compute2 (cell2, down, disabled), an orphan node."""
    c = admin_cloud
    svc1, node1 = c.compute("cell1", "compute1")
    svc2, node2 = c.compute("cell2", "compute2", up=False, disabled=True, reason="rma")
    servers = [c.instance("cell1", "compute1", "compute1.example") for _ in range(2)]
    c.instance("cell1", "compute1", "compute1.example", deleted=True)
    # A node whose compute service is gone: never listed.
    c.node("cell2", "retired", "retired.example")
    return {"svc1": svc1, "node1": node1, "svc2": svc2, "node2": node2, "servers": servers}


def test_list_at_2_88(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    got = admin_cloud.get("/os-hypervisors", "2.88")
    assert got.status_code == 200, got.text
    assert got.json == {
        "hypervisors": [
            {
                "id": nodes["node1"]["uuid"],
                "hypervisor_hostname": "compute1.example",
                "state": "up",
                "status": "enabled",
            },
            {
                "id": nodes["node2"]["uuid"],
                "hypervisor_hostname": "compute2.example",
                "state": "down",
                "status": "disabled",
            },
        ]
    }


def test_detail_at_2_88_drops_resources_and_adds_uptime(
    admin_cloud: AdminCloud, nodes: dict[str, Any]
) -> None:
    got = admin_cloud.get("/os-hypervisors/detail", "2.88")
    assert got.status_code == 200, got.text
    first, second = got.json["hypervisors"]
    assert not RESOURCE_KEYS & first.keys()
    assert first["uptime"] is None
    assert first["host_ip"] == "192.0.2.10"
    assert (first["hypervisor_type"], first["hypervisor_version"]) == ("fake", 1000)
    assert first["service"] == {
        "host": "compute1",
        "id": nodes["svc1"]["uuid"],
        "disabled_reason": None,
    }
    assert second["service"]["disabled_reason"] == "rma"


def test_detail_before_2_88_has_resources(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    first = admin_cloud.get("/os-hypervisors/detail", "2.87").json["hypervisors"][0]
    assert first.keys() >= RESOURCE_KEYS and "uptime" not in first
    assert (first["vcpus"], first["vcpus_used"], first["memory_mb"]) == (8, 2, 16384)
    assert (first["free_ram_mb"], first["free_disk_gb"], first["running_vms"]) == (12288, 180, 2)
    assert first["current_workload"] == 1
    assert first["cpu_info"] == {"arch": "x86_64", "model": "fake"}
    old = admin_cloud.get("/os-hypervisors/detail", "2.27").json["hypervisors"][0]
    assert isinstance(old["cpu_info"], str)
    assert old["id"] == nodes["node1"]["id"] and old["service"]["id"] == nodes["svc1"]["id"]


def test_show_by_uuid_and_by_id(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    uuid = nodes["node2"]["uuid"]
    got = admin_cloud.get(f"/os-hypervisors/{uuid}", "2.88")
    assert got.status_code == 200, got.text
    assert got.json["hypervisor"]["id"] == uuid
    assert got.json["hypervisor"]["state"] == "down"
    old = admin_cloud.get(f"/os-hypervisors/{nodes['node1']['id']}", "2.52")
    assert old.status_code == 200, old.text
    assert old.json["hypervisor"]["hypervisor_hostname"] in {"compute1.example", "compute2.example"}


def test_show_errors(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    bad = admin_cloud.get("/os-hypervisors/compute1", "2.88")
    assert bad.status_code == 400 and bad.json["badRequest"]["code"] == 400
    missing = admin_cloud.get("/os-hypervisors/0c4b9d3c-6a5e-4f0f-9a57-63b1c81c3e11", "2.88")
    assert missing.status_code == 404 and missing.json["itemNotFound"]["code"] == 404
    assert admin_cloud.get("/os-hypervisors/compute1", "2.52").status_code == 404
    assert admin_cloud.get("/os-hypervisors/999999", "2.52").status_code == 404


def test_with_servers(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    got = admin_cloud.get("/os-hypervisors", "2.88", params={"with_servers": "true"})
    assert got.status_code == 200, got.text
    first, second = got.json["hypervisors"]
    assert sorted(s["uuid"] for s in first["servers"]) == sorted(nodes["servers"])
    assert all(s["name"].startswith("instance-") for s in first["servers"])
    assert second["servers"] == []
    # Before 2.75 a hypervisor without servers has no ``servers`` key.
    old = admin_cloud.get("/os-hypervisors/detail", "2.74", params={"with_servers": "1"})
    assert "servers" in old.json["hypervisors"][0]
    assert "servers" not in old.json["hypervisors"][1]
    shown = admin_cloud.get(
        f"/os-hypervisors/{nodes['node1']['uuid']}", "2.88", params={"with_servers": "yes"}
    )
    assert len(shown.json["hypervisor"]["servers"]) == 2
    plain = admin_cloud.get(f"/os-hypervisors/{nodes['node1']['uuid']}", "2.88")
    assert "servers" not in plain.json["hypervisor"]
    bad = admin_cloud.get("/os-hypervisors", "2.88", params={"with_servers": "maybe"})
    assert bad.status_code == 400


def test_hostname_pattern(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    got = admin_cloud.get("/os-hypervisors", "2.88", params={"hypervisor_hostname_pattern": "te2"})
    assert [h["hypervisor_hostname"] for h in got.json["hypervisors"]] == ["compute2.example"]
    # Wildcards in the pattern are literal.
    none = admin_cloud.get("/os-hypervisors", "2.88", params={"hypervisor_hostname_pattern": "%"})
    assert none.status_code == 404 and none.json["itemNotFound"]["code"] == 404
    paged = admin_cloud.get(
        "/os-hypervisors", "2.88", params={"hypervisor_hostname_pattern": "c", "limit": "1"}
    )
    assert paged.status_code == 400


def test_paging_with_limit_and_marker(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    first = admin_cloud.get("/os-hypervisors/detail", "2.88", params={"limit": "1"})
    assert [h["id"] for h in first.json["hypervisors"]] == [nodes["node1"]["uuid"]]
    (link,) = first.json["hypervisors_links"]
    assert link["rel"] == "next"
    assert f"marker={nodes['node1']['uuid']}" in link["href"] and "limit=1" in link["href"]
    second = admin_cloud.get(
        "/os-hypervisors/detail", "2.88", params={"limit": "1", "marker": nodes["node1"]["uuid"]}
    )
    assert [h["id"] for h in second.json["hypervisors"]] == [nodes["node2"]["uuid"]]
    assert "hypervisors_links" not in second.json
    unknown = admin_cloud.get(
        "/os-hypervisors", "2.88", params={"marker": "6f0e9a52-8f7c-4f54-a7f0-1a2b3c4d5e6f"}
    )
    assert unknown.status_code == 400
    assert admin_cloud.get("/os-hypervisors", "2.88", params={"limit": "-1"}).status_code == 400


def test_a_down_cell_is_skipped(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    admin_cloud.add_down_cell("compute3")
    got = admin_cloud.get("/os-hypervisors/detail", "2.88")
    assert got.status_code == 200, got.text
    assert [h["hypervisor_hostname"] for h in got.json["hypervisors"]] == [
        "compute1.example",
        "compute2.example",
    ]


def test_statistics_until_2_87(admin_cloud: AdminCloud, nodes: dict[str, Any]) -> None:
    got = admin_cloud.get("/os-hypervisors/statistics", "2.87")
    assert got.status_code == 200, got.text
    stats = got.json["hypervisor_statistics"]
    assert (stats["count"], stats["vcpus"], stats["memory_mb_used"]) == (2, 16, 8192)
    assert admin_cloud.get("/os-hypervisors/statistics", "2.88").status_code == 404


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/os-hypervisors", "list"),
        ("/os-hypervisors/detail", "list-detail"),
        ("/os-hypervisors/0c4b9d3c-6a5e-4f0f-9a57-63b1c81c3e11", "show"),
        ("/os-hypervisors/statistics", "statistics"),
    ],
)
def test_non_admins_are_forbidden(admin_cloud: AdminCloud, path: str, rule: str) -> None:
    got = admin_cloud.get(path, "2.87", admin=False)
    assert got.status_code == 403
    message = f"Policy doesn't allow os_compute_api:os-hypervisors:{rule} to be performed."
    assert got.json == {"forbidden": {"code": 403, "message": message}}


@pytest.mark.parametrize(
    ("name", "value", "status"),
    [("limit", "²", 400), ("marker", "²", 400), ("limit", "9" * 5000, 200)],
)
def test_odd_integers_in_the_query_are_never_a_500(
    admin_cloud: AdminCloud, name: str, value: str, status: int
) -> None:
    # A 5000-digit limit is the largest page (int() itself refuses that many digits).
    result = admin_cloud.get("/os-hypervisors", "2.52", params={name: value})
    assert result.status_code == status, result.text


@pytest.mark.parametrize("service_id", ["²", "99999999999999999999"])
def test_odd_service_ids_are_4xx(admin_cloud: AdminCloud, service_id: str) -> None:
    result = admin_cloud.call("DELETE", f"/os-services/{service_id}", "2.52")
    assert result.status_code in (400, 404), result.text
