"""An admin API over the ``cloud`` databases: cells mapped, rows written as a cloud would.

The app is the real compute API (``build_app``) with the admin resources
installed, over a real :class:`ServerAPI` whose conductor and placement
refuse every call: nothing here may reach either.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing
from oslo_config import cfg

from tessera.api import aggregates, availability_zones, hypervisors, services
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.api.services import HostSettings
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conf.database import DatabaseSettings
from tessera.db.api.models import ApiBase
from tessera.db.engines import Databases
from tessera.db.main.models import MainBase
from tessera.db.types import utcnow
from tessera.objects.cell_mapping import URLBases
from tessera.rpc.registry import TransportRegistry
from tests.conftest import CloudDBs
from tests.manage.helpers import CELL0_UUID, CELL1_UUID, CELL2_UUID, unreachable_url

COMPUTE = "tessera-compute"
CONDUCTOR = "tessera-conductor"
SCHEDULER = "tessera-scheduler"
CELL3_UUID = "33333333-3333-4333-8333-333333333333"

ADMIN = {"X-Auth-Token": "admin:admin"}
DEMO = {"X-Auth-Token": "demo:demo"}

SETTINGS = HostSettings(
    service_down_time=60, cell_timeout=5.0, default_availability_zone="nova", max_limit=1000
)

_API = ApiBase.metadata.tables
_MAIN = MainBase.metadata.tables
CELL_MAPPINGS = _API["cell_mappings"]
HOST_MAPPINGS = _API["host_mappings"]
AGGREGATES = _API["aggregates"]
AGGREGATE_HOSTS = _API["aggregate_hosts"]
AGGREGATE_METADATA = _API["aggregate_metadata"]
SERVICES = _MAIN["services"]
NODES = _MAIN["compute_nodes"]
INSTANCES = _MAIN["instances"]


class Refuses:
    """A collaborator the admin API must never call."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        raise AssertionError(f"the admin API called {self._name}.{method}")


@dataclass
class AdminCloud:
    """The client, and helpers writing the rows a running cloud would have."""

    dbs: CloudDBs
    client: testing.TestClient
    tmp: Path
    cell_ids: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ requests

    def call(
        self,
        method: str,
        path: str,
        version: str | None = None,
        *,
        body: Any = None,
        raw: bytes | None = None,
        admin: bool = True,
        params: dict[str, str] | None = None,
    ) -> testing.Result:
        headers = dict(ADMIN if admin else DEMO)
        if version is not None:
            headers["OpenStack-API-Version"] = f"compute {version}"
        kwargs: dict[str, Any] = {"headers": headers, "params": params or {}}
        if raw is not None:
            kwargs["body"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        return self.client.simulate_request(method, f"/v2.1{path}", **kwargs)

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

    def service(
        self,
        cell: str,
        host: str,
        binary: str = COMPUTE,
        *,
        up: bool = True,
        disabled: bool = False,
        reason: str | None = None,
        forced_down: bool = False,
        row_id: int | None = None,
    ) -> dict[str, Any]:
        """Insert a service row (with primary key ``row_id`` if given); return it."""
        seen = utcnow() - datetime.timedelta(seconds=5 if up else 3600)
        values = {
            "uuid": str(uuidlib.uuid4()),
            "host": host,
            "binary": binary,
            "topic": binary.removeprefix("tessera-"),
            "report_count": 3,
            "disabled": disabled,
            "disabled_reason": reason,
            "forced_down": forced_down,
            "last_seen_up": seen,
            "created_at": seen - datetime.timedelta(days=1),
            "updated_at": seen,
        }
        if row_id is not None:
            values["id"] = row_id
        with self.dbs.engine(cell).begin() as conn:
            result = conn.execute(sa.insert(SERVICES).values(**values))
            return {**values, "id": result.inserted_primary_key[0]}

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
            result = conn.execute(sa.insert(NODES).values(**values))
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
        uuid = str(uuidlib.uuid4())
        with self.dbs.engine(cell).begin() as conn:
            result = conn.execute(
                sa.insert(INSTANCES).values(
                    uuid=uuid,
                    host=host,
                    node=node,
                    project_id="demo",
                    user_id="demo",
                    vm_state="active",
                    display_name="vm",
                )
            )
            if deleted:
                row_id = result.inserted_primary_key[0]
                conn.execute(
                    sa.update(INSTANCES).where(INSTANCES.c.id == row_id).values(deleted=row_id)
                )
        return uuid

    def add_down_cell(self, *hosts: str, url: str | None = None) -> None:
        """cell3: mapped, with hosts, but its database (``url``) cannot be reached."""
        url = url or unreachable_url(self.dbs.backend, self.tmp)
        with self.dbs.engine("api").begin() as conn:
            result = conn.execute(
                sa.insert(CELL_MAPPINGS).values(
                    uuid=CELL3_UUID,
                    name="cell3",
                    transport_url="rabbit://down.example:5672/",
                    database_connection=url,
                )
            )
            self.cell_ids["cell3"] = result.inserted_primary_key[0]
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


def _map_cells(dbs: CloudDBs) -> dict[str, int]:
    ids: dict[str, int] = {}
    cells = [
        ("cell0", CELL0_UUID, dbs.cell0, "none:///"),
        ("cell1", CELL1_UUID, dbs.cell1, "rabbit://mq1.example:5672/"),
        ("cell2", CELL2_UUID, dbs.cell2, "rabbit://mq2.example:5672/"),
    ]
    with dbs.engine("api").begin() as conn:
        for name, uuid, db, mq in cells:
            result = conn.execute(
                sa.insert(CELL_MAPPINGS).values(
                    uuid=uuid, name=name, transport_url=mq, database_connection=db
                )
            )
            ids[name] = int(result.inserted_primary_key[0])
    return ids


def build_client(
    dbs: CloudDBs, settings: HostSettings = SETTINGS
) -> tuple[testing.TestClient, Databases]:
    """The compute API with the admin resources, over ``dbs``."""
    databases = Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))
    api_engine = databases.engine(dbs.api)
    targets = CellTargets(
        api_engine, databases, TransportRegistry(cfg.ConfigOpts()), URLBases(None, None), ttl=0
    )
    servers = ServerAPI(targets, Refuses("conductor"), Refuses("placement"))  # type: ignore[arg-type]
    deps = APIDeps(servers, servers.api_engine)
    app = build_app(deps)
    services.install(app, deps, targets, settings)
    hypervisors.install(app, deps, targets, settings)
    aggregates.install(app, deps, targets, settings)
    availability_zones.install(app, deps, targets, settings)
    return testing.TestClient(app), databases


@pytest.fixture
def admin_cloud(cloud: CloudDBs, tmp_path: Path) -> Iterator[AdminCloud]:
    """Cells 0-2 of ``cloud`` mapped (no hosts yet) and a client of the admin API."""
    cell_ids = _map_cells(cloud)
    client, databases = build_client(cloud)
    yield AdminCloud(cloud, client, tmp_path, cell_ids)
    databases.dispose()
