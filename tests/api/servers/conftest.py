"""The single-server routes over the ``cloud`` databases, with rows a running cloud writes.

The app is the real compute API (``build_app``) over a real :class:`ServerAPI`
with the built-in network (ports, so addresses and security groups) and image
service (image properties); its conductor and placement refuse every call:
showing and updating servers reach neither.

``GET /v2.1/test/detail-page`` renders one page of the real lister through
:func:`tessera.api.servers.detail_bodies`, as ``/servers/detail`` does.
"""

from __future__ import annotations

import datetime
import json
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import falcon
import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.api import request
from tessera.api import servers as server_routes
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.compute.api import ServerAPI
from tessera.compute.list_query import ListQuery
from tessera.compute.multi_cell_list import ServerLister
from tessera.context import admin_context
from tessera.db.engines import Databases, create_engine
from tessera.image import ImageService
from tessera.image.records import ImageSpec, Visibility
from tessera.network.service import NetworkService
from tessera.objects import build_request, instance_mapping, server_group
from tessera.objects import instance as instances
from tessera.objects import request_spec as request_specs
from tessera.objects.build_request import BuildRequest
from tessera.objects.flavor import Flavor
from tessera.objects.instance import Instance
from tessera.objects.request_spec import RequestSpec
from tessera.policies.enforcer import Policy
from tests.api.cloud_rows import add_service, map_cells, map_server, place_server
from tests.api.mapped_cloud import MappedCloud
from tests.api.stub_api import cell_targets, open_databases, stub_servers
from tests.conftest import CloudDBs

HOST = "compute1"
NODE = "compute1.example"
T0 = datetime.datetime(2024, 5, 1, 12, 0, 0)
FLAVOR = Flavor(
    id=1,
    flavorid="1",
    name="m1.tiny",
    memory_mb=512,
    vcpus=1,
    root_gb=1,
    ephemeral_gb=0,
    extra_specs={"hw:cpu_policy": "shared"},
)
IMAGE_PROPERTIES = {"hw_disk_bus": "virtio", "os_distro": "cirros", "architecture": "x86_64"}
"""Properties the compute service reads; a server shows them (2.98)."""
FREE_FORM_PROPERTIES = {"owner_note": "kept out of server bodies"}

_BDMS = instances.BDMS
_FAULTS = instances.FAULTS


@dataclass
class ServersCloud(MappedCloud):
    """The client, and helpers writing the rows a running cloud would have."""

    servers: ServerAPI
    lister: ServerLister
    network: NetworkService
    images: ImageService
    image_id: str

    # ------------------------------------------------------------------ requests

    def show(self, uuid: str, version: str, who: str = "demo") -> dict[str, Any]:
        result = self.call("GET", f"/servers/{uuid}", version, who=who)
        assert result.status_code == 200, result.text
        body: dict[str, Any] = result.json["server"]
        return body

    def update(
        self, uuid: str, version: str, server: dict[str, Any], who: str = "demo"
    ) -> testing.Result:
        return self.call("PUT", f"/servers/{uuid}", version, who=who, body={"server": server})

    # ------------------------------------------------------------------ rows

    def server(
        self,
        cell: str = "cell1",
        project: str = "demo",
        *,
        vm_state: str = "active",
        host: str | None = HOST,
        hints: dict[str, Any] | None = None,
        zone: str | None = "az1",
        ports: bool = True,
        columns: dict[str, Any] | None = None,
        **values: Any,
    ) -> str:
        """A server as a finished boot leaves it: row, mapping, request spec, ports.

        ``columns`` are set on the row after it is made (any column of ``instances``).
        """
        record = self._instance(project, vm_state=vm_state, host=host, zone=zone, **values)
        spec = self._spec(record, zone, hints)
        uuid = place_server(self.dbs, cell, self.cell_ids[cell], record, spec)
        if columns:
            table = instances.TABLE
            with self.dbs.engine(cell).begin() as conn:
                conn.execute(sa.update(table).where(table.c.uuid == uuid).values(**columns))
        if ports:
            self.network.allocate_for_instance(uuid, project, "auto")
        return uuid

    def building(self, project: str = "demo", **values: Any) -> str:
        """A server still a build request (not in a cell yet), with its port."""
        record = self._instance(project, vm_state="building", host=None, zone=None, **values)
        with self.dbs.engine("api").begin() as conn:
            build_request.create(
                conn, BuildRequest(record.uuid, project, json.dumps(record.to_dict()))
            )
            request_specs.create(conn, RequestSpec(record.uuid, self._spec(record, None, None)))
            instance_mapping.create(conn, record.uuid, project, project)
        self.network.allocate_for_instance(record.uuid, project, "auto")
        return record.uuid

    def _instance(
        self, project: str, *, vm_state: str, host: str | None, zone: str | None, **values: Any
    ) -> Instance:
        base: dict[str, Any] = {
            "uuid": str(uuidlib.uuid4()),
            "user_id": project,
            "project_id": project,
            "display_name": "web",
            "display_description": "a web server",
            "hostname": "web",
            "image_ref": self.image_id,
            "vm_state": vm_state,
            "task_state": None,
            "power_state": 1 if vm_state == "active" else 0,
            "host": host,
            "node": NODE if host else None,
            "memory_mb": FLAVOR.memory_mb,
            "vcpus": FLAVOR.vcpus,
            "root_gb": FLAVOR.root_gb,
            "ephemeral_gb": 0,
            "instance_type_id": FLAVOR.id,
            "availability_zone": zone,
            "launch_index": 0,
            "reservation_id": "r-abcd1234",
            "key_name": None,
            "locked": False,
            "progress": 0,
            "hidden": False,
            "user_data": None,
            "launched_at": T0 + datetime.timedelta(minutes=1) if host else None,
            "created_at": T0,
            **values,
        }
        return Instance(base, FLAVOR.to_dict(), {"role": "web"})

    @staticmethod
    def _spec(record: Instance, zone: str | None, hints: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "instance_uuid": record.uuid,
            "project_id": record.project_id,
            "user_id": record.user_id,
            "flavor": record.flavor,
            "num_instances": 1,
            "image_ref": record.image_ref,
            "availability_zone": zone,
            "scheduler_hints": hints or {},
        }

    def fault(self, cell: str, uuid: str, code: int, message: str, details: str | None) -> None:
        with self.dbs.engine(cell).begin() as conn:
            conn.execute(
                sa.insert(_FAULTS).values(
                    instance_uuid=uuid, code=code, message=message, details=details, host=HOST
                )
            )

    def compute(
        self,
        cell: str = "cell1",
        host: str = HOST,
        *,
        up: bool = True,
        disabled: bool = False,
        forced_down: bool = False,
    ) -> None:
        """The compute service of ``host``: heard from 5 s ago, or an hour ago."""
        add_service(self.dbs, cell, host, up=up, disabled=disabled, forced_down=forced_down)

    def group(self, *members: str, project: str = "demo") -> str:
        """A server group with ``members``; its uuid."""
        with self.dbs.engine("api").begin() as conn:
            made = server_group.create(conn, project, project, "g", "anti-affinity", {})
            for uuid in members:
                conn.execute(
                    sa.insert(server_group.MEMBERS).values(group_id=made.id, instance_uuid=uuid)
                )
        return made.uuid

    def volume(self, cell: str, uuid: str, volume_id: str, delete_on_termination: bool) -> None:
        with self.dbs.engine(cell).begin() as conn:
            conn.execute(
                sa.insert(_BDMS).values(
                    uuid=str(uuidlib.uuid4()),
                    instance_uuid=uuid,
                    source_type="volume",
                    destination_type="volume",
                    volume_id=volume_id,
                    delete_on_termination=delete_on_termination,
                    deleted=0,
                )
            )

    def row(self, cell: str, uuid: str) -> dict[str, Any]:
        table = instances.TABLE
        with self.dbs.engine(cell).connect() as conn:
            found = conn.execute(sa.select(table).where(table.c.uuid == uuid)).one()
        return dict(found._mapping)

    def add_down_cell(self) -> None:
        """cell3: mapped, but its database cannot be reached (and the targets know it)."""
        super().add_down_cell()
        self.servers.targets.reload()

    def map_to_down_cell(self, project: str = "demo", **spec: Any) -> str:
        """A server of cell3 (down): its mapping and request spec only."""
        uuid = str(uuidlib.uuid4())
        values = {
            "instance_uuid": uuid,
            "project_id": project,
            "user_id": project,
            "flavor": FLAVOR.to_dict(),
            "image_ref": self.image_id,
            "availability_zone": None,
            **spec,
        }
        map_server(self.dbs, uuid, self.cell_ids["cell3"], project, spec=values)
        return uuid


