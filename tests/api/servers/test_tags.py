"""``/servers/{id}/tags`` (2.26+) over the ``cloud`` databases, with servers in two cells."""

from __future__ import annotations

import json
import threading
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.api import server_tags
from tessera.objects import build_request, instance_mapping, tag
from tessera.objects import instance as instances
from tessera.objects.build_request import BuildRequest
from tessera.objects.instance import Instance
from tests.api.cloud_rows import map_cells, place_server
from tests.api.stub_api import CallsAPI, stub_api
from tests.conftest import CloudDBs

V = "2.26"


@dataclass
class TagsCloud(CallsAPI):
    dbs: CloudDBs
    client: testing.TestClient
    cell_ids: dict[str, int] = field(default_factory=dict)

    def call(
        self, method: str, path: str, version: str | None = V, **options: Any
    ) -> testing.Result:
        """``method`` on ``/servers{path}``, at 2.26 unless told; raw bodies go untyped."""
        return super().call(method, f"/servers{path}", version, raw_type=None, **options)

    def server(self, cell: str = "cell1", vm_state: str = "active", project: str = "demo") -> str:
        uuid = str(uuidlib.uuid4())
        values = {"uuid": uuid, "project_id": project, "user_id": project, "vm_state": vm_state}
        return place_server(self.dbs, cell, self.cell_ids[cell], Instance(values, {}, {}))

    def building(self, tags: list[str]) -> str:
        uuid = str(uuidlib.uuid4())
        record = Instance({"uuid": uuid, "project_id": "demo", "vm_state": "building"}, {}, {})
        with self.dbs.engine("api").begin() as conn:
            build_request.create(
                conn,
                BuildRequest(uuid, "demo", json.dumps(record.to_dict()), tags=json.dumps(tags)),
            )
            instance_mapping.create(conn, uuid, "demo", "demo")
        return uuid

    def stored(self, uuid: str, cell: str = "cell1") -> list[str]:
        with self.dbs.engine(cell).connect() as conn:
            return tag.get_for_instance(conn, uuid)


@pytest.fixture
def tags_cloud(cloud: CloudDBs) -> Iterator[TagsCloud]:
    ids = map_cells(cloud)
    api = stub_api(cloud)
    server_tags.install(api.app, api.deps)
    yield TagsCloud(cloud, api.client(), ids)
    api.databases.dispose()


def test_replace_list_check_add_and_delete(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server("cell2")
    put = tags_cloud.call("PUT", f"/{uuid}/tags", body={"tags": ["web", "prod", "web"]})
    assert put.status_code == 200 and put.json == {"tags": ["prod", "web"]}
    assert tags_cloud.call("GET", f"/{uuid}/tags").json == {"tags": ["prod", "web"]}
    assert tags_cloud.call("GET", f"/{uuid}/tags/web").status_code == 204
    missing = tags_cloud.call("GET", f"/{uuid}/tags/db")
    assert missing.status_code == 404
    assert missing.json["itemNotFound"]["message"] == f"Server {uuid} has no tag 'db'"

    added = tags_cloud.call("PUT", f"/{uuid}/tags/db")
    assert added.status_code == 201
    assert added.headers["Location"].endswith(f"/v2.1/servers/{uuid}/tags/db")
    assert tags_cloud.call("PUT", f"/{uuid}/tags/db").status_code == 204  # already there
    assert tags_cloud.stored(uuid, "cell2") == ["db", "prod", "web"]

    assert tags_cloud.call("DELETE", f"/{uuid}/tags/web").status_code == 204
    gone = tags_cloud.call("DELETE", f"/{uuid}/tags/web")
    assert gone.status_code == 404
    assert gone.json["itemNotFound"]["message"] == f"Instance {uuid} has no tag 'web'"
    assert tags_cloud.call("DELETE", f"/{uuid}/tags").status_code == 204
    assert tags_cloud.stored(uuid, "cell2") == []


def test_tags_differing_in_case_or_trailing_space_are_distinct(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    for name in ("prod", "PROD", "prod "):
        assert tags_cloud.call("PUT", f"/{uuid}/tags/{name}").status_code == 201, name
    assert tags_cloud.stored(uuid) == ["PROD", "prod", "prod "]
    assert tags_cloud.call("GET", f"/{uuid}/tags/Prod").status_code == 404


def test_before_226_the_routes_do_not_exist(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    assert tags_cloud.call("GET", f"/{uuid}/tags", version="2.25").status_code == 404
    assert tags_cloud.call("PUT", f"/{uuid}/tags/x", version="2.25").status_code == 404
    assert tags_cloud.stored(uuid) == []


def test_another_projects_server_is_not_found(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server(project="alt")
    for method, path in (("GET", "/tags"), ("PUT", "/tags/x"), ("DELETE", "/tags")):
        result = tags_cloud.call(method, f"/{uuid}{path}")
        assert result.status_code == 404, (method, path)
    assert tags_cloud.call("PUT", f"/{uuid}/tags/x", who="admin").status_code == 201
    assert tags_cloud.call("GET", f"/{uuid}/tags", who="alt").json == {"tags": ["x"]}
    assert tags_cloud.call("GET", f"/{uuidlib.uuid4()}/tags").status_code == 404
    assert tags_cloud.call("GET", "/not-a-uuid/tags").status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"tags": ["a,b"]}, "tags/0"),
        ({"tags": ["a/b"]}, "tags/0"),
        ({"tags": [""]}, "tags/0"),
        ({"tags": ["x" * 61]}, "tags/0"),
        ({"tags": [f"t{i}" for i in range(51)]}, "tags"),
        ({"tags": "web"}, "tags"),
        ({}, "tags"),
    ],
)
def test_replace_refuses_bad_tags(tags_cloud: TagsCloud, body: Any, fragment: str) -> None:
    uuid = tags_cloud.server()
    result = tags_cloud.call("PUT", f"/{uuid}/tags", body=body)
    assert result.status_code == 400
    assert fragment in result.json["badRequest"]["message"]


