"""A user-facing API over the ``cloud`` databases: keypairs, server groups, quotas.

The app is the real compute API with these resources installed, over a real
:class:`ServerAPI` whose conductor and placement refuse every call.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing
from oslo_config import cfg

from tessera.api import keypairs, quotas, server_groups
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conf.database import DatabaseSettings
from tessera.db.api.models import ApiBase
from tessera.db.engines import Databases
from tessera.db.main.models import MainBase
from tessera.objects.cell_mapping import URLBases
from tessera.rpc.registry import TransportRegistry
from tests.api.admin.conftest import CELL3_UUID, Refuses, _map_cells
from tests.conftest import CloudDBs
from tests.manage.helpers import unreachable_url

TOKENS = {"admin": "admin:admin", "demo": "demo:demo", "alt": "alt:alt", "demo2": "demo2:demo"}
CELL_TIMEOUT = 5.0

_API = ApiBase.metadata.tables
MAPPINGS = _API["instance_mappings"]
CELL_MAPPINGS = _API["cell_mappings"]
INSTANCES = MainBase.metadata.tables["instances"]


@dataclass
class UserCloud:
    """The client, and helpers writing the rows a running cloud would have."""

    dbs: CloudDBs
    client: testing.TestClient
    tmp: Path
    cell_ids: dict[str, int] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        version: str | None = None,
        *,
        who: str = "demo",
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> testing.Result:
        headers = {"X-Auth-Token": TOKENS[who]}
        if version is not None:
            headers["OpenStack-API-Version"] = f"compute {version}"
        kwargs: dict[str, Any] = {"headers": headers, "params": params or {}}
        if body is not None:
            kwargs["json"] = body
        return self.client.simulate_request(method, f"/v2.1{path}", **kwargs)

    def server(
        self,
        cell: str,
        project: str = "demo",
        *,
        vcpus: int = 1,
        ram: int = 512,
        queued_for_delete: bool | None = False,
        deleted: bool = False,
        hidden: bool = False,
        mapped: bool = True,
    ) -> str:
        """A server row in ``cell`` and (if ``mapped``) its instance mapping; its uuid."""
        uuid = str(uuidlib.uuid4())
        with self.dbs.engine(cell).begin() as conn:
            result = conn.execute(
                sa.insert(INSTANCES).values(
                    uuid=uuid,
                    project_id=project,
                    user_id=project,
                    vm_state="active",
                    display_name="vm",
                    vcpus=vcpus,
                    memory_mb=ram,
                    hidden=hidden,
                )
            )
            if deleted:
                key = result.inserted_primary_key
                assert key is not None
                row_id = key[0]
                conn.execute(
                    sa.update(INSTANCES).where(INSTANCES.c.id == row_id).values(deleted=row_id)
                )
        if mapped:
            with self.dbs.engine("api").begin() as conn:
                conn.execute(
                    sa.insert(MAPPINGS).values(
                        instance_uuid=uuid,
                        cell_id=self.cell_ids[cell],
                        project_id=project,
                        user_id=project,
                        queued_for_delete=queued_for_delete,
                    )
                )
        return uuid

    def add_down_cell(self) -> None:
        """cell3: mapped, but its database cannot be reached."""
        with self.dbs.engine("api").begin() as conn:
            result = conn.execute(
                sa.insert(CELL_MAPPINGS).values(
                    uuid=CELL3_UUID,
                    name="cell3",
                    transport_url="rabbit://down.example:5672/",
                    database_connection=unreachable_url(self.dbs.backend, self.tmp),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            self.cell_ids["cell3"] = int(key[0])

    def map_to(self, cell: str, project: str = "demo") -> str:
        """An instance mapping into ``cell`` with no reachable row (the cell is down)."""
        uuid = str(uuidlib.uuid4())
        with self.dbs.engine("api").begin() as conn:
            conn.execute(
                sa.insert(MAPPINGS).values(
                    instance_uuid=uuid,
                    cell_id=self.cell_ids[cell],
                    project_id=project,
                    user_id=project,
                    queued_for_delete=False,
                )
            )
        return uuid


def build_client(dbs: CloudDBs, max_limit: int = 1000) -> tuple[testing.TestClient, Databases]:
    """The compute API with keypairs, server groups, limits and quota sets, over ``dbs``;
    ``max_limit`` is ``[api] max_limit``."""
    databases = Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))
    api_engine = databases.engine(dbs.api)
    targets = CellTargets(
        api_engine, databases, TransportRegistry(cfg.ConfigOpts()), URLBases(None, None), ttl=0
    )
    servers = ServerAPI(targets, Refuses("conductor"), Refuses("placement"))  # type: ignore[arg-type]
    deps = APIDeps(servers, servers.api_engine, max_limit)
    app = build_app(deps)
    keypairs.install(app, deps)
    server_groups.install(app, deps)
    quotas.install(app, deps, cell_timeout=CELL_TIMEOUT)
    return testing.TestClient(app), databases


@pytest.fixture
def user_cloud(cloud: CloudDBs, tmp_path: Path) -> Iterator[UserCloud]:
    """Cells 0-2 of ``cloud`` mapped and a client of the user API."""
    cell_ids = _map_cells(cloud)
    client, databases = build_client(cloud)
    yield UserCloud(cloud, client, tmp_path, cell_ids)
    databases.dispose()


@pytest.fixture
def two_per_page(cloud: CloudDBs, tmp_path: Path) -> Iterator[UserCloud]:
    """As ``user_cloud``, with ``[api] max_limit`` 2: pages are capped early."""
    cell_ids = _map_cells(cloud)
    client, databases = build_client(cloud, max_limit=2)
    yield UserCloud(cloud, client, tmp_path, cell_ids)
    databases.dispose()
