"""``GET /v2.1/servers`` and ``/servers/detail`` over HTTP (Falcon's test client)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import pytest
from falcon import testing

from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.api.server_list import install
from tessera.compute.api import ServerAPI
from tessera.conductor.rpcapi import SuperConductorAPI
from tessera.objects import instance_mapping
from tessera.placement.client import PlacementClient
from tests.compute.test_multi_cell_list_helpers import (
    T0,
    UNREACHABLE_DB,
    ListingCloud,
    open_listing_cloud,
)
from tests.conftest import CloudDBs

P1 = "user-p1:p1"
ADMIN = "admin:admin"
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class Refuse:
    """Stands in for a dependency listing must never use."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise AssertionError(f"listing servers called {self._name}.{attr}")


@pytest.fixture
def listing(cloud: CloudDBs) -> Iterator[ListingCloud]:
    made = open_listing_cloud(cloud)
    yield made
    made.close()


@pytest.fixture
def client(listing: ListingCloud) -> testing.TestClient:
    servers = ServerAPI(
        listing.targets,
        cast(SuperConductorAPI, Refuse("conductor")),
        cast(PlacementClient, Refuse("placement")),
    )
    deps = APIDeps(servers, listing.targets.api_engine)
    app = build_app(deps)
    install(app, deps, listing.lister(max_limit=50))
    return testing.TestClient(app)


def get(
    client: testing.TestClient,
    path: str,
    query: str = "",
    token: str = P1,
    version: str = "2.1",
) -> testing.Result:
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": f"compute {version}"}
    return client.simulate_get(f"/v2.1/{path}", query_string=query, headers=headers)


def ids(result: testing.Result) -> list[str]:
    assert result.status_code == 200, result.text
    return [s["id"] for s in result.json["servers"]]


def at(seconds: int) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def test_list_and_detail_across_cells(client: testing.TestClient, listing: ListingCloud) -> None:
    older = listing.add_server("cell1", display_name="older", created_at=at(1))
    broken = listing.add_server("cell2", display_name="broken", created_at=at(2), vm_state="error")
    listing.record_fault(broken, "no valid host")
    building = listing.add_build_request(display_name="building", created_at=at(0))
    listing.add_server("cell2", project="p2", display_name="theirs")

    brief = get(client, "servers")
    detail = get(client, "servers/detail", version="2.47")

    assert ids(brief) == [building, broken, older]
    first = brief.json["servers"][0]
    assert set(first) == {"id", "name", "links"} and first["name"] == "building"
    assert first["links"][0]["href"].endswith(f"/v2.1/servers/{building}")
    assert "servers_links" not in brief.json
    by_id = {s["id"]: s for s in detail.json["servers"]}
    assert ids(detail) == ids(brief)
    assert by_id[building]["status"] == "BUILD" and by_id[older]["status"] == "ACTIVE"
    assert by_id[broken]["status"] == "ERROR"
    assert by_id[broken]["fault"]["message"] == "no valid host"
    assert by_id[older]["tenant_id"] == "p1" and by_id[older]["metadata"] == {"k": "v"}


@SQLITE_ONLY
def test_next_links_page_through_everything(
    client: testing.TestClient, listing: ListingCloud
) -> None:
    made = [listing.add_server(("cell1", "cell2")[n % 2], created_at=at(n)) for n in range(7)]
    seen: list[str] = []
    query = "limit=3&sort_key=created_at&sort_dir=asc"
    while True:
        result = get(client, "servers/detail", query)
        seen += ids(result)
        links = result.json.get("servers_links")
        if not links:
            break
        assert links[0]["rel"] == "next"
        href = urlsplit(links[0]["href"])
        assert href.path == "/v2.1/servers/detail"
        params = dict(parse_qsl(href.query))
        assert params["marker"] == seen[-1] and params["limit"] == "3"
        query = href.query
    assert seen == made
    assert "servers_links" not in get(client, "servers", "limit=0").json
    assert get(client, "servers", "limit=0").json == {"servers": []}


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("sort_dir=up", "sort_dir"),
        ("sort_key=display_name&sort_dir=asc&sort_dir=desc", "sort_dir"),
        ("changes-since=yesterday", "changes-since"),
        ("marker=nope", "marker [nope] not found"),
        ("name=web(", "regular expression"),
        ("all_tenants=maybe", "all_tenants"),
    ],
)
def test_bad_values_are_400(client: testing.TestClient, query: str, message: str) -> None:
    result = get(client, "servers", query, token=ADMIN)
    assert result.status_code == 400, result.text
    assert message in result.json["badRequest"]["message"]


