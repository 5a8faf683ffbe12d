"""``POST /servers``: hints and groups, quota, counts, reservation ids and tags.

The app is the real compute API over the ``cloud`` databases (cells mapped);
its super conductor is an in-memory recorder of casts, so a create's records
can be inspected before anything schedules them.
"""

from __future__ import annotations

import json
import threading
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.context import RequestContext
from tessera.db.engines import Databases
from tessera.objects import build_request, flavor, instance_mapping, quota, server_group
from tessera.objects import request_spec as request_specs
from tessera.objects.instance import Instance
from tests.api.cloud_rows import map_cells, map_server, place_server
from tests.api.mapped_cloud import MappedCloud
from tests.api.stub_api import cell_targets, open_databases, stub_servers
from tests.conftest import CloudDBs

MEMBERS = server_group.MEMBERS


class RecordingConductor:
    """The super conductor's client, keeping the casts instead of sending them."""

    def __init__(self) -> None:
        self.casts: list[list[str]] = []

    def schedule_and_build_instances(self, ctx: RequestContext, instance_uuids: list[str]) -> None:
        self.casts.append(list(instance_uuids))


class BarrierNetwork:
    """A network service whose port allocation waits for ``parties`` creates to arrive.

    Two creates then pass their quota check before either records its servers:
    the race the post-record check exists for.
    """

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=20)
        self.ports: set[str] = set()
        self._waited: set[int] = set()

    def validate_request(self, project_id: str | None, networks: Any) -> None:
        ident = threading.get_ident()
        if ident not in self._waited:
            self._waited.add(ident)
            self.barrier.wait()

    def allocate_for_instance(
        self, uuid: str, project_id: str | None, networks: Any, **kw: Any
    ) -> None:
        self.ports.add(uuid)

    def deallocate_for_instance(self, uuid: str) -> None:
        self.ports.discard(uuid)


@dataclass
class CreateCloud(MappedCloud):
    """The client, the recorder, and helpers reading what a create wrote."""

    conductor: RecordingConductor

    def post(
        self,
        server: dict[str, Any],
        version: str | None = None,
        who: str = "demo",
        **extra: Any,
    ) -> testing.Result:
        body = {"server": {"flavorRef": "1", "imageRef": "cirros", **server}, **extra}
        return self.call("POST", "/servers", version, who=who, body=body)

    def specs(self, uuids: list[str]) -> list[dict[str, Any]]:
        with self.dbs.engine("api").connect() as conn:
            found = [request_specs.get(conn, u) for u in uuids]
        return [s.spec for s in found if s is not None]

    def build_request(self, uuid: str) -> build_request.BuildRequest | None:
        with self.dbs.engine("api").connect() as conn:
            return build_request.get(conn, uuid)

    def mapped(self, project: str = "demo") -> list[str]:
        table = instance_mapping.TABLE
        with self.dbs.engine("api").connect() as conn:
            stmt = sa.select(table.c.instance_uuid).where(table.c.project_id == project)
            return list(conn.execute(stmt).scalars())

    def set_quota(self, project: str = "demo", **values: int) -> None:
        with self.dbs.engine("api").begin() as conn:
            quota.update(conn, project, values)

    def group(self, policy: str = "anti-affinity", project: str = "demo") -> str:
        with self.dbs.engine("api").begin() as conn:
            return server_group.create(conn, project, project, "g", policy, {}).uuid

    def members(self, group: str) -> list[str]:
        with self.dbs.engine("api").connect() as conn:
            return list(server_group.get(conn, group).members)

    def running(self, cell: str, vcpus: int = 1, ram: int = 512, project: str = "demo") -> str:
        """A server already in ``cell`` (row, mapping and request spec)."""
        uuid = str(uuidlib.uuid4())
        values = {
            "uuid": uuid,
            "project_id": project,
            "user_id": project,
            "vm_state": "active",
            "display_name": "old",
            "vcpus": vcpus,
            "memory_mb": ram,
        }
        flavor = {"vcpus": vcpus, "memory_mb": ram}
        record = Instance(values, flavor, {})
        return place_server(self.dbs, cell, self.cell_ids[cell], record, {"flavor": flavor})


def open_create_cloud(
    dbs: CloudDBs, tmp: Path, network: Any = None
) -> tuple[CreateCloud, Databases]:
    databases = open_databases()
    conductor = RecordingConductor()
    targets = cell_targets(databases, dbs)
    servers = stub_servers(targets, conductor, network=network, cell_timeout=3.0)
    app = build_app(APIDeps(servers, servers.api_engine))
    made = CreateCloud(dbs, testing.TestClient(app), tmp, cell_ids={}, conductor=conductor)
    return made, databases