class DetailPage:
    """``GET /v2.1/test/detail-page``: one page of the real lister, as ``/servers/detail``."""

    def __init__(self, deps: APIDeps, lister: ServerLister) -> None:
        self._deps = deps
        self._lister = lister

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request.ctx(req)
        # Admins list every project's servers (as with all_tenants), others their own.
        page = self._lister.page(ctx, ListQuery(all_tenants=ctx.is_admin))
        resp.media = {"servers": server_routes.detail_bodies(req, self._deps, page.views)}


def open_servers_cloud(
    dbs: CloudDBs, tmp: Path, policy: Policy | None = None
) -> tuple[ServersCloud, Databases]:
    """A :class:`ServersCloud` over ``dbs`` (cells 0-2 mapped by the caller)."""
    databases = open_databases()
    targets = cell_targets(
        databases,
        dbs,
        ttl=60.0,  # as services keep them; add_down_cell reloads
        api_reader=databases.reader(dbs.api),  # as services have: shows read through it
    )
    network = NetworkService(create_engine(f"sqlite:///{tmp / 'network.db'}"))
    images = ImageService(tmp / "images")
    image = images.create(
        admin_context(),
        ImageSpec(
            name="cirros",
            disk_format="qcow2",
            container_format="bare",
            visibility=Visibility.PUBLIC,
            properties={**IMAGE_PROPERTIES, **FREE_FORM_PROPERTIES},
        ),
    )
    servers = stub_servers(targets, network=network, images=images, cell_timeout=5.0)
    deps = APIDeps(servers, servers.api_engine)
    app = build_app(deps, policy)
    lister = ServerLister(targets, cell_timeout=5.0)
    app.add_route("/v2.1/test/detail-page", DetailPage(deps, lister))
    cloud = ServersCloud(
        dbs,
        testing.TestClient(app),
        tmp,
        cell_ids={},
        servers=servers,
        lister=lister,
        network=network,
        images=images,
        image_id=image.id,
    )
    return cloud, databases


@pytest.fixture
def servers_cloud(cloud: CloudDBs, tmp_path: Path) -> Iterator[ServersCloud]:
    """Cells 0-2 of ``cloud`` mapped, an image, and a client of the compute API."""
    cell_ids = map_cells(cloud)
    made, databases = open_servers_cloud(cloud, tmp_path)
    made.cell_ids.update(cell_ids)
    yield made
    made.images.close()
    made.network.engine.dispose()
    databases.dispose()