@SQLITE_ONLY
def test_unknown_parameters_and_sort_keys_by_microversion(
    client: testing.TestClient, listing: ListingCloud
) -> None:
    listing.add_server("cell1")
    assert get(client, "servers", "foo=1", version="2.74").status_code == 200
    assert get(client, "servers", "foo=1", version="2.75").status_code == 400
    assert get(client, "servers", "sort_key=bogus", version="2.74").status_code == 200
    assert get(client, "servers", "sort_key=bogus", version="2.75").status_code == 400
    assert get(client, "servers", "sort_key=vcpus", version="2.75").status_code == 200
    assert get(client, "servers", "changes-before=2000-01-01T00:00:00Z", version="2.66").json == {
        "servers": []
    }
    assert len(ids(get(client, "servers", "changes-before=2000-01-01T00:00:00Z"))) == 1


@SQLITE_ONLY
def test_status_filter(client: testing.TestClient, listing: ListingCloud) -> None:
    up = listing.add_server("cell1")
    listing.add_server("cell2", vm_state="stopped")
    assert ids(get(client, "servers", "status=active")) == [up]
    assert ids(get(client, "servers", "status=bogus", version="2.37")) == []
    assert get(client, "servers", "status=bogus", version="2.38").status_code == 400


@SQLITE_ONLY
def test_what_only_admins_may_do(client: testing.TestClient, listing: ListingCloud) -> None:
    mine = listing.add_server("cell1", host="host-a", display_name="mine")
    other = listing.add_server("cell2", host="host-b", display_name="other")
    theirs = listing.add_server("cell2", project="p2", host="host-a")
    gone = listing.add_server("cell1", project="p2")
    listing.delete_server(gone)

    host_sort = get(client, "servers", "sort_key=host")
    assert host_sort.status_code == 403
    assert host_sort.json["forbidden"]["message"] == "Only administrators can sort servers by host"
    every = get(client, "servers/detail", "all_tenants=1")
    assert every.status_code == 403
    assert "os_compute_api:servers:detail:get_all_tenants" in every.json["forbidden"]["message"]
    assert get(client, "servers", "status=DELETED").status_code == 403
    assert sorted(ids(get(client, "servers", "host=host-a&deleted=true"))) == sorted([mine, other])

    assert sorted(ids(get(client, "servers", "all_tenants&host=host-a", ADMIN))) == sorted(
        [mine, theirs]
    )
    assert ids(get(client, "servers", "all_tenants=true&status=DELETED", ADMIN)) == [gone]
    assert ids(get(client, "servers", "all_tenants=1&tenant_id=p2&deleted=0", ADMIN)) == [theirs]
    assert ids(get(client, "servers", "tenant_id=p2", ADMIN)) == []  # own project only
    assert get(client, "servers", "sort_key=host", ADMIN).status_code == 200


@SQLITE_ONLY
def test_sort_direction_alone_orders_by_creation(
    client: testing.TestClient, listing: ListingCloud
) -> None:
    made = [listing.add_server("cell1", created_at=at(n)) for n in range(3)]
    assert ids(get(client, "servers", "sort_dir=asc")) == made
    assert ids(get(client, "servers", "sort_key=display_name&sort_key=created_at")) == made[::-1]


def map_to_down_cell(listing: ListingCloud, uuid: str, project: str = "p1") -> None:
    cell = listing.cells.get("cell3") or listing.add_cell("cell3", UNREACHABLE_DB)
    with listing.dbs.engine("api").begin() as conn:
        instance_mapping.create(conn, uuid, project, "u", cell.id)


@SQLITE_ONLY
def test_down_cell_servers_as_partial_records_from_2_69(
    client: testing.TestClient, listing: ListingCloud
) -> None:
    up = listing.add_server("cell1")
    lost = "0000aaaa-0000-4000-8000-000000000001"
    map_to_down_cell(listing, lost)
    map_to_down_cell(listing, "0000aaaa-0000-4000-8000-000000000002", project="p2")

    brief = get(client, "servers", version="2.69").json["servers"]
    detail = get(client, "servers/detail", version="2.69").json["servers"]

    assert [s["id"] for s in brief] == [lost, up]
    assert set(brief[0]) == {"id", "status", "links"} and brief[0]["status"] == "UNKNOWN"
    assert set(detail[0]) == {"id", "status", "tenant_id", "created", "links"}
    assert detail[0]["tenant_id"] == "p1" and detail[0]["created"].endswith("Z")
    assert ids(get(client, "servers", version="2.68")) == [up]
    assert ids(get(client, "servers", "limit=5", version="2.69")) == [up]
    assert ids(get(client, "servers", "name=x", version="2.69")) == []
    admin_all = ids(get(client, "servers", "all_tenants=1", ADMIN, version="2.69"))
    assert admin_all[:2] == [lost, "0000aaaa-0000-4000-8000-000000000002"]


@SQLITE_ONLY
def test_create_keeps_its_handler(client: testing.TestClient) -> None:
    result = client.simulate_post(
        "/v2.1/servers", json={"server": {}}, headers={"X-Auth-Token": P1}
    )
    assert result.status_code == 400, result.text
