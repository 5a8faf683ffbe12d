"""An admin API over the ``cloud`` databases: cells mapped, rows written as a cloud would.

The app is the real compute API (``build_app``) with the admin resources
installed, over a real :class:`ServerAPI` whose conductor and placement
refuse every call: nothing here may reach either.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.api import aggregates, availability_zones, hypervisors, services
from tessera.api.services import HostSettings
from tessera.db.api.models import ApiBase
from tessera.db.engines import Databases
from tests.api.cloud_rows import add_service, insert_server, map_down_cell
from tests.api.mapped_cloud import MappedCloud, OpenMapped
from tests.api.stub_api import stub_api
from tests.conftest import CloudDBs
from tests.manage.helpers import COMPUTE, COMPUTE_NODES, HOST_MAPPINGS

CONDUCTOR = "tessera-conductor"
SCHEDULER = "tessera-scheduler"

SETTINGS = HostSettings(
    service_down_time=60, cell_timeout=5.0, default_availability_zone="nova", max_limit=1000
)

_API = ApiBase.metadata.tables
AGGREGATES = _API["aggregates"]
AGGREGATE_HOSTS = _API["aggregate_hosts"]
AGGREGATE_METADATA = _API["aggregate_metadata"]


class AdminCloud(MappedCloud):
    """The client, and helpers writing the rows a running cloud would have."""

    # ------------------------------------------------------------------ requests

    def call(
        self, method: str, path: str, version: str | None = None, *, admin: bool = True, **kw: Any
    ) -> testing.Result:
        """As the administrator, or (not ``admin``) as a member of project demo."""
        return super().call(method, path, version, who="admin" if admin else "demo", **kw)

    def get(self, path: str, version: str | None = None, **kw: Any) -> testing.Result:
        return self.call("GET", path, version, **kw)

    def put(self, path: str, version: str | None = None, **kw: Any) -> testing.Result:
        return self.call("PUT", path, version, **kw)

    def post(self, path: str, version: str | None = None, **kw: Any) -> testing.Result:
        return self.call("POST", path, version, **kw)

    def delete(self, path: str, version: str | None = None, **kw: Any) -> testing.Result:
        return self.call("DELETE", path, version, **kw)

    # ------------------------------------------------------------------ rows

    def map_host(self, cell: str, host: str) -> None:
        with self.dbs.engine("api").begin() as conn:
            conn.execute(sa.insert(HOST_MAPPINGS).values(host=host, cell_id=self.cell_ids[cell]))

    def host_mapped(self, host: str) -> bool:
        with self.dbs.engine("api").connect() as conn:
            stmt = sa.select(HOST_MAPPINGS.c.id).where(HOST_MAPPINGS.c.host == host)
            return conn.execute(stmt).first() is not None

    def service(self, cell: str, host: str, binary: str = COMPUTE, **state: Any) -> dict[str, Any]:
        """Insert a service row; return it. ``state``: up, disabled, reason, forced_down, row_id."""
        return add_service(self.dbs, cell, host, binary, **state)

    def node(self, cell: str, host: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
        """Insert a compute node row; return it (id, uuid, ...)."""
        values = {
            "uuid": str(uuidlib.uuid4()),
            "host": host,
            "hypervisor_hostname": name or f"{host}.example",
            "hypervisor_type": "fake",
            "hypervisor_version": 1000,
            "host_ip": "192.0.2.10",
            "vcpus": 8,
            "vcpus_used": 2,
            "memory_mb": 16384,
            "memory_mb_used": 4096,
            "local_gb": 200,
            "local_gb_used": 20,
            "free_ram_mb": 12288,
            "free_disk_gb": 180,
            "running_vms": 2,
            "cpu_info": '{"arch": "x86_64", "model": "fake"}',
            "stats": '{"io_workload": "1"}',
            "mapped": 1,
            **extra,
        }
        with self.dbs.engine(cell).begin() as conn:
            result = conn.execute(sa.insert(COMPUTE_NODES).values(**values))
            return {**values, "id": result.inserted_primary_key[0]}

    def compute(
        self, cell: str, host: str, **service: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A compute host as discovery leaves it: service, one node, host mapping."""
        svc = self.service(cell, host, COMPUTE, **service)
        node = self.node(cell, host)
        self.map_host(cell, host)
        return svc, node

    def instance(self, cell: str, host: str, node: str, *, deleted: bool = False) -> str:
        """Insert a server on ``host``/``node``; return its uuid."""
        return insert_server(
            self.dbs,
            cell,
            deleted=deleted,
            host=host,
            node=node,
            project_id="demo",
            user_id="demo",
            vm_state="active",
            display_name="vm",
        )

    def add_down_cell(self, *hosts: str, url: str | None = None) -> None:
        """cell3: mapped, with ``hosts``, but its database (``url``) cannot be reached."""
        self.cell_ids["cell3"] = map_down_cell(self.dbs, self.tmp, url)
        for host in hosts:
            self.map_host("cell3", host)

    def aggregate(self, name: str, zone: str | None = None, hosts: tuple[str, ...] = ()) -> int:
        """Insert an aggregate (as the scheduler would find it); return its id."""
        with self.dbs.engine("api").begin() as conn:
            result = conn.execute(
                sa.insert(AGGREGATES).values(uuid=str(uuidlib.uuid4()), name=name)
            )
            agg_id = int(result.inserted_primary_key[0])
            if zone is not None:
                conn.execute(
                    sa.insert(AGGREGATE_METADATA).values(
                        aggregate_id=agg_id, key="availability_zone", value=zone
                    )
                )
            for host in hosts:
                conn.execute(sa.insert(AGGREGATE_HOSTS).values(aggregate_id=agg_id, host=host))
        return agg_id

    def row(self, cell: str, table: sa.Table, row_id: int) -> dict[str, Any]:
        with self.dbs.engine(cell).connect() as conn:
            found = conn.execute(sa.select(table).where(table.c.id == row_id)).one()
        return dict(found._mapping)


def build_client(
    dbs: CloudDBs, settings: HostSettings = SETTINGS
) -> tuple[testing.TestClient, Databases]:
    """The compute API with the admin resources, over ``dbs``."""
    api = stub_api(dbs)
    for resource in (services, hypervisors, aggregates, availability_zones):
        resource.install(api.app, api.deps, api.targets, settings)
    return api.client(), api.databases


@pytest.fixture
def admin_cloud(open_mapped: OpenMapped) -> AdminCloud:
    """Cells 0-2 of ``cloud`` mapped (no hosts yet) and a client of the admin API."""
    return open_mapped(AdminCloud, build_client)
