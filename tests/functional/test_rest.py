"""The REST surface of the boot path, over HTTP against a running embedded cloud."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from tessera.deploy.cloud import EmbeddedCloud
from tests.functional.conftest import StartCloud, wait_for

DEMO = {"X-Auth-Token": "demo:demo"}


@pytest.fixture
def cloud(start_cloud: StartCloud) -> EmbeddedCloud:
    return start_cloud(cells=1, computes_per_cell=1)


def request(
    cloud: EmbeddedCloud,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, str], Any]:
    assert cloud.api_server is not None
    conn = http.client.HTTPConnection("127.0.0.1", cloud.api_server.port, timeout=10)
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    conn.request(
        method,
        path,
        body=payload,
        headers={"Content-Type": "application/json", **(headers or DEMO)},
    )
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.headers, json.loads(data) if data else None


def test_create_show_delete_over_http(cloud: EmbeddedCloud) -> None:
    status, headers, body = request(
        cloud,
        "POST",
        "/v2.1/servers",
        {"server": {"name": "web", "flavorRef": "1", "imageRef": "cirros", "networks": "none"}},
    )
    assert status == 202, body
    uuid = body["server"]["id"]
    assert headers["Location"].endswith(f"/v2.1/servers/{uuid}")

    def active() -> dict[str, Any] | None:
        _, _, shown = request(cloud, "GET", f"/v2.1/servers/{uuid}")
        return shown["server"] if shown["server"]["status"] == "ACTIVE" else None

    server = wait_for(active, 30, "ACTIVE")
    assert server["name"] == "web" and server["tenant_id"] == "demo"
    assert server["OS-EXT-STS:vm_state"] == "active" and server["hostId"]
    assert request(cloud, "DELETE", f"/v2.1/servers/{uuid}")[0] == 204


def test_version_headers_and_negotiation(cloud: EmbeddedCloud) -> None:
    status, headers, _ = request(
        cloud, "GET", "/v2.1/flavors", headers={**DEMO, "OpenStack-API-Version": "compute 2.47"}
    )
    assert status == 200
    assert headers["OpenStack-API-Version"] == "compute 2.47"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.47"
    status, _, body = request(
        cloud, "GET", "/v2.1/flavors", headers={**DEMO, "OpenStack-API-Version": "compute 2.x"}
    )
    assert status == 400 and "invalid format" in body["badRequest"]["message"]
    status, _, body = request(
        cloud, "GET", "/v2.1/flavors", headers={**DEMO, "OpenStack-API-Version": "compute 3.0"}
    )
    assert status == 406 and body["computeFault"]["code"] == 406


@pytest.mark.parametrize(
    ("method", "path", "raw", "status", "fault"),
    [
        ("POST", "/v2.1/servers", b"{not json", 400, "badRequest"),
        ("POST", "/v2.1/servers", b'{"server": {"name": "x"}}', 400, "badRequest"),
        (
            "POST",
            "/v2.1/servers",
            b'{"server": {"name": "x", "flavorRef": "1", "bogus": 1}}',
            400,
            "badRequest",
        ),
        (
            "POST",
            "/v2.1/servers",
            b'{"server": {"name": "x", "flavorRef": "99"}}',
            400,
            "badRequest",
        ),
        ("GET", "/v2.1/servers/not-a-uuid", None, 404, "itemNotFound"),
        ("GET", "/v2.1/servers/00000000-0000-4000-8000-000000000001", None, 404, "itemNotFound"),
        ("DELETE", "/v2.1/servers/00000000-0000-4000-8000-000000000001", None, 404, "itemNotFound"),
        ("GET", "/v2.1/flavors/99", None, 404, "itemNotFound"),
    ],
)
def test_bad_requests_get_compute_api_errors(
    cloud: EmbeddedCloud, method: str, path: str, raw: bytes | None, status: int, fault: str
) -> None:
    got, _, body = request(cloud, method, path, raw=raw)
    assert got == status
    assert body[fault]["code"] == status and body[fault]["message"]


def test_a_request_without_a_token_is_unauthorized(cloud: EmbeddedCloud) -> None:
    status, _, body = request(cloud, "GET", "/v2.1/flavors", headers={"X-Other": "1"})
    assert status == 401 and "unauthorized" in body


def test_version_documents_need_no_token(cloud: EmbeddedCloud) -> None:
    status, _, body = request(cloud, "GET", "/", headers={"X-Other": "1"})
    assert status == 200
    assert [v["id"] for v in body["versions"]] == ["v2.0", "v2.1"]
    status, _, body = request(cloud, "GET", "/v2.1", headers={"X-Other": "1"})
    assert body["version"]["min_version"] == "2.1"


def test_password_login_returns_a_token_and_a_catalog(cloud: EmbeddedCloud) -> None:
    status, _, body = request(cloud, "GET", "/identity/v3", headers={"X-Other": "1"})
    assert status == 200 and body["version"]["id"].startswith("v3")
    login = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "alice", "domain": {"name": "Default"}, "password": "secret"}
                },
            },
            "scope": {"project": {"name": "web", "domain": {"name": "Default"}}},
        }
    }
    status, headers, body = request(
        cloud, "POST", "/identity/v3/auth/tokens", login, headers={"X-Other": "1"}
    )
    assert status == 201
    token = headers["X-Subject-Token"]
    assert token == "alice:web"
    kinds = {entry["type"] for entry in body["token"]["catalog"]}
    assert {"compute", "image", "identity"} <= kinds
    status, _, flavors = request(cloud, "GET", "/v2.1/flavors", headers={"X-Auth-Token": token})
    assert status == 200 and flavors["flavors"]


def test_a_login_without_a_user_is_refused(cloud: EmbeddedCloud) -> None:
    login = {"auth": {"identity": {"methods": ["password"], "password": {"user": {}}}}}
    status, _, _ = request(
        cloud, "POST", "/identity/v3/auth/tokens", login, headers={"X-Other": "1"}
    )
    assert status == 401
