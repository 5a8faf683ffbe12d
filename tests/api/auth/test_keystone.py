"""``[api] auth_strategy = keystone``: keystonemiddleware in front of the real API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import falcon
import openstack
import pytest
from falcon import testing
from oslo_config import cfg

from tessera.api import auth, errors, identity
from tessera.api.server import APIServer
from tessera.deploy.cloud import EmbeddedCloud
from tests.api.auth.conftest import ACCOUNTS, Keystone, app_of, authtoken_options

UNAUTHORIZED = "The request you have made requires authentication."


def call(
    cloud: EmbeddedCloud,
    method: str,
    path: str,
    token: str | None = None,
    version: str = "2.1",
    **kwargs: Any,
) -> testing.Result:
    headers = {"OpenStack-API-Version": f"compute {version}", **kwargs.pop("headers", {})}
    if token is not None:
        headers["X-Auth-Token"] = token
    return testing.TestClient(app_of(cloud)).simulate_request(
        method, path, headers=headers, **kwargs
    )


def test_a_valid_token_passes_and_names_the_caller(
    keystone: Keystone, keystone_cloud: EmbeddedCloud
) -> None:
    demo, alt = keystone.token("demo"), keystone.token("alt")
    name = f"ks-{uuid.uuid4().hex[:8]}"
    created = call(
        keystone_cloud, "POST", "/v2.1/os-keypairs", demo, "2.10", json={"keypair": {"name": name}}
    )
    assert created.status_code == 201, created.text
    assert created.json["keypair"]["user_id"] == "demo"
    mine = call(keystone_cloud, "GET", "/v2.1/os-keypairs", demo).json["keypairs"]
    theirs = call(keystone_cloud, "GET", "/v2.1/os-keypairs", alt).json["keypairs"]
    assert name in {k["keypair"]["name"] for k in mine}
    assert name not in {k["keypair"]["name"] for k in theirs}
    assert call(keystone_cloud, "DELETE", f"/v2.1/os-keypairs/{name}", demo).status_code == 202


def test_an_image_created_with_a_keystone_token_is_the_token_projects(
    keystone: Keystone, keystone_cloud: EmbeddedCloud
) -> None:
    """The image API takes the caller keystonemiddleware found, not the token's text."""
    demo, alt = keystone.token("demo"), keystone.token("alt")
    name = f"ks-{uuid.uuid4().hex[:8]}"
    created = call(keystone_cloud, "POST", "/image/v2/images", demo, json={"name": name})
    assert created.status_code == 201, created.text
    image = created.json
    assert (image["owner"], image["visibility"]) == ("demo", "shared")
    path = f"/image/v2/images/{image['id']}"
    assert call(keystone_cloud, "GET", path, alt).status_code == 404
    listed = call(keystone_cloud, "GET", "/image/v2/images", demo).json["images"]
    assert image["id"] in {found["id"] for found in listed}
    assert call(keystone_cloud, "DELETE", path, demo).status_code == 204


def test_roles_come_from_keystone_not_from_the_client(
    keystone: Keystone, keystone_cloud: EmbeddedCloud
) -> None:
    spoofed = {"X-Roles": "admin", "X-User-Id": "boss", "X-Project-Id": "admin"}
    demo = call(keystone_cloud, "GET", "/v2.1/os-services", keystone.token("demo"), headers=spoofed)
    assert demo.status_code == 403, demo.text
    boss = call(keystone_cloud, "GET", "/v2.1/os-services", keystone.token("boss"))
    assert boss.status_code == 200, boss.text


@pytest.mark.parametrize("token", ["not-a-token", "demo:demo", "admin:admin", None])
def test_a_bad_or_missing_token_is_401_in_the_compute_form(
    keystone: Keystone, keystone_cloud: EmbeddedCloud, token: str | None
) -> None:
    for path in ("/v2.1/servers", "/v2.1/os-keypairs", "/image/v2/images"):
        answer = call(keystone_cloud, "GET", path, token)
        assert answer.status_code == 401, answer.text
        assert answer.json == {"unauthorized": {"code": 401, "message": UNAUTHORIZED}}
        assert answer.headers["WWW-Authenticate"] == f'Keystone uri="{keystone.url}"'


def test_documents_need_no_token_and_the_built_in_identity_is_gone(
    keystone_cloud: EmbeddedCloud,
) -> None:
    for path in ("/", "/v2.1", "/v2.1/openapi.json", "/image/versions"):
        assert call(keystone_cloud, "GET", path).status_code in (200, 300), path
    assert call(keystone_cloud, "GET", "/identity/v3").status_code == 404


def test_openstacksdk_through_keystone(keystone: Keystone, keystone_cloud: EmbeddedCloud) -> None:
    """A real client: password auth at the stand-in, token validated by the API."""
    assert keystone_cloud.api_server is not None
    base = f"http://127.0.0.1:{keystone_cloud.api_server.port}"
    account = next(a for a in ACCOUNTS if a.name == "demo")
    conn = openstack.connect(
        auth_url=keystone.url,
        username=account.name,
        password=account.password,
        project_name=account.project,
        user_domain_name="Default",
        project_domain_name="Default",
        compute_endpoint_override=f"{base}/v2.1",
        load_yaml_config=False,
        load_envvars=False,
    )
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    try:
        conn.compute.create_keypair(name=name)
        assert name in {k.name for k in conn.compute.keypairs()}
    finally:
        conn.compute.delete_keypair(name, ignore_missing=True)
        conn.close()


class _Who:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = req.context.ctx.to_dict()


def _keystone_app(tmp_path: Path, url: str) -> falcon.App[falcon.Request, falcon.Response]:
    conf_file = tmp_path / "api.conf"
    lines = [f"{key} = {value}" for key, value in authtoken_options(url).items()]
    text = "[api]\nauth_strategy = keystone\n[keystone_authtoken]\n" + "\n".join(lines)
    conf_file.write_text(text)
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt("auth_strategy")], group="api")
    conf(["--config-file", str(conf_file)], default_config_files=[])
    middleware = auth.middleware(conf)
    assert isinstance(middleware, auth.KeystoneAuthMiddleware)
    app = falcon.App(middleware=[middleware])
    errors.install(app)
    app.add_route("/v2.1/who", _Who())
    return app


def test_an_unreachable_keystone_is_503(tmp_path: Path) -> None:
    """Tokens cannot be checked: 503 in the compute form, not 401 (nor 500)."""
    stand_in = APIServer(
        identity.standalone_app(identity.IssuedTokens(ACCOUNTS)), "127.0.0.1", 0, threads=2
    )
    stand_in.start()
    keystone = Keystone(stand_in, f"http://127.0.0.1:{stand_in.port}{identity.PREFIX}/v3")
    client = testing.TestClient(_keystone_app(tmp_path, keystone.url))
    token = keystone.token("boss")
    who = client.simulate_get("/v2.1/who", headers={"X-Auth-Token": token})
    assert who.status_code == 200, who.text
    assert who.json["user_id"] == "boss" and who.json["is_admin"] is True
    stand_in.stop()
    fresh = client.simulate_get("/v2.1/who", headers={"X-Auth-Token": "never-seen"})
    assert fresh.status_code == 503, fresh.text
    assert set(fresh.json) == {"serviceUnavailable"}


def test_noauth2_is_the_default() -> None:
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.StrOpt("auth_strategy", default="noauth2")], group="api")
    conf([], default_config_files=[])
    chosen = auth.middleware(conf)
    assert isinstance(chosen, auth.NoAuthMiddleware) and chosen.serves_identity
