"""Private flavor access: ``GET /flavors/{id}/os-flavor-access`` and the
``addTenantAccess`` / ``removeTenantAccess`` actions; :func:`flavor.accessible`."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.objects import flavor
from tests.api.flavors.conftest import FlavorCloud


def _add(project: str) -> dict[str, Any]:
    return {"addTenantAccess": {"tenant": project}}


def _remove(project: str) -> dict[str, Any]:
    return {"removeTenantAccess": {"tenant": project}}


@pytest.fixture
def private(flavor_cloud: FlavorCloud) -> FlavorCloud:
    flavor_cloud.flavor("pub")
    flavor_cloud.flavor("priv", public=False, projects=("demo",))
    return flavor_cloud


def test_granting_and_revoking_changes_what_a_project_sees(private: FlavorCloud) -> None:
    listed = private.call("GET", "/flavors/priv/os-flavor-access")
    assert listed.status_code == 200
    assert listed.json == {"flavor_access": [{"flavor_id": "priv", "tenant_id": "demo"}]}
    assert private.call("GET", "/flavors/priv", who="alt").status_code == 404

    added = private.call("POST", "/flavors/priv/action", body=_add("alt"))
    assert added.status_code == 200
    assert added.json == {
        "flavor_access": [
            {"flavor_id": "priv", "tenant_id": "demo"},
            {"flavor_id": "priv", "tenant_id": "alt"},
        ]
    }
    assert private.call("GET", "/flavors/priv", who="alt").status_code == 200
    assert [f["id"] for f in private.call("GET", "/flavors", who="alt").json["flavors"]] == [
        "priv",
        "pub",
    ]

    removed = private.call("POST", "/flavors/priv/action", body=_remove("demo"))
    assert removed.status_code == 200
    assert removed.json == {"flavor_access": [{"flavor_id": "priv", "tenant_id": "alt"}]}
    assert private.call("GET", "/flavors/priv", who="demo").status_code == 404


def test_conflicts_and_missing_entries(private: FlavorCloud) -> None:
    again = private.call("POST", "/flavors/priv/action", body=_add("demo"))
    assert again.status_code == 409
    assert again.json["conflictingRequest"]["message"] == (
        "Flavor access already exists for flavor priv and project demo combination."
    )
    absent = private.call("POST", "/flavors/priv/action", body=_remove("alt"))
    assert absent.status_code == 404
    assert absent.json["itemNotFound"]["message"] == (
        "Flavor access not found for priv / alt combination."
    )
    for body in (_add("alt"), _remove("demo")):
        missing = private.call("POST", "/flavors/nope/action", body=body)
        assert missing.status_code == 404
        assert missing.json["itemNotFound"]["message"] == "Flavor nope could not be found."
    assert private.call("GET", "/flavors/nope/os-flavor-access").status_code == 404


def test_public_flavors_have_no_access_list(private: FlavorCloud) -> None:
    listed = private.call("GET", "/flavors/pub/os-flavor-access")
    assert listed.status_code == 404
    assert listed.json["itemNotFound"]["message"] == (
        "Access list not available for public flavors."
    )
    refused = private.call("POST", "/flavors/pub/action", "2.7", body=_add("alt"))
    assert refused.status_code == 409
    assert refused.json["conflictingRequest"]["message"] == "Can not add access to a public flavor."
    # Before 2.7 the reference stored the entry anyway; it changes nothing for a public flavor.
    assert private.call("POST", "/flavors/pub/action", "2.6", body=_add("alt")).status_code == 200


def test_users_may_not_see_or_change_access(private: FlavorCloud) -> None:
    for method, path, body, rule in (
        ("GET", "/flavors/priv/os-flavor-access", None, "os-flavor-access"),
        ("POST", "/flavors/priv/action", _add("demo2"), "os-flavor-access:add_tenant_access"),
        ("POST", "/flavors/priv/action", _remove("demo"), "os-flavor-access:remove_tenant_access"),
    ):
        denied = private.call(method, path, who="demo", body=body)
        assert denied.status_code == 403
        assert denied.json["forbidden"]["message"] == (
            f"Policy doesn't allow os_compute_api:{rule} to be performed."
        )
    assert private.call("GET", "/flavors/priv/os-flavor-access").json["flavor_access"] == [
        {"flavor_id": "priv", "tenant_id": "demo"}
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"bogusAction": {"tenant": "alt"}},
        {"addTenantAccess": {"tenant": ""}},
        {"addTenantAccess": {"tenant": "x" * 256}},
        {"addTenantAccess": {"project": "alt"}},
        {"addTenantAccess": {"tenant": "alt", "extra": 1}},
        {"removeTenantAccess": None},
        {"addTenantAccess": {"tenant": "alt"}, "removeTenantAccess": {"tenant": "demo"}},
        {},
        [],
    ],
)
def test_bad_action_bodies_are_400(private: FlavorCloud, body: Any) -> None:
    refused = private.call("POST", "/flavors/priv/action", body=body)
    assert refused.status_code == 400, refused.text
    assert set(refused.json) == {"badRequest"}
    assert len(private.call("GET", "/flavors/priv/os-flavor-access").json["flavor_access"]) == 1


def test_accessible(private: FlavorCloud) -> None:
    with private.dbs.engine("api").connect() as conn:
        pub = flavor.get_by_flavorid(conn, "pub")
        priv = flavor.get_by_flavorid(conn, "priv")
        assert flavor.accessible(conn, pub, "anyone")
        assert flavor.accessible(conn, pub, None)
        assert flavor.accessible(conn, priv, "demo")
        assert not flavor.accessible(conn, priv, "alt")
        assert not flavor.accessible(conn, priv, None)
