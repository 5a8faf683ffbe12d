"""``/limits`` and ``/os-quota-sets``: defaults, overrides, usage across cells, down cells."""

from __future__ import annotations

from tests.api.user.conftest import UserCloud

DEFAULTS = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
    "server_groups": 10,
    "server_group_members": 10,
    "metadata_items": 128,
}


def _servers(c: UserCloud) -> None:
    """demo: 2 servers in cell1, 1 in cell2, plus rows that must not count; alt: 1."""
    c.server("cell1", vcpus=2, ram=1024)
    c.server("cell1", vcpus=1, ram=512)
    c.server("cell2", vcpus=4, ram=2048)
    c.server("cell1", vcpus=8, ram=8192, deleted=True, queued_for_delete=True)
    c.server("cell2", vcpus=8, ram=8192, hidden=True, mapped=False)
    c.server("cell2", "alt", vcpus=16, ram=16384)


def test_defaults(user_cloud: UserCloud) -> None:
    got = user_cloud.call("GET", "/os-quota-sets/demo/defaults", "2.57")
    assert got.status_code == 200
    assert got.json["quota_set"] == {"id": "demo", **DEFAULTS}
    old = user_cloud.call("GET", "/os-quota-sets/demo/defaults").json["quota_set"]
    assert old["injected_files"] == 5 and old["floating_ips"] == 10
    mid = user_cloud.call("GET", "/os-quota-sets/demo/defaults", "2.36").json["quota_set"]
    assert "injected_files" in mid and "floating_ips" not in mid


def test_show_update_delete(user_cloud: UserCloud) -> None:
    shown = user_cloud.call("GET", "/os-quota-sets/demo", "2.57").json["quota_set"]
    assert shown == {"id": "demo", **DEFAULTS}
    body = {"quota_set": {"instances": 50, "cores": -1}}
    put = user_cloud.call("PUT", "/os-quota-sets/demo", "2.57", who="admin", body=body)
    assert put.status_code == 200, put.text
    assert put.json["quota_set"] == {**DEFAULTS, "instances": 50, "cores": -1}
    again = user_cloud.call("PUT", "/os-quota-sets/demo", "2.57", who="admin", body=body)
    assert again.status_code == 200
    shown = user_cloud.call("GET", "/os-quota-sets/demo", "2.57").json["quota_set"]
    assert (shown["instances"], shown["cores"], shown["ram"]) == (50, -1, 51200)
    # Other projects keep the defaults.
    alt = user_cloud.call("GET", "/os-quota-sets/alt", "2.57", who="alt").json["quota_set"]
    assert alt["instances"] == 10
    assert user_cloud.call("DELETE", "/os-quota-sets/demo", who="admin").status_code == 202
    shown = user_cloud.call("GET", "/os-quota-sets/demo", "2.57").json["quota_set"]
    assert shown == {"id": "demo", **DEFAULTS}


def test_policy(user_cloud: UserCloud) -> None:
    body = {"quota_set": {"instances": 50}}
    put = user_cloud.call("PUT", "/os-quota-sets/demo", body=body)
    assert put.status_code == 403 and "forbidden" in put.json
    assert user_cloud.call("DELETE", "/os-quota-sets/demo").status_code == 403
    # A project reads its own quota only.
    for path in ("/os-quota-sets/alt", "/os-quota-sets/alt/detail"):
        assert user_cloud.call("GET", path).status_code == 403
    assert user_cloud.call("GET", "/os-quota-sets/alt", who="admin").status_code == 200
    assert user_cloud.call("GET", "/os-quota-sets/alt/defaults").status_code == 200


def test_update_validation(user_cloud: UserCloud) -> None:
    for bad in (
        {"instances": -2},
        {"instances": "ten"},
        {"bogus": 1},
        {"instances": 1.5},
    ):
        got = user_cloud.call("PUT", "/os-quota-sets/demo", who="admin", body={"quota_set": bad})
        assert got.status_code == 400, bad
        assert "badRequest" in got.json
    assert user_cloud.call("PUT", "/os-quota-sets/demo", who="admin", body={}).status_code == 400
    # Below current usage: refused unless forced.
    _servers(user_cloud)
    low = {"quota_set": {"instances": 2}}
    got = user_cloud.call("PUT", "/os-quota-sets/demo", who="admin", body=low)
    assert got.status_code == 400 and "already used" in got.json["badRequest"]["message"]
    forced = {"quota_set": {"instances": 2, "force": True}}
    got = user_cloud.call("PUT", "/os-quota-sets/demo", who="admin", body=forced)
    assert got.status_code == 200 and got.json["quota_set"]["instances"] == 2


def test_detail_counts_usage_across_cells(user_cloud: UserCloud) -> None:
    _servers(user_cloud)
    user_cloud.call("POST", "/os-keypairs", body={"keypair": {"name": "k"}})
    detail = user_cloud.call("GET", "/os-quota-sets/demo/detail", "2.57").json["quota_set"]
    assert detail["instances"] == {"limit": 10, "in_use": 3, "reserved": 0}
    assert detail["cores"] == {"limit": 20, "in_use": 7, "reserved": 0}
    assert detail["ram"] == {"limit": 51200, "in_use": 3584, "reserved": 0}
    assert detail["key_pairs"]["in_use"] == 1
    alt = user_cloud.call("GET", "/os-quota-sets/alt/detail", "2.57", who="alt").json
    assert alt["quota_set"]["cores"]["in_use"] == 16
    assert alt["quota_set"]["key_pairs"]["in_use"] == 0


def test_limits(user_cloud: UserCloud) -> None:
    _servers(user_cloud)
    got = user_cloud.call("GET", "/limits", "2.57")
    assert got.status_code == 200
    limits = got.json["limits"]
    assert limits["rate"] == []
    absolute = limits["absolute"]
    assert absolute == {
        "maxTotalInstances": 10,
        "maxTotalCores": 20,
        "maxTotalRAMSize": 51200,
        "maxTotalKeypairs": 100,
        "maxServerMeta": 128,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": 3,
        "totalCoresUsed": 7,
        "totalRAMUsed": 3584,
        "totalServerGroupsUsed": 0,
    }
    old = user_cloud.call("GET", "/limits").json["limits"]["absolute"]
    assert old["maxImageMeta"] == 128 and old["maxPersonality"] == 5
    assert "maxTotalFloatingIps" in old


def test_limits_of_another_project(user_cloud: UserCloud) -> None:
    _servers(user_cloud)
    denied = user_cloud.call("GET", "/limits", params={"tenant_id": "alt"})
    assert denied.status_code == 403
    alt = user_cloud.call("GET", "/limits", "2.57", who="admin", params={"tenant_id": "alt"})
    assert alt.status_code == 200
    assert alt.json["limits"]["absolute"]["totalCoresUsed"] == 16
    # Naming one's own project needs no admin rights.
    own = user_cloud.call("GET", "/limits", params={"tenant_id": "demo"})
    assert own.status_code == 200


def test_down_cell_keeps_instance_count(user_cloud: UserCloud) -> None:
    _servers(user_cloud)
    user_cloud.add_down_cell()
    user_cloud.map_to("cell3")
    absolute = user_cloud.call("GET", "/limits", "2.57").json["limits"]["absolute"]
    # Instances come from the API DB, so the server in cell3 still counts;
    # its cores and RAM cannot be read and are left out.
    assert absolute["totalInstancesUsed"] == 4
    assert (absolute["totalCoresUsed"], absolute["totalRAMUsed"]) == (7, 3584)
