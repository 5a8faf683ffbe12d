"""Authorization over HTTP: the API app on a real embedded cloud, driven by TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon
import pytest
from falcon import testing

from tessera import conf as tessera_conf
from tessera.api import request
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.policies import services
from tessera.policies.enforcer import Policy
from tessera.policies.middleware import PolicyMiddleware

DEMO = {"X-Auth-Token": "demo:demo"}
OTHER = {"X-Auth-Token": "eve:eve"}
ADMIN = {"X-Auth-Token": "admin"}
BOOT = {"server": {"name": "web", "flavorRef": "1", "imageRef": "cirros", "networks": "none"}}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCloud]:
    layout = EmbeddedLayout(
        tmp_path_factory.mktemp("policy-http") / "cloud",
        cells=1,
        computes_per_cell=1,
        api_port=0,
        fake_driver={"vcpus": "8", "memory_mb": "16384", "disk_gb": "200"},
    )
    prepare(layout)
    embedded = EmbeddedCloud(layout)
    try:
        embedded.start()
        embedded.discover_hosts()
        yield embedded
    finally:
        embedded.stop()


class AdminOnly:
    """Test-only route behind an admin-only rule (os-services is not routed yet)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request.authorize(req, services.LIST, {})
        resp.media = {"services": []}


def client(cloud: EmbeddedCloud, policy: Policy | None = None) -> testing.TestClient:
    """The API app; with ``policy``, set on requests the way the app will set it."""
    assert cloud.server_api is not None
    app = build_app(APIDeps(cloud.server_api, cloud.server_api.api_engine))
    app.add_route("/v2.1/os-services", AdminOnly())
    if policy is not None:
        app.add_middleware(PolicyMiddleware(policy))
    return testing.TestClient(app)


def boot(api: testing.TestClient) -> str:
    result = api.simulate_post("/v2.1/servers", json=BOOT, headers=DEMO)
    assert result.status_code == 202, result.text
    uuid: str = result.json["server"]["id"]
    return uuid


def forbidden(rule: str) -> dict[str, Any]:
    message = f"Policy doesn't allow {rule} to be performed."
    return {"forbidden": {"code": 403, "message": message}}


def test_non_admin_gets_403_for_an_admin_only_rule(cloud: EmbeddedCloud) -> None:
    api = client(cloud)
    denied = api.simulate_get("/v2.1/os-services", headers=DEMO)
    assert denied.status_code == 403
    assert denied.json == forbidden("os_compute_api:os-services:list")
    assert api.simulate_get("/v2.1/os-services", headers=ADMIN).status_code == 200


def test_another_projects_server_is_404_not_403(cloud: EmbeddedCloud) -> None:
    api = client(cloud)
    uuid = boot(api)
    for method in (api.simulate_get, api.simulate_delete):
        hidden = method(f"/v2.1/servers/{uuid}", headers=OTHER)
        assert hidden.status_code == 404
        assert hidden.json["itemNotFound"]["code"] == 404
    assert api.simulate_get(f"/v2.1/servers/{uuid}", headers=DEMO).status_code == 200
    assert api.simulate_get(f"/v2.1/servers/{uuid}", headers=ADMIN).status_code == 200
    assert api.simulate_delete(f"/v2.1/servers/{uuid}", headers=DEMO).status_code == 204


def test_policy_file_governs_the_server_routes(cloud: EmbeddedCloud, tmp_path: Path) -> None:
    rules = tmp_path / "policy-overrides.yaml"
    rules.write_text(
        '"os_compute_api:servers:show": "rule:context_is_admin"\n'
        '"os_compute_api:servers:delete": "rule:context_is_admin"\n',
        encoding="utf-8",
    )
    config = tmp_path / "tessera.conf"
    config.write_text(f"[oslo_policy]\npolicy_file = {rules}\n", encoding="utf-8")
    conf = tessera_conf.load(["--config-file", str(config)], config_files=[])
    api = client(cloud, Policy(conf))
    uuid = boot(api)  # create keeps its default
    shown = api.simulate_get(f"/v2.1/servers/{uuid}", headers=DEMO)
    assert shown.status_code == 403
    assert shown.json == forbidden("os_compute_api:servers:show")
    deleted = api.simulate_delete(f"/v2.1/servers/{uuid}", headers=DEMO)
    assert deleted.json == forbidden("os_compute_api:servers:delete")
    # Another project still cannot tell the server exists.
    assert api.simulate_get(f"/v2.1/servers/{uuid}", headers=OTHER).status_code == 404
    assert api.simulate_get(f"/v2.1/servers/{uuid}", headers=ADMIN).status_code == 200
    assert api.simulate_delete(f"/v2.1/servers/{uuid}", headers=ADMIN).status_code == 204
