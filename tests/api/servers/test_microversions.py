"""``GET /servers/{id}`` has exactly the keys the reference lists, at every microversion.

Two servers: an ACTIVE one in cell1 (host up, a port, a volume, a group, hints)
and an ERROR one buried in cell0 with a fault. Each is shown as an admin and
as its owner; key sets are compared for equality, never as subsets.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.servers.conftest import ServersCloud

# --------------------------------------------------------------------------- the reference

# Keys of the reference's own sample responses (doc/api_samples/servers/*/server-get-resp.json):
# admins' up to 2.73, a project member's from 2.90; an ACTIVE server with a port.
_COMMON_21 = {
    "OS-DCF:diskConfig",
    "OS-EXT-AZ:availability_zone",
    "OS-EXT-STS:power_state",
    "OS-EXT-STS:task_state",
    "OS-EXT-STS:vm_state",
    "OS-SRV-USG:launched_at",
    "OS-SRV-USG:terminated_at",
    "accessIPv4",
    "accessIPv6",
    "addresses",
    "config_drive",
    "created",
    "flavor",
    "hostId",
    "id",
    "image",
    "key_name",
    "links",
    "metadata",
    "name",
    "os-extended-volumes:volumes_attached",
    "progress",
    "security_groups",
    "status",
    "tenant_id",
    "updated",
    "user_id",
}
_ADMIN_21 = {
    "OS-EXT-SRV-ATTR:host",
    "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "OS-EXT-SRV-ATTR:instance_name",
}
_ADMIN_23 = {
    "OS-EXT-SRV-ATTR:hostname",
    "OS-EXT-SRV-ATTR:kernel_id",
    "OS-EXT-SRV-ATTR:launch_index",
    "OS-EXT-SRV-ATTR:ramdisk_id",
    "OS-EXT-SRV-ATTR:reservation_id",
    "OS-EXT-SRV-ATTR:root_device_name",
    "OS-EXT-SRV-ATTR:user_data",
}
SAMPLES = {
    ("2.1", "admin"): _COMMON_21 | _ADMIN_21,
    ("2.3", "admin"): _COMMON_21 | _ADMIN_21 | _ADMIN_23,
    ("2.16", "admin"): _COMMON_21 | _ADMIN_21 | _ADMIN_23 | {"locked", "host_status"},
    ("2.71", "admin"): _COMMON_21
    | _ADMIN_21
    | _ADMIN_23
    | {
        "locked",
        "host_status",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
    },
    ("2.73", "admin"): _COMMON_21
    | _ADMIN_21
    | _ADMIN_23
    | {
        "locked",
        "host_status",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
        "locked_reason",
    },
    ("2.90", "demo"): _COMMON_21
    | {
        "OS-EXT-SRV-ATTR:hostname",
        "locked",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
        "locked_reason",
    },
    ("2.96", "demo"): _COMMON_21
    | {
        "OS-EXT-SRV-ATTR:hostname",
        "locked",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
        "locked_reason",
        "pinned_availability_zone",
    },
    ("2.100", "demo"): _COMMON_21
    | {
        "OS-EXT-SRV-ATTR:hostname",
        "locked",
        "description",
        "tags",
        "trusted_image_certificates",
        "server_groups",
        "locked_reason",
        "pinned_availability_zone",
        "scheduler_hints",
    },
}

# The reference's view code, as a table: (first version, keys, who sees them).
_BY_VERSION: list[tuple[str, set[str], str]] = [
    ("2.3", _ADMIN_23, "admin"),
    ("2.9", {"locked"}, "all"),
    ("2.16", {"host_status"}, "admin"),
    ("2.19", {"description"}, "all"),
    ("2.26", {"tags"}, "all"),
    ("2.63", {"trusted_image_certificates"}, "all"),
    ("2.71", {"server_groups"}, "all"),
    ("2.73", {"locked_reason"}, "all"),
    ("2.90", {"OS-EXT-SRV-ATTR:hostname"}, "all"),
    ("2.96", {"pinned_availability_zone"}, "all"),
    ("2.100", {"scheduler_hints"}, "all"),
]
VERSIONS = ("2.1", "2.3", "2.16", "2.47", "2.63", "2.69", "2.71", "2.73", "2.90", "2.96", "2.98")
VERSIONS += ("2.100",)


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def expected(version: str, who: str, status: str) -> set[str]:
    """The keys of a server body at ``version`` for ``who`` in ``status``."""
    keys = set(_COMMON_21)
    if who == "admin":
        keys |= _ADMIN_21
    for since, added, seen_by in _BY_VERSION:
        if _minor(version) >= _minor(since) and (seen_by == "all" or who == "admin"):
            keys |= added
    if status == "ERROR":
        keys = (keys - {"progress"}) | {"fault"}
    return keys


def flavor_keys(version: str, who: str) -> set[str]:
    if _minor(version) < 47:
        return {"id", "links"}
    # Extra specs are policy: readers of the project and admins by default.
    return {"vcpus", "ram", "disk", "ephemeral", "swap", "original_name", "extra_specs"}


def image_keys(version: str) -> set[str]:
    return {"id", "links", "properties"} if _minor(version) >= 98 else {"id", "links"}


# --------------------------------------------------------------------------- the servers


def _active(cloud: ServersCloud) -> str:
    cloud.compute("cell1")
    uuid = cloud.server(
        "cell1",
        hints={"same_host": ["0e44cc9c-e052-415d-afbf-469b0d384170"]},
        columns={"kernel_id": "aki-1", "root_device_name": "/dev/vda", "auto_disk_config": True},
    )
    cloud.volume("cell1", uuid, "vol-1", delete_on_termination=True)
    cloud.group(uuid)
    return uuid


def _error(cloud: ServersCloud) -> str:
    uuid = cloud.server("cell0", vm_state="error", host=None, zone=None)
    cloud.fault("cell0", uuid, 500, "No valid host was found.", "Traceback (most recent call)")
    return uuid


@pytest.fixture
def shown(servers_cloud: ServersCloud) -> dict[str, str]:
    return {"ACTIVE": _active(servers_cloud), "ERROR": _error(servers_cloud)}


# --------------------------------------------------------------------------- keys


def test_reference_samples_have_exactly_our_keys(
    servers_cloud: ServersCloud, shown: dict[str, str]
) -> None:
    for (version, who), keys in SAMPLES.items():
        body = servers_cloud.show(shown["ACTIVE"], version, who)
        assert set(body) == keys, (version, who, set(body) ^ keys)
        assert expected(version, who, "ACTIVE") == keys, (version, who)


@pytest.mark.parametrize("version", VERSIONS)
def test_keys_at_each_version(
    servers_cloud: ServersCloud, shown: dict[str, str], version: str
) -> None:
    for status, uuid in shown.items():
        for who in ("admin", "demo"):
            body = servers_cloud.show(uuid, version, who)
            want = expected(version, who, status)
            assert body["status"] == status
            assert set(body) == want, (status, who, set(body) ^ want)
            assert set(body["flavor"]) == flavor_keys(version, who), (status, who)
            assert set(body["image"]) == image_keys(version), (status, who)
            for volume in body["os-extended-volumes:volumes_attached"]:
                dot = {"delete_on_termination"} if _minor(version) >= 3 else set()
                assert set(volume) == {"id"} | dot


def test_keys_change_exactly_at_their_microversion(
    servers_cloud: ServersCloud, shown: dict[str, str]
) -> None:
    # Every version where a key appears, and the one before it.
    thresholds = sorted({_minor(since) for since, _, _ in _BY_VERSION} | {47, 69, 75, 98})
    for minor in sorted({m for t in thresholds for m in (t - 1, t)}):
        version = f"2.{minor}"
        for who in ("admin", "demo"):
            body = servers_cloud.show(shown["ACTIVE"], version, who)
            want = expected(version, who, "ACTIVE")
            assert set(body) == want, (version, who, set(body) ^ want)
            assert set(body["flavor"]) == flavor_keys(version, who), (version, who)
            assert set(body["image"]) == image_keys(version), (version, who)


def test_fault_keys_and_details(servers_cloud: ServersCloud, shown: dict[str, str]) -> None:
    admin = servers_cloud.show(shown["ERROR"], "2.1", "admin")["fault"]
    owner = servers_cloud.show(shown["ERROR"], "2.1", "demo")["fault"]
    assert set(admin) == {"code", "created", "message", "details"}
    assert admin["details"] == "Traceback (most recent call)"
    # A 500's traceback is for administrators only.
    assert set(owner) == {"code", "created", "message"}
    assert owner["code"] == 500 and owner["message"] == "No valid host was found."


def test_an_owners_fault_with_another_code_keeps_its_details(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1", vm_state="error")
    servers_cloud.fault("cell1", uuid, 409, "conflict", "what conflicted")
    assert servers_cloud.show(uuid, "2.1", "demo")["fault"]["details"] == "what conflicted"


# --------------------------------------------------------------------------- values


def _values(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: body[k] for k in keys}


def test_values_of_the_active_server(servers_cloud: ServersCloud, shown: dict[str, str]) -> None:
    uuid = shown["ACTIVE"]
    body = servers_cloud.show(uuid, "2.100", "admin")
    assert body["id"] == uuid and body["status"] == "ACTIVE" and body["progress"] == 0
    assert body["security_groups"] == [{"name": "default"}]
    [address] = body["addresses"]["default"]
    assert set(address) == {"addr", "version", "OS-EXT-IPS:type", "OS-EXT-IPS-MAC:mac_addr"}
    assert body["os-extended-volumes:volumes_attached"] == [
        {"id": "vol-1", "delete_on_termination": True}
    ]
    assert body["host_status"] == "UP"
    assert body["pinned_availability_zone"] == "az1"
    assert body["scheduler_hints"] == {"same_host": ["0e44cc9c-e052-415d-afbf-469b0d384170"]}
    assert len(body["server_groups"]) == 1
    assert body["tags"] == [] and body["trusted_image_certificates"] is None
    assert body["locked"] is False and body["locked_reason"] is None
    assert body["flavor"]["extra_specs"] == {"hw:cpu_policy": "shared"}
    assert _values(body, "OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:hypervisor_hostname") == {
        "OS-EXT-SRV-ATTR:host": "compute1",
        "OS-EXT-SRV-ATTR:hypervisor_hostname": "compute1.example",
    }
    assert body["OS-EXT-SRV-ATTR:instance_name"].startswith("instance-")
    assert body["OS-EXT-SRV-ATTR:hostname"] == "web"
    assert body["OS-EXT-SRV-ATTR:reservation_id"] == "r-abcd1234"
    assert body["OS-EXT-SRV-ATTR:launch_index"] == 0
    assert body["OS-EXT-SRV-ATTR:kernel_id"] == "aki-1"
    assert body["OS-EXT-SRV-ATTR:ramdisk_id"] is None
    assert body["OS-EXT-SRV-ATTR:root_device_name"] == "/dev/vda"
    assert body["OS-DCF:diskConfig"] == "AUTO"
    assert body["created"] == "2024-05-01T12:00:00Z"
    assert body["OS-SRV-USG:launched_at"] == "2024-05-01T12:01:00.000000"
    assert body["OS-SRV-USG:terminated_at"] is None
    assert body["OS-EXT-AZ:availability_zone"] == "az1"


def test_image_properties_are_those_the_compute_service_reads(
    servers_cloud: ServersCloud, shown: dict[str, str]
) -> None:
    image = servers_cloud.show(shown["ACTIVE"], "2.98")["image"]
    assert image["id"] == servers_cloud.image_id
    assert image["properties"] == {
        "hw_disk_bus": "virtio",
        "os_distro": "cirros",
        "architecture": "x86_64",
    }
    assert set(servers_cloud.show(shown["ACTIVE"], "2.97")["image"]) == {"id", "links"}


def test_flavor_before_247_is_a_link(servers_cloud: ServersCloud, shown: dict[str, str]) -> None:
    flavor = servers_cloud.show(shown["ACTIVE"], "2.46")["flavor"]
    assert flavor["id"] == "1"
    assert flavor["links"] == [{"rel": "bookmark", "href": "http://falconframework.org/flavors/1"}]


def test_a_server_without_ports_has_no_security_groups(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.server("cell1", ports=False)
    body = servers_cloud.show(uuid, "2.1")
    # The reference lists a server's groups from its ports: no port, no key.
    assert "security_groups" not in body and body["addresses"] == {}


@pytest.mark.parametrize(
    ("service", "status"),
    [
        ({"up": True}, "UP"),
        ({"up": False}, "UNKNOWN"),
        ({"up": True, "disabled": True}, "MAINTENANCE"),
        ({"up": True, "forced_down": True}, "DOWN"),
        (None, ""),
    ],
)
def test_host_status(
    servers_cloud: ServersCloud, service: dict[str, bool] | None, status: str
) -> None:
    if service is not None:
        servers_cloud.compute("cell1", **service)
    uuid = servers_cloud.server("cell1")
    assert servers_cloud.show(uuid, "2.16", "admin")["host_status"] == status
    assert "host_status" not in servers_cloud.show(uuid, "2.15", "admin")
    assert "host_status" not in servers_cloud.show(uuid, "2.16", "demo")


def test_a_build_request_is_shown_building(servers_cloud: ServersCloud) -> None:
    uuid = servers_cloud.building()
    body = servers_cloud.show(uuid, "2.100", "admin")
    assert body["status"] == "BUILD"
    # Addresses are hidden while building; the port already puts it in a group.
    assert body["addresses"] == {} and body["security_groups"] == [{"name": "default"}]
    assert body["host_status"] == "" and body["hostId"] == ""
    assert body["OS-EXT-SRV-ATTR:instance_name"] == ""
    assert set(body) == expected("2.100", "admin", "BUILD")
