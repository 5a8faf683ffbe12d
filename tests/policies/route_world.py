"""A running cloud holding one of every resource the route table's requests name.

:func:`build_world` boots the few servers the table needs (all at once, as
``demo``) and creates the flavors, aggregate, keypair, server group and
migration row whose ids fill the routes' path parameters. Rows that change or
destroy state get what they need from the helpers below, each call afresh, so
the rows do not depend on one another or on their order.
"""

from __future__ import annotations

import datetime
import enum
import itertools
import time
import uuid as uuidlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from falcon import testing

from tessera import conf as tessera_conf
from tessera.api.wiring import build_api_server
from tessera.db.main.models import MainBase
from tessera.deploy.cloud import EmbeddedCloud
from tessera.policies import base, servers

PREFIX = "/v2.1"
LATEST = "latest"
COMPUTE_HOST = "cell1-compute1"
BOOT = {"name": "policy", "flavorRef": "1", "imageRef": "cirros", "networks": "none"}
SPARES = 4
"""Throwaway servers: DELETE and forceDelete each destroy one for the member, one for admin."""
WAIT = 30.0
"""Seconds a server gets to reach a state before the test gives up."""

_MIGRATIONS = MainBase.metadata.tables["migrations"]
_SERVICES = MainBase.metadata.tables["services"]


class Caller(enum.Enum):
    """Who calls: noauth2 tokens ``user:project`` (user ``admin`` is an administrator)."""

    ADMIN = "admin:admin"
    MEMBER = "demo:demo"
    OTHER = "eve:eve"


def send(
    client: testing.TestClient,
    caller: Caller,
    method: str,
    path: str,
    body: Any = None,
    query: str = "",
    version: str = LATEST,
) -> testing.Result:
    """One request to ``PREFIX + path`` as ``caller`` at compute microversion ``version``."""
    headers = {"X-Auth-Token": caller.value, "OpenStack-API-Version": f"compute {version}"}
    return client.simulate_request(
        method, f"{PREFIX}{path}", headers=headers, json=body, query_string=query or None
    )


@dataclass
class World:
    """The cloud, its API app, and the resources the table's paths name."""

    cloud: EmbeddedCloud
    """The running embedded cloud."""
    client: testing.TestClient
    """A client of the cloud's full API app."""
    cell: sa.Engine
    """cell1's database (migration and service rows are written straight into it)."""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameter values by name, for the rows that use the shared resources."""
    power: str = ""
    """The member's server that stop, start, reboot and createImage act on."""
    spares: list[str] = field(default_factory=list)
    """The member's servers for rows that delete one."""
    table_flavor: str = "policy-table"
    """A public flavor whose description and extra specs the table changes."""
    private_flavor: str = "policy-private"
    """A private flavor for the access-list rows."""
    serial: Iterator[int] = field(default_factory=itertools.count)
    """Numbers for unique names."""

    def send(
        self, caller: Caller, method: str, path: str, body: Any = None, **kw: Any
    ) -> testing.Result:
        """A request through the cloud's app."""
        return send(self.client, caller, method, path, body, **kw)

    def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> testing.Result:
        """A set-up request as admin (see :meth:`expect`)."""
        return self.expect(Caller.ADMIN, method, path, body, **kw)

    def expect(
        self,
        caller: Caller,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: str = "",
        ok: tuple[int, ...] = (),
    ) -> testing.Result:
        """A set-up request; fails unless it answers 2xx or one of ``ok``."""
        result = self.send(caller, method, path, body, query=query)
        assert result.status_code < 300 or result.status_code in ok, (path, result.text)
        return result

    def unique(self, prefix: str) -> str:
        """A name no other call of this module uses."""
        return f"{prefix}-{next(self.serial)}"

    def spare(self) -> str:
        """A throwaway server of the member's (return it with :meth:`give_back` if unused)."""
        assert self.spares, "out of throwaway servers: raise SPARES"
        return self.spares.pop()

    def give_back(self, uuid: str) -> None:
        """Return a throwaway server a call did not destroy."""
        self.spares.append(uuid)

    def server(self, uuid: str) -> dict[str, Any]:
        """The server as an administrator sees it."""
        server: dict[str, Any] = self.admin("GET", f"/servers/{uuid}").json["server"]
        return server

    def settle(self, uuid: str) -> dict[str, Any]:
        """The server once no task is under way on it."""
        deadline = time.monotonic() + WAIT
        while True:
            server = self.server(uuid)
            idle = server["OS-EXT-STS:task_state"] is None and server["status"] != "BUILD"
            if idle or time.monotonic() > deadline:
                assert idle, f"server {uuid} still busy: {server['status']}"
                return server
            time.sleep(0.05)

    def power_state(self, status: str) -> None:
        """Bring the power server to ``ACTIVE`` or ``SHUTOFF`` (starting or stopping it)."""
        current = self.settle(self.power)["status"]
        if current != status:
            action = "os-start" if status == "ACTIVE" else "os-stop"
            self.admin("POST", f"/servers/{self.power}/action", {action: None})
            assert self.settle(self.power)["status"] == status

    def delete_server(self, uuid: str) -> None:
        """Delete a server once its build is over (so no build races the delete)."""
        self.settle(uuid)
        self.admin("DELETE", f"/servers/{uuid}")

    def keypair(self) -> str:
        """A new keypair of the member's: its name."""
        name = self.unique("policy-key")
        self.expect(Caller.MEMBER, "POST", "/os-keypairs", {"keypair": {"name": name}})
        return name

    def server_group(self) -> str:
        """A new server group of the member's project: its id."""
        body = {"server_group": {"name": self.unique("policy-group"), "policy": "affinity"}}
        group: str = self.expect(Caller.MEMBER, "POST", "/os-server-groups", body).json[
            "server_group"
        ]["id"]
        return group

    def aggregate(self) -> str:
        """A new, empty aggregate: its id."""
        body = {"aggregate": {"name": self.unique("policy-aggregate")}}
        return str(self.admin("POST", "/os-aggregates", body).json["aggregate"]["id"])

    def flavor(self, name: str | None = None, public: bool = True, disk: int = 1) -> str:
        """A new flavor (named ``name``, or uniquely): its id."""
        flavor_id = name or self.unique("policy-flavor")
        spec = {"name": flavor_id, "id": flavor_id, "ram": 512, "vcpus": 1, "disk": disk}
        spec["os-flavor-access:is_public"] = public
        self.admin("POST", "/flavors", {"flavor": spec})
        return flavor_id

    def service(self) -> str:
        """A conductor service row in cell1 that no process serves: its uuid."""
        uuid = str(uuidlib.uuid4())
        host = self.unique("policy-gone")
        with self.cell.begin() as conn:
            conn.execute(
                sa.insert(_SERVICES).values(
                    uuid=uuid, host=host, binary="tessera-conductor", topic="conductor"
                )
            )
        return uuid

    def live_migration(self, server: str) -> str:
        """A live migration of ``server`` under way, as a move would have written it."""
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        values: Mapping[str, Any] = {
            "uuid": str(uuidlib.uuid4()),
            "instance_uuid": server,
            "source_compute": COMPUTE_HOST,
            "dest_compute": "cell1-compute2",
            "source_node": COMPUTE_HOST,
            "dest_node": "cell1-compute2",
            "status": "running",
            "migration_type": "live-migration",
            "user_id": "demo",
            "project_id": "demo",
            "created_at": now,
        }
        with self.cell.begin() as conn:
            key = conn.execute(sa.insert(_MIGRATIONS).values(**values)).inserted_primary_key
        assert key is not None
        return str(key[0])


