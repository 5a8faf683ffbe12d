"""Server group policies end to end: REST -> super conductor -> scheduler -> cells.

Two hosts, one in each of two cells, so the hosts of a group's members are
looked up across cells at schedule time.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

import pytest

from tessera.deploy.cloud import EmbeddedCloud
from tessera.placement.client import PlacementClient
from tests.functional.conftest import StartCloud, wait_for
from tests.functional.inspect import where

DEMO = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "compute 2.64"}
ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "compute 2.64"}


@pytest.fixture
def cloud(start_cloud: StartCloud) -> EmbeddedCloud:
    return start_cloud(cells=2, computes_per_cell=1)


def call(
    cloud: EmbeddedCloud, method: str, path: str, body: Any = None, admin: bool = False
) -> tuple[int, Any]:
    assert cloud.api_server is not None
    conn = http.client.HTTPConnection("127.0.0.1", cloud.api_server.port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **(ADMIN if admin else DEMO)}
    conn.request(method, f"/v2.1{path}", body=payload, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def new_group(cloud: EmbeddedCloud, policy: str) -> str:
    status, body = call(
        cloud, "POST", "/os-server-groups", {"server_group": {"name": policy, "policy": policy}}
    )
    assert status == 200, body
    return str(body["server_group"]["id"])


def boot(cloud: EmbeddedCloud, group: str, count: int = 1, name: str = "vm") -> list[str]:
    """Boot ``count`` servers into ``group`` in one request; their uuids."""
    body = {
        "server": {
            "name": name,
            "flavorRef": "1",
            "imageRef": "cirros",
            "networks": "none",
            "min_count": count,
            "max_count": count,
            "return_reservation_id": True,
        },
        "os:scheduler_hints": {"group": group},
    }
    status, answer = call(cloud, "POST", "/servers", body)
    assert status == 202, answer
    reservation = answer["reservation_id"]
    status, listed = call(cloud, "GET", f"/servers?reservation_id={reservation}")
    assert status == 200
    uuids = [s["id"] for s in listed["servers"]]
    assert len(uuids) == count
    return uuids


def settled(cloud: EmbeddedCloud, uuids: list[str]) -> dict[str, dict[str, Any]]:
    """Admin views of ``uuids`` once every one is ACTIVE or ERROR (else {})."""
    shown = {}
    for uuid in uuids:
        status, body = call(cloud, "GET", f"/servers/{uuid}", admin=True)
        assert status == 200, body
        server = body["server"]
        if server["status"] not in ("ACTIVE", "ERROR"):
            return {}
        shown[uuid] = server
    return shown


def wait_settled(cloud: EmbeddedCloud, uuids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = wait_for(lambda: settled(cloud, uuids), 60, "servers")
    return found


def hosts(servers: dict[str, dict[str, Any]]) -> list[str]:
    return [s["OS-EXT-SRV-ATTR:host"] for s in servers.values()]


def members(cloud: EmbeddedCloud, group: str) -> list[str]:
    status, body = call(cloud, "GET", f"/os-server-groups/{group}")
    assert status == 200, body
    return list(body["server_group"]["members"])


def test_anti_affinity_spreads_over_hosts_and_buries_the_one_too_many(
    cloud: EmbeddedCloud,
) -> None:
    group = new_group(cloud, "anti-affinity")
    first = boot(cloud, group, count=2)
    servers = wait_settled(cloud, first)
    assert {s["status"] for s in servers.values()} == {"ACTIVE"}
    assert sorted(hosts(servers)) == ["cell1-compute1", "cell2-compute1"]

    # The members run in two cells: the third request finds both hosts taken.
    (extra,) = boot(cloud, group, name="extra")
    server = wait_settled(cloud, [extra])[extra]
    assert server["status"] == "ERROR"
    assert server["fault"]["message"].startswith("No valid host was found.")
    assert cloud.placement is not None
    seen = where(cloud, PlacementClient(cloud.placement.transport()), extra)
    assert seen.live_rows == {"cell0": True} and seen.mapping_cell == "cell0"
    assert sorted(members(cloud, group)) == sorted([*first, extra])


def test_anti_affinity_holds_for_requests_sent_at_once(cloud: EmbeddedCloud) -> None:
    # Whether the two boots really overlap depends on timing; the overlap itself
    # is pinned in tests/scheduler/test_server_group_policies.py.
    group = new_group(cloud, "anti-affinity")
    found: list[list[str]] = []
    errors: list[BaseException] = []

    def one(name: str) -> None:
        try:
            found.append(boot(cloud, group, name=name))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(f"par-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    uuids = [u for batch in found for u in batch]
    servers = wait_settled(cloud, uuids)
    assert {s["status"] for s in servers.values()} == {"ACTIVE"}
    assert sorted(hosts(servers)) == ["cell1-compute1", "cell2-compute1"]


def test_affinity_keeps_every_member_on_one_host(cloud: EmbeddedCloud) -> None:
    group = new_group(cloud, "affinity")
    first = boot(cloud, group, count=3)
    servers = wait_settled(cloud, first)
    assert {s["status"] for s in servers.values()} == {"ACTIVE"}
    assert len(set(hosts(servers))) == 1
    (later,) = boot(cloud, group, name="later")
    shown = wait_settled(cloud, [later])[later]
    assert shown["status"] == "ACTIVE"
    assert shown["OS-EXT-SRV-ATTR:host"] == hosts(servers)[0]
    assert sorted(members(cloud, group)) == sorted([*first, later])


def test_soft_anti_affinity_never_fails_and_prefers_empty_hosts(cloud: EmbeddedCloud) -> None:
    group = new_group(cloud, "soft-anti-affinity")
    uuids = boot(cloud, group, count=3)
    servers = wait_settled(cloud, uuids)
    assert {s["status"] for s in servers.values()} == {"ACTIVE"}
    placed = hosts(servers)
    assert sorted(set(placed)) == ["cell1-compute1", "cell2-compute1"]
    assert sorted(placed.count(h) for h in set(placed)) == [1, 2]


def test_a_group_of_another_project_is_not_found(cloud: EmbeddedCloud) -> None:
    status, body = call(
        cloud,
        "POST",
        "/os-server-groups",
        {"server_group": {"name": "theirs", "policy": "affinity"}},
        admin=True,
    )
    assert status == 200
    theirs = body["server_group"]["id"]
    status, answer = call(
        cloud,
        "POST",
        "/servers",
        {
            "server": {"name": "x", "flavorRef": "1", "imageRef": "cirros", "networks": "none"},
            "os:scheduler_hints": {"group": theirs},
        },
    )
    assert status == 400
    assert answer["badRequest"]["message"] == f"Instance group {theirs} could not be found."
