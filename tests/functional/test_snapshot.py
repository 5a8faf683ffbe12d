"""``createImage`` and ``forceDelete`` on a whole embedded cloud, over its real HTTP API.

Snapshots land in the cloud's built-in image service and are read back through
the image API, byte for byte against the guest's disk file on its compute.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tessera.compute.api import ServerRequest
from tessera.deploy.cloud import EmbeddedCloud
from tessera.image.records import ListQuery
from tessera.objects import flavor, instance_action, instance_fault
from tessera.objects import instance as instances
from tests.functional.conftest import ADMIN, DEMO, StartCloud, wait_for

TOKENS = {"demo": "demo:demo", "admin": "admin:demo", "other": "eve:other"}
NANO = "t0"  # a flavor without a root disk: the guest's disk is its 4 KiB header


@dataclass
class Env:
    cloud: EmbeddedCloud
    base: str
    http: requests.Session

    def call(
        self, method: str, path: str, body: Any = None, who: str = "demo", version: str = "2.45"
    ) -> requests.Response:
        headers = {"X-Auth-Token": TOKENS[who], "OpenStack-API-Version": f"compute {version}"}
        return self.http.request(method, f"{self.base}{path}", json=body, headers=headers)

    def act(self, uuid: str, body: Any, who: str = "demo", version: str = "2.45") -> Any:
        return self.call("POST", f"/v2.1/servers/{uuid}/action", body, who, version)

    @property
    def cell_engine(self) -> sa.Engine:
        api = self.cloud.server_api
        assert api is not None
        [cell] = [c for c in api.targets.cells() if c.name == "cell1"]
        return api.targets.engine(cell)

    def record(self, uuid: str) -> instances.Instance:
        with self.cell_engine.connect() as conn:
            return instances.get(conn, uuid)

    def disk(self, uuid: str) -> Path:
        record = self.record(uuid)
        return self.cloud.layout.data_dir / "instances" / str(record.host) / uuid / "disk"


@pytest.fixture
def env(start_cloud: StartCloud) -> Iterator[Env]:
    cloud = start_cloud(cells=1, computes_per_cell=1)
    api, server = cloud.server_api, cloud.api_server
    assert api is not None and server is not None
    with api.api_engine.begin() as conn:
        flavor.create(conn, NANO, "t0.nano", 1, 128, 0)
    with requests.Session() as http:
        yield Env(cloud, f"http://127.0.0.1:{server.port}", http)


def boot(env: Env) -> str:
    api, images = env.cloud.server_api, env.cloud.images
    assert api is not None and images is not None
    [cirros] = images.list(ADMIN, ListQuery(matches={"name": ("cirros",)}))
    request = ServerRequest(name="vm", flavor_id=NANO, image_ref=cirros.id, networks="none")
    uuid = str(api.create(DEMO, request)[0].uuid)
    settle(env, uuid, "active")
    return uuid


def settle(env: Env, uuid: str, vm_state: str) -> instances.Instance:
    api = env.cloud.server_api
    assert api is not None

    def done() -> instances.Instance | None:
        record = api.get(ADMIN, uuid).instance  # a build request while it is scheduled
        return record if (record.vm_state, record.task_state) == (vm_state, None) else None

    found: instances.Instance = wait_for(done, 30, f"{uuid} {vm_state} and idle")
    return found


def active_image(env: Env, image_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        image: dict[str, Any] = env.call("GET", f"/image/v2/images/{image_id}").json()
        return image if image["status"] == "active" else None

    found: dict[str, Any] = wait_for(done, 30, f"image {image_id} active")
    return found


def snapshot_events(env: Env, uuid: str) -> list[instance_action.ActionEvent]:
    with env.cell_engine.connect() as conn:
        return instance_action.events(conn, uuid, "createImage")


def test_snapshot_of_an_active_server_is_its_disk(env: Env) -> None:
    uuid = boot(env)
    body = {"createImage": {"name": "nightly", "metadata": {"purpose": "backup"}}}

    resp = env.act(uuid, body)

    assert resp.status_code == 202, resp.text
    image_id = resp.json()["image_id"]
    image = active_image(env, image_id)
    assert (image["name"], image["owner"], image["visibility"]) == ("nightly", "demo", "private")
    assert (image["disk_format"], image["container_format"]) == ("raw", "bare")
    assert image["instance_uuid"] == uuid and image["image_type"] == "snapshot"
    assert image["base_image_ref"] == env.record(uuid).image_ref
    assert (image["purpose"], image["user_id"]) == ("backup", "demo")
    data = env.call("GET", f"/image/v2/images/{image_id}/file")
    assert data.status_code == 200
    assert data.content == env.disk(uuid).read_bytes()
    settle(env, uuid, "active")
    wait_for(lambda: snapshot_events(env, uuid), 10, "the snapshot event")
    [event] = snapshot_events(env, uuid)
    assert (event.event, event.result) == ("compute_snapshot_instance", "Success")


def test_snapshot_of_a_shutoff_server_before_245(env: Env) -> None:
    uuid = boot(env)
    assert env.act(uuid, {"os-stop": None}).status_code == 202
    settle(env, uuid, "stopped")

    resp = env.act(uuid, {"createImage": {"name": "cold"}}, version="2.44")

    assert resp.status_code == 202 and not resp.text
    location = resp.headers["Location"]
    assert location.startswith(f"{env.base}/image/v2/images/")
    image_id = location.rsplit("/", 1)[1]
    image = active_image(env, image_id)
    assert image["size"] == env.disk(uuid).stat().st_size
    assert env.call("GET", f"/image/v2/images/{image_id}/file").content == (
        env.disk(uuid).read_bytes()
    )
    assert settle(env, uuid, "stopped").power_state == 4


def test_create_image_refusals(env: Env) -> None:
    uuid = boot(env)
    for bad in (
        {"createImage": {}},
        {"createImage": {"name": ""}},
        {"createImage": {"name": " padded "}},
        {"createImage": {"name": "x", "extra": 1}},
        {"createImage": {"name": "x", "metadata": {"bad/key": "v"}}},
        {"createImage": {"name": "x", "metadata": {"k": "v" * 256}}},
        {"createImage": None},
    ):
        resp = env.act(uuid, bad)
        assert resp.status_code == 400, (bad, resp.text)
        assert resp.json()["badRequest"]["code"] == 400
    padded = env.act(uuid, {"createImage": {"name": " padded "}}).json()["badRequest"]["message"]
    assert padded == (
        "Invalid input for field/attribute name. Value: \x27 padded \x27. "
        "A name may not begin or end with white space nor hold control characters."
    )
    assert env.act(uuid, {"createImage": {"name": "x"}}, who="other").status_code == 404
    too_many = {f"k{i}": "v" for i in range(129)}
    old = env.act(uuid, {"createImage": {"name": "x", "metadata": too_many}}, version="2.38")
    assert old.status_code == 403
    read_only = env.act(uuid, {"createImage": {"name": "x", "metadata": {"status": "active"}}})
    assert read_only.status_code == 403

    with env.cell_engine.begin() as conn:
        instances.update(conn, uuid, {"vm_state": "error"})
    resp = env.act(uuid, {"createImage": {"name": "x"}})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'createImage' instance {uuid} while it is in vm_state error"
    )
    with env.cell_engine.begin() as conn:
        instances.update(conn, uuid, {"vm_state": "active", "task_state": "rebooting"})
    assert env.act(uuid, {"createImage": {"name": "x"}}).status_code == 409
    # A refused snapshot leaves no image behind.
    listed = env.call("GET", "/image/v2/images?name=x").json()["images"]
    assert listed == []


def test_a_locked_server_can_be_snapshotted(env: Env) -> None:
    uuid = boot(env)
    assert env.act(uuid, {"lock": None}, who="admin").status_code == 202

    resp = env.act(uuid, {"createImage": {"name": "locked"}})

    assert resp.status_code == 202
    active_image(env, resp.json()["image_id"])


def test_a_failed_snapshot_leaves_no_image_and_records_why(env: Env) -> None:
    uuid = boot(env)
    env.disk(uuid).unlink()  # the hypervisor lost the guest's disk

    resp = env.act(uuid, {"createImage": {"name": "doomed"}})

    assert resp.status_code == 202
    image_id = resp.json()["image_id"]
    settle(env, uuid, "active")
    wait_for(lambda: snapshot_events(env, uuid), 10, "the snapshot event")
    [event] = snapshot_events(env, uuid)
    assert event.result == "Error" and "LookupError" in (event.traceback or "")
    assert env.call("GET", f"/image/v2/images/{image_id}").status_code == 404
    with env.cell_engine.connect() as conn:
        fault = instance_fault.latest(conn, uuid)
    assert fault is not None and fault.code == 500
    assert "does not exist on host" in fault.message


def test_force_delete(env: Env) -> None:
    uuid = boot(env)
    assert env.act(uuid, {"forceDelete": None}, who="other").status_code == 404
    missing = str(uuidlib.uuid4())
    assert env.act(missing, {"forceDelete": None}).status_code == 404
    assert env.act(uuid, {"lock": None}).status_code == 202

    locked = env.act(uuid, {"forceDelete": None})

    assert locked.status_code == 409
    assert locked.json()["conflictingRequest"]["message"] == f"Instance {uuid} is locked"
    resp = env.act(uuid, {"forceDelete": None}, who="admin")
    assert resp.status_code == 202 and not resp.text
    wait_for(lambda: env.call("GET", f"/v2.1/servers/{uuid}").status_code == 404, 30, "server gone")
    assert env.act(uuid, {"forceDelete": None}).status_code == 404