@pytest.fixture
def create_cloud(cloud: CloudDBs, tmp_path: Path) -> Iterator[CreateCloud]:
    ids = map_cells(cloud)
    with cloud.engine("api").begin() as conn:
        flavor.ensure_defaults(conn)
    made, databases = open_create_cloud(cloud, tmp_path)
    made.cell_ids.update(ids)
    yield made
    databases.dispose()


def message(result: testing.Result, fault: str) -> str:
    body = result.json
    assert fault in body, body
    return str(body[fault]["message"])


# --------------------------------------------------------------------------- basics


def test_one_server_is_recorded_and_cast_once(create_cloud: CreateCloud) -> None:
    result = create_cloud.post({"name": "web"})
    assert result.status_code == 202, result.text
    uuid = result.json["server"]["id"]
    assert result.headers["Location"].endswith(f"/v2.1/servers/{uuid}")
    assert create_cloud.conductor.casts == [[uuid]]
    (spec,) = create_cloud.specs([uuid])
    assert spec["scheduler_hints"] == {} and "instance_group" not in spec
    assert spec["num_instances"] == 1
    request = create_cloud.build_request(uuid)
    assert request is not None and json.loads(request.tags) == []


def test_max_count_alone_makes_that_many_with_numbered_names(create_cloud: CreateCloud) -> None:
    result = create_cloud.post({"name": "web", "max_count": 3, "return_reservation_id": "true"})
    assert result.status_code == 202, result.text
    assert set(result.json) == {"reservation_id"}
    reservation = result.json["reservation_id"]
    assert reservation.startswith("r-")
    (uuids,) = create_cloud.conductor.casts
    assert len(uuids) == 3
    records = []
    for uuid in uuids:
        request = create_cloud.build_request(uuid)
        assert request is not None
        records.append(json.loads(request.instance)["values"])
    assert sorted(r["display_name"] for r in records) == ["web-1", "web-2", "web-3"]
    assert {r["reservation_id"] for r in records} == {reservation}
    assert {s["num_instances"] for s in create_cloud.specs(uuids)} == {3}


def test_min_count_alone_sets_max_count(create_cloud: CreateCloud) -> None:
    assert create_cloud.post({"name": "web", "min_count": 2}).status_code == 202
    assert [len(c) for c in create_cloud.conductor.casts] == [2]


@pytest.mark.parametrize(
    ("server", "fragment"),
    [
        ({"min_count": 3, "max_count": 2}, "min_count must be <= max_count"),
        ({"min_count": "0"}, "min_count"),
        ({"max_count": "x"}, "max_count"),
        ({"return_reservation_id": "maybe"}, "return_reservation_id"),
    ],
)
def test_bad_counts_and_flags_are_400(
    create_cloud: CreateCloud, server: dict[str, Any], fragment: str
) -> None:
    result = create_cloud.post({"name": "web", **server})
    assert result.status_code == 400
    assert fragment in message(result, "badRequest")
    assert create_cloud.conductor.casts == []


def test_reservation_id_false_answers_the_server(create_cloud: CreateCloud) -> None:
    result = create_cloud.post({"name": "web", "return_reservation_id": False})
    assert result.status_code == 202 and "server" in result.json


# --------------------------------------------------------------------------- hints


def test_hints_are_stored_as_lists_under_either_name(create_cloud: CreateCloud) -> None:
    other = str(uuidlib.uuid4())
    hints = {"same_host": other, "different_host": [other], "custom": "x"}
    result = create_cloud.post({"name": "a"}, **{"os:scheduler_hints": hints})
    assert result.status_code == 202, result.text
    legacy = create_cloud.post({"name": "b"}, **{"OS-SCH-HNT:scheduler_hints": {"query": "[]"}})
    assert legacy.status_code == 202, legacy.text
    first, second = (c[0] for c in create_cloud.conductor.casts)
    assert create_cloud.specs([first])[0]["scheduler_hints"] == {
        "same_host": [other],
        "different_host": [other],
        "custom": ["x"],
    }
    assert create_cloud.specs([second])[0]["scheduler_hints"] == {"query": ["[]"]}


