"""Server actions, metadata and action history on an embedded cloud (one cell, one host)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import falcon.testing
import pytest

from tessera.api import instance_actions, server_actions, server_metadata
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.compute.actions import InstanceInvalidState, InstanceLocked, ServerActions
from tessera.compute.api import ServerAPI, ServerRequest
from tessera.context import RequestContext
from tessera.deploy.cloud import EmbeddedCloud
from tessera.objects.errors import InstanceNotFound
from tests.functional.conftest import ADMIN, DEMO, StartCloud, wait_for

DEMO_TOKEN = {"X-Auth-Token": "demo:demo"}
ADMIN_TOKEN = {"X-Auth-Token": "admin:demo"}
OTHER_TOKEN = {"X-Auth-Token": "eve:other"}
OTHER = RequestContext(user_id="eve", project_id="other", roles=("member",))


@dataclass
class Env:
    cloud: EmbeddedCloud
    api: ServerAPI
    logic: ServerActions
    client: falcon.testing.TestClient


@pytest.fixture
def env(start_cloud: StartCloud) -> Iterator[Env]:
    cloud = start_cloud(cells=1, computes_per_cell=1)
    api = cloud.server_api
    assert api is not None
    deps = APIDeps(api, api.api_engine)
    app = build_app(deps)
    for module in (server_actions, server_metadata, instance_actions):
        module.install(app, deps)
    yield Env(cloud, api, ServerActions(api.targets), falcon.testing.TestClient(app))


def boot(env: Env) -> str:
    request = ServerRequest(name="vm", flavor_id="1", image_ref="cirros", networks="none")
    uuid = env.api.create(DEMO, request)[0].uuid
    settle(env, uuid, "active")
    return str(uuid)


def settle(env: Env, uuid: str, vm_state: str) -> Any:
    def done() -> Any:
        record = env.api.get(ADMIN, uuid).instance
        return record if record.vm_state == vm_state and record.task_state is None else None

    return wait_for(done, 30, f"{uuid} {vm_state}")


def act(env: Env, uuid: str, body: Any, headers: dict[str, str] = DEMO_TOKEN) -> Any:
    return env.client.simulate_post(f"/v2.1/servers/{uuid}/action", json=body, headers=headers)


# ---------------------------------------------------------------------- logic level


def test_stop_start_reboot_through_the_logic(env: Env) -> None:
    uuid = boot(env)
    env.logic.stop(DEMO, env.logic.locate(DEMO, uuid))
    stopped = settle(env, uuid, "stopped")
    assert stopped.power_state == 4
    with pytest.raises(InstanceInvalidState, match=f"Cannot 'stop' instance {uuid} while"):
        env.logic.stop(DEMO, env.logic.locate(DEMO, uuid))
    env.logic.start(DEMO, env.logic.locate(DEMO, uuid))
    assert settle(env, uuid, "active").power_state == 1
    env.logic.reboot(DEMO, env.logic.locate(DEMO, uuid), hard=False)
    assert settle(env, uuid, "active").power_state == 1
    found = env.logic.locate(DEMO, uuid)
    reboot = next(a for a in env.logic.actions(found) if a.values["action"] == "reboot")
    events = env.logic.action(found, reboot.values["request_id"]).events
    assert [(e["event"], e["result"]) for e in events] == [("compute_reboot_instance", "Success")]
    with pytest.raises(InstanceNotFound):
        env.logic.locate(OTHER, uuid)


def test_lock_blocks_owner_not_admin(env: Env) -> None:
    uuid = boot(env)
    env.logic.lock(DEMO, env.logic.locate(DEMO, uuid))
    with pytest.raises(InstanceLocked):
        env.logic.stop(DEMO, env.logic.locate(DEMO, uuid))
    env.logic.stop(ADMIN, env.logic.locate(ADMIN, uuid))
    settle(env, uuid, "stopped")


# ---------------------------------------------------------------------- HTTP


def test_power_actions_over_http(env: Env) -> None:
    uuid = boot(env)
    resp = act(env, uuid, {"os-stop": None})
    assert resp.status_code == 202, resp.text
    settle(env, uuid, "stopped")
    shown = env.client.simulate_get(f"/v2.1/servers/{uuid}", headers=DEMO_TOKEN).json["server"]
    assert shown["status"] == "SHUTOFF" and shown["OS-EXT-STS:power_state"] == 4

    resp = act(env, uuid, {"os-stop": None})
    assert resp.status_code == 409
    message = resp.json["conflictingRequest"]["message"]
    assert message == f"Cannot 'stop' instance {uuid} while it is in vm_state stopped"

    assert act(env, uuid, {"os-start": None}).status_code == 202
    settle(env, uuid, "active")
    assert act(env, uuid, {"os-start": None}).status_code == 409

    assert act(env, uuid, {"reboot": {"type": "HARD"}}).status_code == 202
    record = settle(env, uuid, "active")
    assert record.power_state == 1
    assert act(env, uuid, {"reboot": {"type": "SOFT"}}).status_code == 202
    settle(env, uuid, "active")

    assert act(env, uuid, {"reboot": {"type": "WARM"}}).status_code == 400
    assert act(env, uuid, {"frobnicate": None}).status_code == 400
    assert act(env, uuid, {"os-stop": None}, OTHER_TOKEN).status_code == 404
    assert act(env, "not-a-uuid", {"os-stop": None}).status_code == 404


def test_lock_over_http(env: Env) -> None:
    uuid = boot(env)
    headers = {**DEMO_TOKEN, "OpenStack-API-Version": "compute 2.73"}
    resp = act(env, uuid, {"lock": {"locked_reason": "maintenance"}}, headers)
    assert resp.status_code == 202 and not resp.text
    shown = env.client.simulate_get(f"/v2.1/servers/{uuid}", headers=headers).json["server"]
    assert shown["locked"] is True

    resp = act(env, uuid, {"os-stop": None})
    assert resp.status_code == 409
    meta = env.client.simulate_post(
        f"/v2.1/servers/{uuid}/metadata", json={"metadata": {"a": "1"}}, headers=DEMO_TOKEN
    )
    assert meta.status_code == 409
    assert act(env, uuid, {"os-stop": None}, ADMIN_TOKEN).status_code == 202
    settle(env, uuid, "stopped")

    # Before 2.73 a lock takes no reason.
    assert act(env, uuid, {"lock": {"locked_reason": "x"}}).status_code == 400
    assert act(env, uuid, {"unlock": None}).status_code == 202
    assert act(env, uuid, {"os-start": None}).status_code == 202
    settle(env, uuid, "active")

    # A lock by an admin is lifted by an admin only.
    assert act(env, uuid, {"lock": None}, ADMIN_TOKEN).status_code == 202
    assert act(env, uuid, {"unlock": None}).status_code == 403
    assert act(env, uuid, {"unlock": None}, ADMIN_TOKEN).status_code == 202


def test_metadata_over_http(env: Env) -> None:
    uuid = boot(env)
    base = f"/v2.1/servers/{uuid}/metadata"
    c = env.client
    assert c.simulate_get(base, headers=DEMO_TOKEN).json == {"metadata": {}}
    resp = c.simulate_post(base, json={"metadata": {"a": "1", "b": "2"}}, headers=DEMO_TOKEN)
    assert resp.status_code == 200 and resp.json == {"metadata": {"a": "1", "b": "2"}}
    resp = c.simulate_post(base, json={"metadata": {"b": "3"}}, headers=DEMO_TOKEN)
    assert resp.json == {"metadata": {"a": "1", "b": "3"}}
    resp = c.simulate_put(base, json={"metadata": {"c": "4"}}, headers=DEMO_TOKEN)
    assert resp.json == {"metadata": {"c": "4"}}
    assert c.simulate_get(base, headers=DEMO_TOKEN).json == {"metadata": {"c": "4"}}

    resp = c.simulate_put(f"{base}/d", json={"meta": {"d": "5"}}, headers=DEMO_TOKEN)
    assert resp.status_code == 200 and resp.json == {"meta": {"d": "5"}}
    assert c.simulate_get(f"{base}/d", headers=DEMO_TOKEN).json == {"meta": {"d": "5"}}
    assert (
        c.simulate_put(f"{base}/x", json={"meta": {"d": "5"}}, headers=DEMO_TOKEN).status_code
        == 400
    )
    assert c.simulate_delete(f"{base}/d", headers=DEMO_TOKEN).status_code == 204
    assert c.simulate_get(f"{base}/d", headers=DEMO_TOKEN).status_code == 404
    assert c.simulate_delete(f"{base}/d", headers=DEMO_TOKEN).status_code == 404

    too_long = {"metadata": {"k": "v" * 256}}
    assert c.simulate_post(base, json=too_long, headers=DEMO_TOKEN).status_code == 400
    too_many = {"metadata": {f"k{i}": "v" for i in range(129)}}
    assert c.simulate_put(base, json=too_many, headers=DEMO_TOKEN).status_code == 403
    assert c.simulate_post(base, json={"nope": {}}, headers=DEMO_TOKEN).status_code == 400
    assert c.simulate_get(base, headers=OTHER_TOKEN).status_code == 404

    # Metadata lives in the cell, so the server's own view shows it.
    shown = c.simulate_get(f"/v2.1/servers/{uuid}", headers=DEMO_TOKEN).json["server"]
    assert shown["metadata"] == {"c": "4"}


def test_instance_actions_over_http(env: Env) -> None:
    uuid = boot(env)
    assert act(env, uuid, {"os-stop": None}).status_code == 202
    settle(env, uuid, "stopped")
    assert act(env, uuid, {"os-start": None}).status_code == 202
    settle(env, uuid, "active")

    base = f"/v2.1/servers/{uuid}/os-instance-actions"
    listed = env.client.simulate_get(base, headers=DEMO_TOKEN).json["instanceActions"]
    assert [a["action"] for a in listed] == ["start", "stop", "create"]
    stop = next(a for a in listed if a["action"] == "stop")

    headers = {**DEMO_TOKEN, "OpenStack-API-Version": "compute 2.51"}
    shown = env.client.simulate_get(f"{base}/{stop['request_id']}", headers=headers).json
    events = shown["instanceAction"]["events"]
    assert [e["event"] for e in events] == ["compute_stop_instance"]
    assert events[0]["result"] == "Success" and "traceback" not in events[0]

    admin = {**ADMIN_TOKEN, "OpenStack-API-Version": "compute 2.62"}
    shown = env.client.simulate_get(f"{base}/{stop['request_id']}", headers=admin).json
    assert "traceback" in shown["instanceAction"]["events"][0]
    assert shown["instanceAction"]["events"][0]["host"]

    create = next(a for a in listed if a["action"] == "create")
    shown = env.client.simulate_get(f"{base}/{create['request_id']}", headers=headers).json
    assert shown["instanceAction"]["events"]

    assert env.client.simulate_get(f"{base}/req-missing", headers=DEMO_TOKEN).status_code == 404
    assert env.client.simulate_get(base, headers=OTHER_TOKEN).status_code == 404
