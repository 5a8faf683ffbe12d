"""Server tags end to end: given at create (2.52), written with the instance, filtered, deleted."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tessera.db.engines import create_engine
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects import tag
from tests.functional.conftest import StartCloud, wait_for
from tests.functional.inspect import cell_urls

HEADERS = {"X-Auth-Token": "demo:demo", "OpenStack-API-Version": "compute 2.52"}


@pytest.fixture
def cloud(start_cloud: StartCloud) -> EmbeddedCloud:
    return start_cloud(cells=1, computes_per_cell=1)


def call(cloud: EmbeddedCloud, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    assert cloud.api_server is not None
    conn = http.client.HTTPConnection("127.0.0.1", cloud.api_server.port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **HEADERS}
    conn.request(method, f"/v2.1{path}", body=payload, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def boot(cloud: EmbeddedCloud, name: str, tags: list[str], flavor: str = "1") -> str:
    server = {"name": name, "flavorRef": flavor, "imageRef": "cirros", "networks": "none"}
    status, body = call(cloud, "POST", "/servers", {"server": {**server, "tags": tags}})
    assert status == 202, body
    return str(body["server"]["id"])


def status_of(cloud: EmbeddedCloud, uuid: str) -> str | None:
    status, body = call(cloud, "GET", f"/servers/{uuid}")
    if status == 404:
        return "gone"
    state = str(body["server"]["status"])
    return state if state in ("ACTIVE", "ERROR") else None


def stored(cloud: EmbeddedCloud, cell: str, uuid: str) -> list[str]:
    engine = create_engine(cell_urls(cloud)[cell])
    with engine.connect() as conn:
        found = tag.get_for_instance(conn, uuid)
    engine.dispose()
    return found


def test_tags_given_at_create_land_with_the_instance_and_go_with_it(
    cloud: EmbeddedCloud,
) -> None:
    web = boot(cloud, "web", ["web", "prod"])
    assert call(cloud, "GET", f"/servers/{web}/tags") == (200, {"tags": ["prod", "web"]})
    db = boot(cloud, "db", ["db", "prod"])
    wait_for(lambda: status_of(cloud, web) == "ACTIVE" == status_of(cloud, db), 30, "ACTIVE")
    assert stored(cloud, "cell1", web) == ["prod", "web"]
    assert sorted(call(cloud, "GET", f"/servers/{web}")[1]["server"]["tags"]) == ["prod", "web"]

    _, listed = call(cloud, "GET", "/servers?tags=prod&not-tags-any=db")
    assert [s["id"] for s in listed["servers"]] == [web]
    _, listed = call(cloud, "GET", "/servers?tags-any=db,web")
    assert sorted(s["id"] for s in listed["servers"]) == sorted([web, db])

    assert call(cloud, "DELETE", f"/servers/{web}")[0] == 204
    wait_for(lambda: status_of(cloud, web) == "gone", 30, "deleted")
    assert stored(cloud, "cell1", web) == []


def test_a_server_buried_in_cell0_keeps_its_tags(start_cloud: StartCloud) -> None:
    small = {"vcpus": "8", "memory_mb": "4096", "disk_gb": "200"}
    cloud = start_cloud(cells=1, computes_per_cell=1, fake_driver=small)
    uuid = boot(cloud, "huge", ["big"], flavor="4")  # m1.large: 8 GiB on a 4 GiB host
    wait_for(lambda: status_of(cloud, uuid) == "ERROR", 30, "ERROR")
    assert stored(cloud, "cell0", uuid) == ["big"]
    assert call(cloud, "GET", f"/servers/{uuid}/tags") == (200, {"tags": ["big"]})
    assert call(cloud, "GET", f"/servers/{uuid}")[1]["server"]["tags"] == ["big"]