def test_add_refuses_a_bad_tag_a_body_and_the_fifty_first(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    bad = tags_cloud.call("PUT", f"/{uuid}/tags/{'x' * 61}")
    assert bad.status_code == 400
    assert bad.json["badRequest"]["message"].startswith(f"Tag '{'x' * 61}' is invalid.")
    assert tags_cloud.call("PUT", f"/{uuid}/tags/a", raw=b'{"x": 1}').status_code == 400
    assert tags_cloud.call("PUT", f"/{uuid}/tags/a", raw=b"null").status_code == 201
    fifty = [f"t{i:02d}" for i in range(50)]
    assert tags_cloud.call("PUT", f"/{uuid}/tags", body={"tags": fifty}).status_code == 200
    over = tags_cloud.call("PUT", f"/{uuid}/tags/one-more")
    assert over.status_code == 400
    assert over.json["badRequest"]["message"] == (
        "The number of tags exceeded the per-server limit 50"
    )
    assert tags_cloud.call("PUT", f"/{uuid}/tags/t00").status_code == 204  # present: no-op


def test_concurrent_additions_cannot_pass_the_limit(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    base = [f"t{i:02d}" for i in range(48)]
    assert tags_cloud.call("PUT", f"/{uuid}/tags", body={"tags": base}).status_code == 200
    codes: list[int] = []

    def add(name: str) -> None:
        codes.append(tags_cloud.call("PUT", f"/{uuid}/tags/{name}").status_code)

    threads = [threading.Thread(target=add, args=(f"new{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201, 201, 400, 400]
    assert len(tags_cloud.stored(uuid)) == 50


@pytest.mark.parametrize("state", ["building", "error", "deleting", "rescued"])
def test_changes_need_a_settled_server(tags_cloud: TagsCloud, state: str) -> None:
    uuid = tags_cloud.server(vm_state=state)
    for method, path, action in (
        ("PUT", "/tags/x", "update tag"),
        ("PUT", "/tags", "update tags"),
        ("DELETE", "/tags/x", "delete tag"),
        ("DELETE", "/tags", "delete tags"),
    ):
        body = {"tags": ["x"]} if path == "/tags" and method == "PUT" else None
        result = tags_cloud.call(method, f"/{uuid}{path}", body=body)
        assert result.status_code == 409, (method, path)
        assert result.json["conflictingRequest"]["message"] == (
            f"Cannot '{action}' instance {uuid} while it is in vm_state {state}"
        )
    assert tags_cloud.call("GET", f"/{uuid}/tags").json == {"tags": []}


def test_a_building_server_shows_its_requested_tags_and_refuses_changes(
    tags_cloud: TagsCloud,
) -> None:
    uuid = tags_cloud.building(["b", "a", "b"])
    assert tags_cloud.call("GET", f"/{uuid}/tags").json == {"tags": ["a", "b"]}
    assert tags_cloud.call("GET", f"/{uuid}/tags/a").status_code == 204
    assert tags_cloud.call("PUT", f"/{uuid}/tags/c").status_code == 409


def test_a_deleted_server_has_no_tags_to_show(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    assert tags_cloud.call("PUT", f"/{uuid}/tags/x").status_code == 201
    with tags_cloud.dbs.engine("cell1").begin() as conn:
        instances.soft_delete(conn, uuid)
    assert tags_cloud.call("GET", f"/{uuid}/tags").status_code == 404
    assert tags_cloud.call("PUT", f"/{uuid}/tags/y").status_code == 404


def test_the_tags_column_is_case_sensitive_on_every_backend(tags_cloud: TagsCloud) -> None:
    uuid = tags_cloud.server()
    with tags_cloud.dbs.engine("cell1").begin() as conn:
        tag.create_many(conn, uuid, ["a", "A"])
        table = tag.TABLE
        found = conn.execute(sa.select(table.c.tag).where(table.c.tag == "a")).scalars().all()
    assert found == ["a"]
