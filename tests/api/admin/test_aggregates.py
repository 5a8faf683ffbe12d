"""``/os-aggregates``: CRUD, hosts, metadata and availability zones."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.admin.conftest import AdminCloud

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def mapped(admin_cloud: AdminCloud) -> AdminCloud:
    """compute1 (cell1) and compute2 (cell2) are mapped computes."""
    admin_cloud.compute("cell1", "compute1")
    admin_cloud.compute("cell2", "compute2")
    return admin_cloud


def _create(c: AdminCloud, name: str, zone: str | None = None, version: str = "2.81") -> Any:
    body: dict[str, Any] = {"name": name}
    if zone is not None:
        body["availability_zone"] = zone
    got = c.post("/os-aggregates", version, body={"aggregate": body})
    assert got.status_code == 200, got.text
    return got.json["aggregate"]


def _action(c: AdminCloud, agg_id: int, body: dict[str, Any], version: str = "2.81") -> Any:
    return c.post(f"/os-aggregates/{agg_id}/action", version, body=body)


def test_create_show_list(admin_cloud: AdminCloud) -> None:
    created = _create(admin_cloud, "rack1", "az1")
    # The create answer has no hosts or metadata, as the compute API answers.
    assert created.keys() == {
        "id",
        "uuid",
        "name",
        "availability_zone",
        "created_at",
        "updated_at",
        "deleted",
        "deleted_at",
    }
    assert (created["name"], created["availability_zone"]) == ("rack1", "az1")
    assert created["deleted"] is False and created["deleted_at"] is None
    assert TIMESTAMP.match(created["created_at"]) and created["updated_at"] is None

    shown = admin_cloud.get(f"/os-aggregates/{created['id']}", "2.81").json["aggregate"]
    assert shown["hosts"] == [] and shown["metadata"] == {"availability_zone": "az1"}
    assert shown["uuid"] == created["uuid"]
    _create(admin_cloud, "rack2")
    listed = admin_cloud.get("/os-aggregates", "2.81").json["aggregates"]
    assert [(a["name"], a["availability_zone"]) for a in listed] == [
        ("rack1", "az1"),
        ("rack2", None),
    ]


def test_uuid_only_from_2_41(admin_cloud: AdminCloud) -> None:
    created = _create(admin_cloud, "rack1", version="2.40")
    assert "uuid" not in created
    assert "uuid" not in admin_cloud.get("/os-aggregates", "2.40").json["aggregates"][0]
    assert "uuid" in admin_cloud.get("/os-aggregates", "2.41").json["aggregates"][0]


def test_names_are_unique(admin_cloud: AdminCloud) -> None:
    first = _create(admin_cloud, "rack1")
    other = _create(admin_cloud, "rack2")
    again = admin_cloud.post("/os-aggregates", body={"aggregate": {"name": "rack1"}})
    assert again.status_code == 409 and again.json["conflictingRequest"]["code"] == 409
    rename = admin_cloud.put(f"/os-aggregates/{other['id']}", body={"aggregate": {"name": "rack1"}})
    assert rename.status_code == 409
    same = admin_cloud.put(f"/os-aggregates/{first['id']}", body={"aggregate": {"name": "rack1"}})
    assert same.status_code == 200


def test_update_name_and_zone(mapped: AdminCloud) -> None:
    agg = _create(mapped, "rack1", "az1")
    got = mapped.put(
        f"/os-aggregates/{agg['id']}",
        "2.81",
        body={"aggregate": {"name": "rack-one", "availability_zone": "az2"}},
    )
    assert got.status_code == 200, got.text
    updated = got.json["aggregate"]
    assert (updated["name"], updated["availability_zone"]) == ("rack-one", "az2")
    assert updated["metadata"] == {"availability_zone": "az2"}
    assert TIMESTAMP.match(updated["updated_at"])
    cleared = mapped.put(
        f"/os-aggregates/{agg['id']}", body={"aggregate": {"availability_zone": None}}
    )
    assert cleared.json["aggregate"]["availability_zone"] is None


def test_add_and_remove_hosts(mapped: AdminCloud) -> None:
    agg = _create(mapped, "rack1", "az1")
    got = _action(mapped, agg["id"], {"add_host": {"host": "compute1"}})
    assert got.status_code == 200, got.text
    assert got.json["aggregate"]["hosts"] == ["compute1"]
    got = _action(mapped, agg["id"], {"add_host": {"host": "compute2"}})
    assert got.json["aggregate"]["hosts"] == ["compute1", "compute2"]
    twice = _action(mapped, agg["id"], {"add_host": {"host": "compute1"}})
    assert twice.status_code == 409 and twice.json["conflictingRequest"]["code"] == 409

    # The zone is what services report for the host.
    services = mapped.get("/os-services", "2.53", params={"host": "compute1"})
    assert services.json["services"][0]["zone"] == "az1"

    got = _action(mapped, agg["id"], {"remove_host": {"host": "compute1"}})
    assert got.status_code == 200 and got.json["aggregate"]["hosts"] == ["compute2"]
    gone = _action(mapped, agg["id"], {"remove_host": {"host": "compute1"}})
    assert gone.status_code == 404 and gone.json["itemNotFound"]["code"] == 404


def test_unknown_hosts_are_404(mapped: AdminCloud) -> None:
    agg = _create(mapped, "rack1")
    for action in ("add_host", "remove_host"):
        got = _action(mapped, agg["id"], {action: {"host": "ghost"}})
        assert got.status_code == 404, got.text
        assert "ghost" in got.json["itemNotFound"]["message"]
    missing = _action(mapped, 424242, {"add_host": {"host": "compute1"}})
    assert missing.status_code == 404


def test_a_host_cannot_be_in_two_zones(mapped: AdminCloud) -> None:
    az1 = _create(mapped, "rack1", "az1")
    az2 = _create(mapped, "rack2", "az2")
    plain = _create(mapped, "ssd")
    assert _action(mapped, az1["id"], {"add_host": {"host": "compute1"}}).status_code == 200
    conflict = _action(mapped, az2["id"], {"add_host": {"host": "compute1"}})
    assert conflict.status_code == 409, conflict.text
    # An aggregate without a zone takes any host; it then cannot take a zone of its own.
    assert _action(mapped, plain["id"], {"add_host": {"host": "compute1"}}).status_code == 200
    meta = _action(mapped, plain["id"], {"set_metadata": {"metadata": {"availability_zone": "z"}}})
    assert meta.status_code == 400, meta.text
    put = mapped.put(
        f"/os-aggregates/{plain['id']}", body={"aggregate": {"availability_zone": "z"}}
    )
    assert put.status_code == 400
    same = _action(
        mapped, plain["id"], {"set_metadata": {"metadata": {"availability_zone": "az1"}}}
    )
    assert same.status_code == 200


def test_set_metadata_adds_changes_and_removes(mapped: AdminCloud) -> None:
    agg = _create(mapped, "rack1", "az1")
    got = _action(mapped, agg["id"], {"set_metadata": {"metadata": {"ssd": "true", "gpu": "2"}}})
    assert got.status_code == 200, got.text
    assert got.json["aggregate"]["metadata"] == {
        "availability_zone": "az1",
        "ssd": "true",
        "gpu": "2",
    }
    got = _action(
        mapped,
        agg["id"],
        {"set_metadata": {"metadata": {"gpu": None, "ssd": "false", "availability_zone": None}}},
    )
    assert got.json["aggregate"]["metadata"] == {"ssd": "false"}
    assert got.json["aggregate"]["availability_zone"] is None


def test_delete(mapped: AdminCloud) -> None:
    agg = _create(mapped, "rack1", "az1")
    _action(mapped, agg["id"], {"add_host": {"host": "compute1"}})
    busy = mapped.delete(f"/os-aggregates/{agg['id']}")
    assert busy.status_code == 400 and busy.json["badRequest"]["code"] == 400
    _action(mapped, agg["id"], {"remove_host": {"host": "compute1"}})
    done = mapped.delete(f"/os-aggregates/{agg['id']}")
    assert done.status_code == 200, done.text
    assert mapped.get(f"/os-aggregates/{agg['id']}").status_code == 404
    assert mapped.delete(f"/os-aggregates/{agg['id']}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/os-aggregates", {"aggregate": {}}),
        ("POST", "/os-aggregates", {"aggregate": {"name": ""}}),
        ("POST", "/os-aggregates", {"aggregate": {"name": " padded "}}),
        ("POST", "/os-aggregates", {"aggregate": {"name": "a", "availability_zone": "x:y"}}),
        ("POST", "/os-aggregates", {"aggregate": {"name": "a", "color": "red"}}),
        ("POST", "/os-aggregates", {"name": "a"}),
        ("PUT", "/os-aggregates/{id}", {"aggregate": {}}),
        ("POST", "/os-aggregates/{id}/action", {}),
        ("POST", "/os-aggregates/{id}/action", {"reboot": {}}),
        ("POST", "/os-aggregates/{id}/action", {"add_host": {}}),
        (
            "POST",
            "/os-aggregates/{id}/action",
            {"add_host": {"host": "compute1"}, "remove_host": {"host": "compute1"}},
        ),
        ("POST", "/os-aggregates/{id}/action", {"set_metadata": {"metadata": {"k": 1}}}),
        ("POST", "/os-aggregates/{id}/action", {"set_metadata": {"metadata": {"": "v"}}}),
        ("GET", "/os-aggregates/rack1", None),
    ],
)
def test_bad_requests_are_400(
    mapped: AdminCloud, method: str, path: str, body: dict[str, Any] | None
) -> None:
    agg = _create(mapped, "existing")
    got = mapped.call(method, path.format(id=agg["id"]), "2.81", body=body)
    assert got.status_code == 400, got.text
    assert got.json["badRequest"]["code"] == 400


@pytest.mark.parametrize("ident", ["2147483648", "99999999999999999999", "9" * 5000])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"aggregate": {"name": "x"}}),
        ("DELETE", "", None),
        ("POST", "/action", {"set_metadata": {"metadata": {"k": "v"}}}),
    ],
)
def test_ids_beyond_the_column_are_404(
    admin_cloud: AdminCloud, ident: str, method: str, suffix: str, body: Any
) -> None:
    """No aggregate has such an id, and no database is asked about one."""
    got = admin_cloud.call(method, f"/os-aggregates/{ident}{suffix}", "2.81", body=body)
    assert got.status_code == 404, got.text
    message = f"Aggregate {ident} could not be found."
    assert got.json == {"itemNotFound": {"code": 404, "message": message}}


def test_the_largest_id_is_looked_up(admin_cloud: AdminCloud) -> None:
    got = admin_cloud.get("/os-aggregates/2147483647")
    assert got.status_code == 404, got.text
    assert got.json["itemNotFound"]["message"] == "Aggregate 2147483647 could not be found."
    padded = _create(admin_cloud, "padded")
    shown = admin_cloud.get(f"/os-aggregates/000{padded['id']}")
    assert shown.status_code == 200 and shown.json["aggregate"]["name"] == "padded"


@pytest.mark.parametrize("ident", ["\u00b2", "-1", "1.0"])
def test_ids_that_are_not_digits_are_400(admin_cloud: AdminCloud, ident: str) -> None:
    got = admin_cloud.get(f"/os-aggregates/{ident}")
    assert got.status_code == 400, got.text
    message = f"Invalid aggregate id {ident}: it must be an integer."
    assert got.json == {"badRequest": {"code": 400, "message": message}}


def test_malformed_json_is_400(admin_cloud: AdminCloud) -> None:
    got = admin_cloud.post("/os-aggregates", raw=b"{not json")
    assert got.status_code == 400 and "badRequest" in got.json


@pytest.mark.parametrize(
    ("method", "path", "body", "rule"),
    [
        ("GET", "/os-aggregates", None, "index"),
        ("POST", "/os-aggregates", {"aggregate": {"name": "x"}}, "create"),
        ("GET", "/os-aggregates/1", None, "show"),
        ("PUT", "/os-aggregates/1", {"aggregate": {"name": "y"}}, "update"),
        ("DELETE", "/os-aggregates/1", None, "delete"),
        ("POST", "/os-aggregates/1/action", {"add_host": {"host": "h"}}, "add_host"),
        ("POST", "/os-aggregates/1/action", {"remove_host": {"host": "h"}}, "remove_host"),
        ("POST", "/os-aggregates/1/action", {"set_metadata": {"metadata": {}}}, "set_metadata"),
    ],
)
def test_non_admins_are_forbidden(
    admin_cloud: AdminCloud, method: str, path: str, body: Any, rule: str
) -> None:
    got = admin_cloud.call(method, path, body=body, admin=False)
    assert got.status_code == 403
    message = f"Policy doesn't allow os_compute_api:os-aggregates:{rule} to be performed."
    assert got.json == {"forbidden": {"code": 403, "message": message}}
