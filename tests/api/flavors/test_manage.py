"""``POST /flavors``, ``PUT /flavors/{id}`` (2.55) and ``DELETE /flavors/{id}``."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest

from tests.api.flavors.conftest import FlavorCloud


def _body(**values: Any) -> dict[str, Any]:
    return {"flavor": {"name": "small", "ram": 1024, "vcpus": 2, "disk": 10, **values}}


def test_create_with_defaults_makes_a_public_flavor_with_a_uuid(flavor_cloud: FlavorCloud) -> None:
    made = flavor_cloud.call("POST", "/flavors", body=_body())
    assert made.status_code == 200, made.text
    body = made.json["flavor"]
    uuidlib.UUID(body["id"])
    assert {k: v for k, v in body.items() if k not in ("id", "links")} == {
        "name": "small",
        "ram": 1024,
        "vcpus": 2,
        "disk": 10,
        "swap": "",
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "OS-FLV-DISABLED:disabled": False,
        "os-flavor-access:is_public": True,
        "rxtx_factor": 1.0,
    }
    shown = flavor_cloud.call("GET", f"/flavors/{body['id']}", who="alt")
    assert shown.status_code == 200 and shown.json["flavor"] == body


def test_create_with_every_field(flavor_cloud: FlavorCloud) -> None:
    body = _body(
        id=42,
        name="m1.custom",
        ram="2048",
        vcpus="4",
        disk="0",
        swap=256,
        rxtx_factor="2.5",
        description="Four CPUs",
        **{"OS-FLV-EXT-DATA:ephemeral": 5, "os-flavor-access:is_public": "false"},
    )
    made = flavor_cloud.call("POST", "/flavors", "2.75", body=body)
    assert made.status_code == 200, made.text
    flavor = made.json["flavor"]
    assert flavor["id"] == "42" and flavor["description"] == "Four CPUs"
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"], flavor["swap"]) == (2048, 4, 0, 256)
    assert flavor["OS-FLV-EXT-DATA:ephemeral"] == 5 and flavor["rxtx_factor"] == 2.5
    assert flavor["os-flavor-access:is_public"] is False and flavor["extra_specs"] == {}
    # Private, and no project was given access: hidden from users.
    assert flavor_cloud.call("GET", "/flavors/42", who="demo").status_code == 404


def test_duplicates_conflict(flavor_cloud: FlavorCloud) -> None:
    assert flavor_cloud.call("POST", "/flavors", body=_body(id="a1")).status_code == 200
    same_name = flavor_cloud.call("POST", "/flavors", body=_body(id="a2"))
    assert same_name.status_code == 409
    assert same_name.json == {
        "conflictingRequest": {"code": 409, "message": "Flavor with name small already exists."}
    }
    same_id = flavor_cloud.call("POST", "/flavors", body=_body(id="a1", name="other"))
    assert same_id.status_code == 409
    assert same_id.json["conflictingRequest"]["message"] == "Flavor with ID a1 already exists."
    listed = flavor_cloud.call("GET", "/flavors", params={"is_public": "none"}).json["flavors"]
    assert [(f["id"], f["name"]) for f in listed] == [("a1", "small")]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", " padded"),
        ("name", "tab\tinside"),
        ("name", "bell\x07"),
        ("name", "x" * 256),
        ("name", 7),
        ("id", "has/slash"),
        ("id", " lead"),
        ("id", "newline\n"),
        ("id", ""),
        ("id", "x" * 256),
        ("id", 10**300),
        ("ram", 0),
        ("ram", "0"),
        ("ram", -1),
        ("ram", 1.5),
        ("vcpus", "two"),
        ("vcpus", 2**31),
        ("disk", -1),
        ("disk", str(2**31)),
        ("swap", "-1"),
        ("OS-FLV-EXT-DATA:ephemeral", None),
        ("rxtx_factor", 0),
        ("rxtx_factor", "0"),
        ("rxtx_factor", "1e3"),
        ("rxtx_factor", 1e39),
        ("os-flavor-access:is_public", "perhaps"),
        ("description", "needs 2.55"),
        ("flavorid", "7"),
    ],
)
def test_bad_create_bodies_are_400(flavor_cloud: FlavorCloud, field: str, value: Any) -> None:
    refused = flavor_cloud.call("POST", "/flavors", body=_body(**{field: value}))
    assert refused.status_code == 400, refused.text
    assert set(refused.json) == {"badRequest"}
    listed = flavor_cloud.call("GET", "/flavors", params={"is_public": "none"})
    assert listed.json == {"flavors": []}


def test_missing_fields_and_malformed_json_are_400(flavor_cloud: FlavorCloud) -> None:
    for field in ("name", "ram", "vcpus", "disk"):
        body = _body()
        del body["flavor"][field]
        assert flavor_cloud.call("POST", "/flavors", body=body).status_code == 400
    assert flavor_cloud.call("POST", "/flavors", raw=b'{"flavor": ').status_code == 400
    assert (
        flavor_cloud.call(
            "POST", "/flavors", body={"flavor": _body()["flavor"], "x": 1}
        ).status_code
        == 400
    )


def test_description_rules(flavor_cloud: FlavorCloud) -> None:
    for bad in ("line\nbreak", "x" * 65536):
        refused = flavor_cloud.call("POST", "/flavors", "2.55", body=_body(description=bad))
        assert refused.status_code == 400
    # Printable text of any script, spaces inside and around, is fine; so is null.
    fine = flavor_cloud.call("POST", "/flavors", "2.55", body=_body(description=" Größe 大 "))
    assert fine.json["flavor"]["description"] == " Größe 大 "
    none = flavor_cloud.call("POST", "/flavors", "2.55", body=_body(name="n", description=None))
    assert none.status_code == 200 and none.json["flavor"]["description"] is None


def test_users_may_not_manage_flavors(flavor_cloud: FlavorCloud) -> None:
    flavor_cloud.flavor("1")
    denied = flavor_cloud.call("POST", "/flavors", who="demo", body=_body())
    assert denied.status_code == 403
    assert denied.json["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."
    )
    update = {"flavor": {"description": "mine"}}
    assert (
        flavor_cloud.call("PUT", "/flavors/1", "2.55", who="demo", body=update).status_code == 403
    )
    assert flavor_cloud.call("DELETE", "/flavors/1", who="demo").status_code == 403
    assert flavor_cloud.call("GET", "/flavors/1", "2.55").json["flavor"]["description"] is None


def test_update_description(flavor_cloud: FlavorCloud) -> None:
    flavor_cloud.flavor("1", specs={"hw:cpu_policy": "shared"})
    body = {"flavor": {"description": "Tiny one"}}
    # Not a route before 2.55.
    old = flavor_cloud.call("PUT", "/flavors/1", "2.54", body=body)
    assert old.status_code == 404
    assert old.json["itemNotFound"]["message"] == "The resource could not be found."
    updated = flavor_cloud.call("PUT", "/flavors/1", "2.61", body=body)
    assert updated.status_code == 200
    assert updated.json["flavor"]["description"] == "Tiny one"
    assert updated.json["flavor"]["extra_specs"] == {"hw:cpu_policy": "shared"}
    assert flavor_cloud.call("GET", "/flavors/1", "2.55").json["flavor"]["description"] == (
        "Tiny one"
    )
    cleared = flavor_cloud.call("PUT", "/flavors/1", "2.55", body={"flavor": {"description": None}})
    assert cleared.json["flavor"]["description"] is None
    unchanged = flavor_cloud.call(
        "PUT", "/flavors/1", "2.55", body={"flavor": {"description": None}}
    )
    assert unchanged.status_code == 200
    bad_bodies: list[dict[str, Any]] = [
        {"flavor": {}},
        {"flavor": {"description": "x", "name": "y"}},
        {"description": ""},
    ]
    for bad in bad_bodies:
        assert flavor_cloud.call("PUT", "/flavors/1", "2.55", body=bad).status_code == 400
    missing = flavor_cloud.call("PUT", "/flavors/9", "2.55", body=body)
    assert missing.status_code == 404
    assert missing.json["itemNotFound"]["message"] == "Flavor 9 could not be found."


def test_delete_removes_specs_and_access(flavor_cloud: FlavorCloud) -> None:
    size = flavor_cloud.flavor("p1", public=False, projects=("demo",), specs={"a": "1"})
    assert flavor_cloud.rows("flavor_extra_specs", size.id) != []
    deleted = flavor_cloud.call("DELETE", "/flavors/p1")
    assert deleted.status_code == 202 and deleted.text == ""
    assert flavor_cloud.call("GET", "/flavors/p1").status_code == 404
    assert flavor_cloud.rows("flavor_extra_specs", size.id) == []
    assert flavor_cloud.rows("flavor_projects", size.id) == []
    again = flavor_cloud.call("DELETE", "/flavors/p1")
    assert again.status_code == 404
    assert again.json["itemNotFound"]["message"] == "Flavor p1 could not be found."
    # The name and id are free again.
    assert (
        flavor_cloud.call("POST", "/flavors", body=_body(id="p1", name="f-p1")).status_code == 200
    )
