"""``/flavors/{id}/os-extra_specs``: list, add or change, show, set one, delete; policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.flavors.conftest import FlavorCloud, build_client
from tests.api.stub_api import policy_with

SPECS = "/flavors/1/os-extra_specs"


@pytest.fixture
def size(flavor_cloud: FlavorCloud) -> FlavorCloud:
    flavor_cloud.flavor("1", specs={"hw:cpu_policy": "shared"})
    return flavor_cloud


def test_life_cycle(size: FlavorCloud) -> None:
    assert size.call("GET", SPECS, who="demo").json == {"extra_specs": {"hw:cpu_policy": "shared"}}
    body = {
        "extra_specs": {"hw:numa_nodes": 2, "key with spaces.v1": "x", "hw:cpu_policy": "mixed"}
    }
    added = size.call("POST", SPECS, body=body)
    assert added.status_code == 200 and added.json == body  # echoed as sent
    listed = size.call("GET", SPECS, who="demo").json["extra_specs"]
    assert listed == {"hw:cpu_policy": "mixed", "hw:numa_nodes": "2", "key with spaces.v1": "x"}
    one = size.call("GET", f"{SPECS}/hw:numa_nodes", who="demo")
    assert one.status_code == 200 and one.json == {"hw:numa_nodes": "2"}
    changed = size.call("PUT", f"{SPECS}/hw:numa_nodes", body={"hw:numa_nodes": 1.5})
    assert changed.status_code == 200 and changed.json == {"hw:numa_nodes": 1.5}
    # Setting the value a spec already has is no conflict.
    same = size.call("PUT", f"{SPECS}/hw:numa_nodes", body={"hw:numa_nodes": "1.5"})
    assert same.status_code == 200
    assert (
        size.call("POST", SPECS, body={"extra_specs": {"hw:numa_nodes": "1.5"}}).status_code == 200
    )
    assert size.call("GET", f"{SPECS}/hw:numa_nodes").json == {"hw:numa_nodes": "1.5"}
    deleted = size.call("DELETE", f"{SPECS}/hw:numa_nodes")
    assert deleted.status_code == 200 and deleted.text == ""
    gone = size.call("GET", f"{SPECS}/hw:numa_nodes")
    assert gone.status_code == 404
    assert gone.json["itemNotFound"]["message"] == (
        "Flavor 1 has no extra specs with key hw:numa_nodes."
    )
    assert size.call("DELETE", f"{SPECS}/hw:numa_nodes").status_code == 404
    # From 2.61 flavor bodies carry them too.
    shown = size.call("GET", "/flavors/1", "2.61", who="demo").json["flavor"]["extra_specs"]
    assert shown == {"hw:cpu_policy": "mixed", "key with spaces.v1": "x"}


@pytest.mark.parametrize(
    "body",
    [
        {"extra_specs": {"bad/key": "x"}},
        {"extra_specs": {"": "x"}},
        {"extra_specs": {"newline\n": "x"}},
        {"extra_specs": {"k" * 256: "x"}},
        {"extra_specs": {"k": "v" * 256}},
        {"extra_specs": {"k": 10**256}},
        {"extra_specs": {"k": True}},
        {"extra_specs": {"k": None}},
        {"extra_specs": ["k"]},
        {"specs": {"k": "v"}},
    ],
)
def test_bad_extra_specs_are_400(size: FlavorCloud, body: object) -> None:
    refused = size.call("POST", SPECS, body=body)
    assert refused.status_code == 400, refused.text
    assert size.call("GET", SPECS).json == {"extra_specs": {"hw:cpu_policy": "shared"}}


def test_put_needs_exactly_the_key_of_the_path(size: FlavorCloud) -> None:
    mismatch = size.call("PUT", f"{SPECS}/a", body={"b": "1"})
    assert mismatch.status_code == 400
    assert mismatch.json["badRequest"]["message"] == "Request body and URI mismatch"
    for body in ({"a": "1", "b": "2"}, {}):
        assert size.call("PUT", f"{SPECS}/a", body=body).status_code == 400
    assert size.call("GET", f"{SPECS}/a").status_code == 404


def test_unknown_or_hidden_flavors_are_404(size: FlavorCloud) -> None:
    size.flavor("p", public=False, specs={"a": "1"})
    for method, path, body in (
        ("GET", "/flavors/9/os-extra_specs", None),
        ("POST", "/flavors/9/os-extra_specs", {"extra_specs": {"a": "1"}}),
        ("PUT", "/flavors/9/os-extra_specs/a", {"a": "1"}),
        ("DELETE", "/flavors/9/os-extra_specs/a", None),
    ):
        missing = size.call(method, path, body=body)
        assert missing.status_code == 404, (method, missing.text)
        assert missing.json["itemNotFound"]["message"] == "Flavor 9 could not be found."
    assert size.call("GET", "/flavors/p/os-extra_specs", who="demo").status_code == 404
    assert size.call("GET", "/flavors/p/os-extra_specs/a", who="demo").status_code == 404
    assert size.call("GET", "/flavors/p/os-extra_specs/a").json == {"a": "1"}


def test_users_may_read_but_not_change(size: FlavorCloud) -> None:
    for method, path, body, rule in (
        ("POST", SPECS, {"extra_specs": {"a": "1"}}, "create"),
        ("PUT", f"{SPECS}/a", {"a": "1"}, "update"),
        ("DELETE", f"{SPECS}/hw:cpu_policy", None, "delete"),
    ):
        denied = size.call(method, path, who="demo", body=body)
        assert denied.status_code == 403
        assert f"os-flavor-extra-specs:{rule}" in denied.json["forbidden"]["message"]
    assert size.call("GET", SPECS).json == {"extra_specs": {"hw:cpu_policy": "shared"}}


def test_policy_decides_who_reads_them(size: FlavorCloud, tmp_path: Path) -> None:
    admin_only = "os_compute_api:os-flavor-extra-specs:"
    policy = policy_with(tmp_path, {f"{admin_only}index": "role:admin", f"{admin_only}show": "!"})
    client, databases = build_client(size.dbs, policy)
    try:
        strict = FlavorCloud(size.dbs, client)
        assert strict.call("GET", SPECS, who="demo").status_code == 403
        assert strict.call("GET", f"{SPECS}/hw:cpu_policy").status_code == 403
        for path in ("/flavors/1", "/flavors/detail"):
            user = strict.call("GET", path, "2.61", who="demo").json
            admin = strict.call("GET", path, "2.61").json
            assert "extra_specs" not in str(user) and "extra_specs" in str(admin)
        made = strict.call(
            "POST",
            "/flavors",
            "2.61",
            body={"flavor": {"name": "n", "ram": 1, "vcpus": 1, "disk": 0}},
        )
        assert made.json["flavor"]["extra_specs"] == {}
    finally:
        databases.dispose()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hw:cpu_policy", "sometimes"),
        ("hw:numa_nodes", "0"),
        ("hw:numa_nodes", "two"),
        ("hw:redirected_usb_ports", "16"),
        ("hw:mem_page_size", "huge"),
        ("hw:cpu_realtime", "maybe"),
        ("hw:no_such_thing", "1"),
        ("trait:HW_CPU_X86_AVX2", "wanted"),
        ("trait:NOT_A_TRAIT", "required"),
        ("resources1:VCPU", "x"),
        ("resources:NOT_A_CLASS", "1"),
        ("capabilities:bogus", "1"),
        ("group_policy", "spread"),
    ],
)
def test_known_specs_validated_from_2_86(size: FlavorCloud, key: str, value: str) -> None:
    body = {"extra_specs": {key: value}}
    refused = size.call("POST", SPECS, "2.86", body=body)
    assert refused.status_code == 400, refused.text
    assert refused.json["badRequest"]["message"].startswith("Validation failed; ")
    assert size.call("PUT", f"{SPECS}/{key}", "2.86", body={key: value}).status_code == 400
    assert size.call("POST", SPECS, "2.85", body=body).status_code == 200


def test_valid_and_unknown_namespace_specs_pass_at_2_86(size: FlavorCloud) -> None:
    fine = {
        "hw:cpu_policy": "dedicated",
        "hw:numa_nodes": 2,
        "hw:numa_cpus.0": "0-3,^2",
        "hw:numa_mem.0": "1024",
        "hw:mem_page_size": "2MB",
        "hw:cpu_realtime": "Yes",
        "trait:HW_CPU_X86_AVX2": "required",
        "trait_g1:CUSTOM_GOLD": "forbidden",
        "resources:VCPU": "2",
        "resources_gpu:CUSTOM_GPU_A100": "1",
        "capabilities:stats:io": "1",
        "aggregate_instance_extra_specs:ssd": "true",
        "quota:disk_read_bytes_sec": "10240",
        "pci_passthrough:alias": "a1:2, b2:1",
        "mycompany:anything": "goes",
        "plain": "value",
    }
    added = size.call("POST", SPECS, "2.86", body={"extra_specs": fine})
    assert added.status_code == 200, added.text
    stored = size.call("GET", SPECS).json["extra_specs"]
    assert stored == {key: str(value) for key, value in fine.items()}
