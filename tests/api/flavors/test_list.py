"""``GET /flavors``, ``/flavors/detail`` and ``/flavors/{id}``: visibility, filters, paging,
and the body of a flavor at each microversion."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from falcon import testing

from tests.api.flavors.conftest import FlavorCloud


def _ids(result: testing.Result) -> list[str]:
    return [f["id"] for f in result.json["flavors"]]


def _walk(api: FlavorCloud, params: dict[str, str]) -> list[str]:
    """Every id of a listing, following the next links (at most 20 pages)."""
    seen: list[str] = []
    for _ in range(20):
        page = api.call("GET", "/flavors", who="demo", params=params)
        seen += _ids(page)
        if "flavors_links" not in page.json:
            return seen
        params = {**params, "marker": seen[-1]}
    raise AssertionError(f"paging does not end: {seen}")


@pytest.fixture
def sizes(flavor_cloud: FlavorCloud) -> FlavorCloud:
    """Public 1-3, private p-demo (demo may use it), p-none (nobody), p-admin (admin's project),
    and d-off: public but disabled."""
    api = flavor_cloud
    api.flavor("1", ram=512, disk=1)
    api.flavor("2", ram=2048, disk=20)
    api.flavor("3", ram=4096, disk=40)
    api.flavor("p-demo", public=False, ram=1024, projects=("demo",))
    api.flavor("p-none", public=False, ram=8192, disk=80)
    api.flavor("p-admin", public=False, projects=("admin",))
    api.flavor("d-off", disabled=True)
    return api


def test_users_see_public_and_their_private_flavors(sizes: FlavorCloud) -> None:
    assert _ids(sizes.call("GET", "/flavors", who="demo")) == ["1", "2", "3", "p-demo"]
    assert _ids(sizes.call("GET", "/flavors", who="alt")) == ["1", "2", "3"]
    # A user's is_public is ignored, even a malformed one.
    for value in ("false", "none", "bogus"):
        listed = sizes.call("GET", "/flavors/detail", who="alt", params={"is_public": value})
        assert listed.status_code == 200 and _ids(listed) == ["1", "2", "3"]


def test_admins_choose_with_is_public(sizes: FlavorCloud) -> None:
    def listed(value: str | None) -> list[str]:
        params = {} if value is None else {"is_public": value}
        return _ids(sizes.call("GET", "/flavors", params=params))

    # As the reference: by default public ones plus the admin's own project's private ones.
    assert listed(None) == ["1", "2", "3", "d-off", "p-admin"]
    assert listed("true") == ["1", "2", "3", "d-off", "p-admin"]
    assert listed("False") == ["p-admin", "p-demo", "p-none"]
    assert listed("None") == ["1", "2", "3", "d-off", "p-admin", "p-demo", "p-none"]
    bad = sizes.call("GET", "/flavors", params={"is_public": "maybe"})
    assert bad.status_code == 400
    assert bad.json == {"badRequest": {"code": 400, "message": "Invalid is_public filter [maybe]"}}


def test_show_hides_private_flavors_from_other_projects(sizes: FlavorCloud) -> None:
    assert sizes.call("GET", "/flavors/p-demo", who="demo").json["flavor"]["id"] == "p-demo"
    hidden = sizes.call("GET", "/flavors/p-demo", who="alt")
    assert hidden.status_code == 404
    assert hidden.json["itemNotFound"]["message"] == "Flavor p-demo could not be found."
    assert sizes.call("GET", "/flavors/p-none", who="demo").status_code == 404
    assert sizes.call("GET", "/flavors/p-none").status_code == 200  # admins see every flavor
    assert sizes.call("GET", "/flavors/nope", who="demo").status_code == 404


def test_min_ram_and_min_disk(sizes: FlavorCloud) -> None:
    assert _ids(sizes.call("GET", "/flavors", who="demo", params={"minRam": "1024"})) == [
        "2",
        "3",
        "p-demo",
    ]
    both = {"minRam": "1024", "minDisk": "30", "is_public": "none"}
    assert _ids(sizes.call("GET", "/flavors", params=both)) == ["3", "p-none"]
    huge = sizes.call("GET", "/flavors", params={"minRam": "9" * 30})
    assert huge.status_code == 200 and _ids(huge) == []
    for name in ("minRam", "minDisk"):
        bad = sizes.call("GET", "/flavors", who="demo", params={name: "lots"})
        assert bad.status_code == 400
        assert bad.json["badRequest"]["message"] == f"Invalid {name} filter [lots]"


def test_sorting(sizes: FlavorCloud) -> None:
    def listed(**params: str) -> list[str]:
        return _ids(sizes.call("GET", "/flavors", who="demo", params=params))

    assert listed(sort_key="memory_mb", sort_dir="desc") == ["3", "2", "p-demo", "1"]
    assert listed(sort_key="root_gb") == ["1", "p-demo", "2", "3"]  # ties broken by creation
    assert listed(sort_dir="desc") == ["p-demo", "3", "2", "1"]
    for params in ({"sort_key": "ram"}, {"sort_dir": "up"}):
        bad = sizes.call("GET", "/flavors", who="demo", params=params)
        assert bad.status_code == 400
        assert bad.json["badRequest"]["message"].startswith("Invalid input for query parameters")


def test_sorting_by_a_column_with_nulls_pages_through_every_flavor(
    flavor_cloud: FlavorCloud,
) -> None:
    api = flavor_cloud
    for i, description in enumerate(["b", None, "a", None, "b", "c"]):
        api.flavor(f"f{i}", description=description)
    for direction, expected in (
        ("asc", ["f1", "f3", "f2", "f0", "f4", "f5"]),
        ("desc", ["f5", "f4", "f0", "f2", "f3", "f1"]),
    ):
        params = {"sort_key": "description", "sort_dir": direction, "limit": "2"}
        assert _walk(api, params) == expected, direction


def test_paging_by_a_float_column_keeps_ties(flavor_cloud: FlavorCloud) -> None:
    # MySQL stores FLOAT in single precision: a marker value read back into Python
    # no longer equals the stored one, so ties must be compared in the database.
    for i, factor in enumerate([1.1, 0.3, 1.1, 2.2, 1.1]):
        flavor_cloud.flavor(f"r{i}", rxtx_factor=factor)
    params = {"sort_key": "rxtx_factor", "limit": "1"}
    assert _walk(flavor_cloud, params) == ["r1", "r0", "r2", "r4", "r3"]


def test_paging_follows_next_links(sizes: FlavorCloud) -> None:
    first = sizes.call("GET", "/flavors/detail", who="demo", params={"limit": "3"})
    assert _ids(first) == ["1", "2", "3"]
    [link] = first.json["flavors_links"]
    assert link["rel"] == "next"
    href = urlsplit(link["href"])
    assert href.path == "/v2.1/flavors/detail"
    assert parse_qs(href.query) == {"limit": ["3"], "marker": ["3"]}
    second = sizes.call("GET", "/flavors/detail", who="demo", query=href.query)
    assert _ids(second) == ["p-demo"]
    assert "flavors_links" not in second.json
    # A page that ends exactly at the end still links on; the next one is empty.
    exact = sizes.call("GET", "/flavors", who="demo", params={"limit": "1", "marker": "3"})
    assert _ids(exact) == ["p-demo"] and "flavors_links" in exact.json
    assert sizes.call("GET", "/flavors", who="demo", params={"limit": "0"}).json == {"flavors": []}


def test_paging_errors(sizes: FlavorCloud) -> None:
    for who, marker in (("demo", "nope"), ("alt", "p-demo")):  # a hidden flavor is no marker
        bad = sizes.call("GET", "/flavors", who=who, params={"marker": marker})
        assert bad.status_code == 400
        assert bad.json["badRequest"]["message"] == f"marker [{marker}] not found"
    for limit in ("-1", "ten", ""):
        assert sizes.call("GET", "/flavors", params={"limit": limit}).status_code == 400


def test_unknown_query_parameters_refused_from_2_75(sizes: FlavorCloud) -> None:
    assert sizes.call("GET", "/flavors", "2.74", params={"name": "x"}).status_code == 200
    refused = sizes.call("GET", "/flavors/detail", "2.75", params={"name": "x"})
    assert refused.status_code == 400
    assert "name" in refused.json["badRequest"]["message"]


def test_brief_and_detail_bodies_by_microversion(flavor_cloud: FlavorCloud) -> None:
    api = flavor_cloud
    api.flavor("7", name="big", vcpus=4, ram=8192, disk=80, ephemeral_gb=10, description="Big")
    api.flavor("8", name="swapped", swap=512, specs={"hw:cpu_policy": "dedicated"})
    old = api.call("GET", "/flavors/7", who="demo").json["flavor"]
    assert old == {
        "id": "7",
        "name": "big",
        "links": [
            {"rel": "self", "href": "http://falconframework.org/v2.1/flavors/7"},
            {"rel": "bookmark", "href": "http://falconframework.org/flavors/7"},
        ],
        "ram": 8192,
        "disk": 80,
        "swap": "",
        "OS-FLV-EXT-DATA:ephemeral": 10,
        "OS-FLV-DISABLED:disabled": False,
        "vcpus": 4,
        "os-flavor-access:is_public": True,
        "rxtx_factor": 1.0,
    }
    assert api.call("GET", "/flavors", who="demo").json["flavors"][0] == {
        "id": "7",
        "name": "big",
        "links": old["links"],
    }
    assert (
        api.call("GET", "/flavors", "2.55", who="demo").json["flavors"][0]["description"] == "Big"
    )
    at_255 = api.call("GET", "/flavors/7", "2.55", who="demo").json["flavor"]
    assert at_255 == {**old, "description": "Big"}
    at_261 = api.call("GET", "/flavors/detail", "2.61", who="demo").json["flavors"]
    assert [f["extra_specs"] for f in at_261] == [{}, {"hw:cpu_policy": "dedicated"}]
    assert [f["swap"] for f in at_261] == ["", 512]
    at_275 = api.call("GET", "/flavors/7", "2.75", who="demo").json["flavor"]
    assert at_275["swap"] == 0 and at_275["extra_specs"] == {}
    assert api.call("GET", "/flavors/8", "2.60").json["flavor"].get("extra_specs") is None
