"""Quota on server create, over HTTP against a running embedded cloud."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tessera.deploy.cloud import EmbeddedCloud
from tests.functional.conftest import StartCloud, wait_for

DEMO = {"X-Auth-Token": "demo:demo"}
ADMIN = {"X-Auth-Token": "admin:admin"}


@pytest.fixture
def cloud(start_cloud: StartCloud) -> EmbeddedCloud:
    return start_cloud(cells=1, computes_per_cell=1)


def call(
    cloud: EmbeddedCloud, method: str, path: str, body: Any = None, who: dict[str, str] = DEMO
) -> tuple[int, Any]:
    assert cloud.api_server is not None
    conn = http.client.HTTPConnection("127.0.0.1", cloud.api_server.port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    conn.request(
        method, f"/v2.1{path}", body=payload, headers={"Content-Type": "application/json", **who}
    )
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def boot(cloud: EmbeddedCloud, name: str, **counts: int) -> tuple[int, Any]:
    server = {
        "name": name,
        "flavorRef": "1",
        "imageRef": "cirros",
        "networks": "none",
        "return_reservation_id": True,
        **counts,
    }
    return call(cloud, "POST", "/servers", {"server": server})


def ids(cloud: EmbeddedCloud, reservation: str) -> list[str]:
    status, body = call(cloud, "GET", f"/servers?reservation_id={reservation}")
    assert status == 200
    return [s["id"] for s in body["servers"]]


def test_create_makes_what_fits_refuses_the_rest_and_frees_on_delete(
    cloud: EmbeddedCloud,
) -> None:
    status, _ = call(cloud, "PUT", "/os-quota-sets/demo", {"quota_set": {"instances": 3}}, ADMIN)
    assert status == 200

    status, body = boot(cloud, "many", min_count=1, max_count=5)
    assert status == 202, body
    made = ids(cloud, body["reservation_id"])
    assert len(made) == 3

    status, body = boot(cloud, "one-more")
    assert status == 403
    assert body["forbidden"]["message"] == (
        "Quota exceeded for instances: Requested 1, but already used 3 of 3 instances"
    )
    status, limits = call(cloud, "GET", "/limits")
    assert limits["limits"]["absolute"]["totalInstancesUsed"] == 3

    assert call(cloud, "DELETE", f"/servers/{made[0]}")[0] == 204

    def refused_no_more() -> bool:
        status, answer = boot(cloud, "after-delete")
        assert status in (202, 403), answer
        return status == 202

    wait_for(refused_no_more, 30, "the deleted server's quota to be free")


def test_cores_refuse_a_request_whose_minimum_does_not_fit(cloud: EmbeddedCloud) -> None:
    status, _ = call(cloud, "PUT", "/os-quota-sets/demo", {"quota_set": {"cores": 2}}, ADMIN)
    assert status == 200
    status, body = boot(cloud, "pair", min_count=3, max_count=4)
    assert status == 403
    assert body["forbidden"]["message"] == (
        "Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"
    )
    status, body = boot(cloud, "pair", min_count=1, max_count=4)
    assert status == 202
    assert len(ids(cloud, body["reservation_id"])) == 2