def test_group_hint_joins_every_new_server_to_the_group(create_cloud: CreateCloud) -> None:
    group = create_cloud.group("anti-affinity")
    result = create_cloud.post(
        {"name": "g", "max_count": 2}, **{"os:scheduler_hints": {"group": [group]}}
    )
    assert result.status_code == 202, result.text
    (uuids,) = create_cloud.conductor.casts
    assert sorted(create_cloud.members(group)) == sorted(uuids)
    for spec in create_cloud.specs(uuids):
        assert spec["instance_group"] == {"uuid": group, "policy": "anti-affinity", "rules": {}}
        assert spec["scheduler_hints"] == {"group": [group]}


@pytest.mark.parametrize("owner", ["nobody", "alt"])
def test_unknown_or_foreign_group_is_400_and_records_nothing(
    create_cloud: CreateCloud, owner: str
) -> None:
    group = str(uuidlib.uuid4()) if owner == "nobody" else create_cloud.group(project="alt")
    result = create_cloud.post({"name": "g"}, **{"os:scheduler_hints": {"group": group}})
    assert result.status_code == 400
    assert message(result, "badRequest") == f"Instance group {group} could not be found."
    assert create_cloud.mapped() == [] and create_cloud.conductor.casts == []


def test_admin_may_use_another_projects_group(create_cloud: CreateCloud) -> None:
    group = create_cloud.group(project="demo")
    result = create_cloud.post(
        {"name": "g"}, who="admin", **{"os:scheduler_hints": {"group": group}}
    )
    assert result.status_code == 202, result.text


@pytest.mark.parametrize("value", ["not-a-uuid", [], ["a", "b"]])
def test_malformed_group_hint_is_400(create_cloud: CreateCloud, value: Any) -> None:
    result = create_cloud.post({"name": "g"}, **{"os:scheduler_hints": {"group": value}})
    assert result.status_code == 400


def test_group_member_quota_is_403(create_cloud: CreateCloud) -> None:
    group = create_cloud.group()
    create_cloud.set_quota(server_group_members=2)
    ok = create_cloud.post(
        {"name": "a", "max_count": 2}, **{"os:scheduler_hints": {"group": group}}
    )
    assert ok.status_code == 202
    over = create_cloud.post({"name": "b"}, **{"os:scheduler_hints": {"group": group}})
    assert over.status_code == 403
    assert message(over, "forbidden") == "Quota exceeded, too many servers in group"
    assert len(create_cloud.members(group)) == 2 and len(create_cloud.mapped()) == 2


# --------------------------------------------------------------------------- quota


def test_instances_quota_refuses_with_the_reference_message(create_cloud: CreateCloud) -> None:
    create_cloud.set_quota(instances=2)
    assert create_cloud.post({"name": "a", "max_count": 2}).status_code == 202
    over = create_cloud.post({"name": "b"})
    assert over.status_code == 403
    assert message(over, "forbidden") == (
        "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances"
    )
    assert len(create_cloud.mapped()) == 2


def test_between_min_and_max_as_many_as_fit_are_made(create_cloud: CreateCloud) -> None:
    create_cloud.set_quota(instances=5)
    create_cloud.running("cell1")
    result = create_cloud.post({"name": "w", "min_count": 2, "max_count": 10})
    assert result.status_code == 202, result.text
    assert [len(c) for c in create_cloud.conductor.casts] == [4]
    too_few = create_cloud.post({"name": "x", "min_count": 2, "max_count": 3})
    assert too_few.status_code == 403
    assert message(too_few, "forbidden") == (
        "Quota exceeded for instances: Requested 2-3, but already used 5 of 5 instances"
    )


def test_cores_and_ram_are_summed_from_cells_and_unscheduled_servers(
    create_cloud: CreateCloud,
) -> None:
    create_cloud.set_quota(cores=4, ram=2048)
    create_cloud.running("cell1", vcpus=1, ram=512)
    create_cloud.running("cell2", vcpus=1, ram=512)
    assert create_cloud.post({"name": "a"}).status_code == 202  # m1.tiny, still unscheduled
    over = create_cloud.post({"name": "b", "min_count": 2})
    assert over.status_code == 403
    assert message(over, "forbidden") == (
        "Quota exceeded for cores, ram: Requested 2, 1024, but already used 3, 1536 "
        "of 4, 2048 cores, ram"
    )
    assert create_cloud.post({"name": "c"}).status_code == 202  # exactly the last one fits


def test_unlimited_quota_never_refuses(create_cloud: CreateCloud) -> None:
    create_cloud.set_quota(instances=-1, cores=-1, ram=-1)
    assert create_cloud.post({"name": "a", "max_count": 25}).status_code == 202
    assert [len(c) for c in create_cloud.conductor.casts] == [25]