def _boot(
    world: World, count: int, flavor: str = "1", client: testing.TestClient | None = None
) -> list[str]:
    """``count`` ACTIVE servers of the member's, booted in one request (through ``client``)."""
    server = {
        **BOOT,
        "flavorRef": flavor,
        "min_count": count,
        "metadata": {"purpose": "policy"},
        "tags": ["policy"],
    }
    body = {"server": {**server, "return_reservation_id": True}}
    booted = send(client or world.client, Caller.MEMBER, "POST", "/servers", body)
    assert booted.status_code == 202, booted.text
    reservation = booted.json["reservation_id"]
    found = world.expect(
        Caller.MEMBER, "GET", "/servers", query=f"reservation_id={reservation}"
    ).json["servers"]
    uuids = sorted(s["id"] for s in found)
    assert len(uuids) == count
    for uuid in uuids:
        assert world.settle(uuid)["status"] == "ACTIVE", uuid
    return uuids


def app_with_policy(cloud: EmbeddedCloud, rules: str, directory: Path) -> Any:
    """The cloud's API app as built again with a policy file of ``rules`` (YAML).

    The file is named in an extra configuration file, after the cloud's own,
    as an operator would add it to ``[oslo_policy]``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    policy_file = directory / "policy.yaml"
    policy_file.write_text(rules, encoding="utf-8")
    extra = directory / "policy.conf"
    extra.write_text(f"[oslo_policy]\npolicy_file = {policy_file}\n", encoding="utf-8")
    args = ["--config-file", str(cloud.layout.config_file), "--config-file", str(extra)]
    assert cloud.server_api is not None and cloud.images is not None
    conf = tessera_conf.load(args, config_files=[])
    return build_api_server(conf, cloud.server_api, cloud.images).app


def _boot_power_server(world: World) -> str:
    # Without a root disk the guest's disk is a small header, so snapshots upload in
    # no time. Booting from such a flavor is for admins by default (zero_disk_flavor):
    # the member boots through an app whose policy file opens it, and the table's app
    # keeps the defaults.
    nano = world.flavor("policy-nano", disk=0)
    rules = f'"{servers.CREATE_ZERO_DISK_FLAVOR}": "{base.PROJECT_MEMBER_OR_ADMIN}"\n'
    setup_app = app_with_policy(world.cloud, rules, world.cloud.layout.data_dir / "setup")
    (uuid,) = _boot(world, 1, nano, testing.TestClient(setup_app))
    return uuid


def build_world(cloud: EmbeddedCloud) -> World:
    """Every shared resource of the table, created through the API where it can be."""
    assert cloud.api_server is not None
    world = World(
        cloud,
        testing.TestClient(cloud.api_server.app),
        sa.create_engine(cloud.layout.database("cell1")),
    )
    main, *world.spares = _boot(world, 1 + SPARES)
    world.power = _boot_power_server(world)
    actions = world.expect(Caller.MEMBER, "GET", f"/servers/{main}/os-instance-actions")
    world.flavor(world.table_flavor)
    world.admin(
        "POST",
        f"/flavors/{world.table_flavor}/os-extra_specs",
        {"extra_specs": {"policy:spec": "1"}},
    )
    world.flavor(world.private_flavor, public=False)
    services = world.admin("GET", "/os-services", query="binary=tessera-compute")
    hypervisors = world.admin("GET", "/os-hypervisors")
    world.params.update(
        server_id=main,
        request_id=actions.json["instanceActions"][0]["request_id"],
        migration_id=world.live_migration(main),
        tag="policy",
        key="purpose",
        flavor_id="1",
        aggregate_id=world.aggregate(),
        name=world.keypair(),
        group_id=world.server_group(),
        service_id=services.json["services"][0]["id"],
        hypervisor_id=hypervisors.json["hypervisors"][0]["id"],
        project_id="demo",
    )
    return world