def test_a_user_limit_applies_to_that_user_only(create_cloud: CreateCloud) -> None:
    with create_cloud.dbs.engine("api").begin() as conn:
        quota.update_user(conn, "demo", "demo", {"instances": 1})
    assert create_cloud.post({"name": "a"}).status_code == 202
    over = create_cloud.post({"name": "b"})
    assert over.status_code == 403
    assert "Requested 1, but already used 1 of 1 instances" in message(over, "forbidden")


def test_a_down_cell_is_counted_from_request_specs(create_cloud: CreateCloud) -> None:
    create_cloud.add_down_cell()
    spec = {"flavor": {"vcpus": 4, "memory_mb": 8}}
    map_server(create_cloud.dbs, str(uuidlib.uuid4()), create_cloud.cell_ids["cell3"], spec=spec)
    create_cloud.set_quota(cores=5)
    assert create_cloud.post({"name": "a"}).status_code == 202
    over = create_cloud.post({"name": "b"})
    assert over.status_code == 403
    assert "already used 5 of 5 cores" in message(over, "forbidden")


def test_concurrent_creates_cannot_pass_the_quota_together(cloud: CloudDBs, tmp_path: Path) -> None:
    ids = map_cells(cloud)
    with cloud.engine("api").begin() as conn:
        flavor.ensure_defaults(conn)
        quota.update(conn, "demo", {"instances": 3})
    network = BarrierNetwork(parties=2)
    made, databases = open_create_cloud(cloud, tmp_path, network)
    made.cell_ids.update(ids)
    results: list[int] = []

    def create(name: str) -> None:
        results.append(made.post({"name": name, "max_count": 2}).status_code)

    try:
        threads = [threading.Thread(target=create, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Each fit alone (2 of 3); together they would hold 4: at least one is refused.
        assert 403 in results
        assert len(made.mapped()) <= 3
        accepted = [u for c in made.conductor.casts for u in c]
        assert sorted(made.mapped()) == sorted(accepted)
        assert network.ports == set(accepted)  # the refused request's ports went back
    finally:
        databases.dispose()


# --------------------------------------------------------------------------- tags


def test_tags_at_252_go_into_the_build_request(create_cloud: CreateCloud) -> None:
    result = create_cloud.post({"name": "t", "tags": ["web", "prod", "web"]}, "2.52")
    assert result.status_code == 202, result.text
    request = create_cloud.build_request(result.json["server"]["id"])
    assert request is not None and json.loads(request.tags) == ["web", "prod", "web"]


@pytest.mark.parametrize(
    ("version", "tags"),
    [
        ("2.51", ["web"]),
        ("2.52", ["a,b"]),
        ("2.52", ["a/b"]),
        ("2.52", [""]),
        ("2.52", ["x" * 61]),
        ("2.52", [f"t{i}" for i in range(51)]),
    ],
)
def test_bad_tags_are_400(create_cloud: CreateCloud, version: str, tags: list[str]) -> None:
    result = create_cloud.post({"name": "t", "tags": tags}, version)
    assert result.status_code == 400, result.text
    assert create_cloud.conductor.casts == []


def test_private_or_disabled_flavors_are_not_found_for_create(create_cloud: CreateCloud) -> None:
    with create_cloud.dbs.engine("api").begin() as conn:
        private = flavor.create(conn, "p1", "private", 1, 512, 1, is_public=False)
        flavor.create(conn, "d1", "disabled", 1, 512, 1, disabled=True)
    for flavor_id in ("p1", "d1"):
        refused = create_cloud.post({"name": "x", "flavorRef": flavor_id})
        assert refused.status_code == 400, refused.text
        assert f"Flavor {flavor_id} could not be found." in refused.text
    with create_cloud.dbs.engine("api").begin() as conn:
        flavor.add_project(conn, private, "demo")
    assert create_cloud.post({"name": "x", "flavorRef": "p1"}).status_code == 202


def test_a_zero_disk_flavor_needs_the_zero_disk_rule(create_cloud: CreateCloud) -> None:
    with create_cloud.dbs.engine("api").begin() as conn:
        flavor.create(conn, "z0", "zero", 1, 512, 0)
    refused = create_cloud.post({"name": "x", "flavorRef": "z0"})
    assert refused.status_code == 403, refused.text
    assert "Only volume-backed servers are allowed for flavors with zero disk." in refused.text
    assert create_cloud.mapped() == []  # nothing recorded
    assert create_cloud.post({"name": "x", "flavorRef": "z0"}, who="admin").status_code == 202
