"""The migration routes over the ``cloud`` databases, with rows written as moves would.

No move writes migrations yet, so the tests insert them into the cell databases
directly, next to the servers (cell rows plus instance mappings) they belong to.
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

from tessera import conf as tessera_conf
from tessera.api import migrations
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.api.services import HostSettings
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conf.database import DatabaseSettings
from tessera.db.api.models import ApiBase
from tessera.db.engines import Databases
from tessera.db.main.models import MainBase
from tessera.objects.cell_mapping import URLBases
from tessera.policies.enforcer import Policy
from tessera.rpc.registry import TransportRegistry
from tests.api.admin.conftest import CELL3_UUID, Refuses, _map_cells
from tests.conftest import CloudDBs
from tests.manage.helpers import unreachable_url

TOKENS = {"admin": "admin:admin", "demo": "demo:demo", "alt": "alt:alt"}
MAX_LIMIT = 5
T0 = datetime.datetime(2026, 3, 1, 12, 0, 0)

_API = ApiBase.metadata.tables
MAPPINGS = _API["instance_mappings"]
CELL_MAPPINGS = _API["cell_mappings"]
INSTANCES = MainBase.metadata.tables["instances"]
MIGRATIONS = MainBase.metadata.tables["migrations"]


@dataclass
class MigrationCloud:
    """The client, and helpers writing servers and migrations into the cells."""

    dbs: CloudDBs
    client: testing.TestClient
    tmp: Path
    cell_ids: dict[str, int] = field(default_factory=dict)

    def get(
        self,
        path: str,
        version: str | None = None,
        who: str = "admin",
        params: dict[str, str] | None = None,
    ) -> testing.Result:
        headers = {"X-Auth-Token": TOKENS[who]}
        if version is not None:
            headers["OpenStack-API-Version"] = f"compute {version}"
        return self.client.simulate_get(f"/v2.1{path}", headers=headers, params=params or {})

    def server(self, cell: str, project: str = "demo") -> str:
        """A server living in ``cell`` (its row and its mapping); its uuid."""
        uuid = str(uuidlib.uuid4())
        with self.dbs.engine(cell).begin() as conn:
            conn.execute(
                sa.insert(INSTANCES).values(
                    uuid=uuid, project_id=project, user_id=project, vm_state="active"
                )
            )
        self.map_server(uuid, cell, project)
        return uuid

    def map_server(self, uuid: str, cell: str, project: str = "demo") -> None:
        """The instance mapping of ``uuid`` to ``cell``."""
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

    def migration(self, cell: str, server: str, minutes: int = 0, **values: Any) -> dict[str, Any]:
        """A migration of ``server`` created ``minutes`` after T0; the row as stored."""
        created = T0 + datetime.timedelta(minutes=minutes)
        row = {
            "uuid": str(uuidlib.uuid4()),
            "instance_uuid": server,
            "source_compute": "host-a",
            "dest_compute": "host-b",
            "source_node": "node-a",
            "dest_node": "node-b",
            "dest_host": "192.0.2.2",
            "old_instance_type_id": 1,
            "new_instance_type_id": 2,
            "status": "finished",
            "migration_type": "resize",
            "hidden": False,
            "user_id": "demo",
            "project_id": "demo",
            "created_at": created,
            "updated_at": created + datetime.timedelta(seconds=30),
            **values,
        }
        with self.dbs.engine(cell).begin() as conn:
            result = conn.execute(sa.insert(MIGRATIONS).values(**row))
        return {**row, "id": result.inserted_primary_key[0]}

    def soft_delete(self, cell: str, row_id: int) -> None:
        with self.dbs.engine(cell).begin() as conn:
            conn.execute(
                sa.update(MIGRATIONS).where(MIGRATIONS.c.id == row_id).values(deleted=row_id)
            )

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
            self.cell_ids["cell3"] = result.inserted_primary_key[0]


def build_client(
    dbs: CloudDBs, policy: Policy | None = None
) -> tuple[testing.TestClient, Databases]:
    """The compute API with the migration routes, over ``dbs``."""
    databases = Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))
    api_engine = databases.engine(dbs.api)
    targets = CellTargets(
        api_engine, databases, TransportRegistry(cfg.ConfigOpts()), URLBases(None, None), ttl=0
    )
    servers = ServerAPI(targets, Refuses("conductor"), Refuses("placement"))  # type: ignore[arg-type]
    deps = APIDeps(servers, servers.api_engine)
    app = build_app(deps, policy)
    settings = HostSettings(cell_timeout=5.0, max_limit=MAX_LIMIT)
    migrations.install(app, deps, targets, settings)
    return testing.TestClient(app), databases


def policy_file(tmp: Path, rules: str) -> Policy:
    """A Policy reading ``rules`` (YAML) over the defaults in code."""
    path = tmp / "policy.yaml"
    path.write_text(rules, encoding="utf-8")
    config = tmp / "tessera.conf"
    config.write_text(f"[oslo_policy]\npolicy_file = {path}\n", encoding="utf-8")
    return Policy(tessera_conf.load(["--config-file", str(config)], config_files=[]))


@pytest.fixture
def mig_cloud(cloud: CloudDBs, tmp_path: Path) -> Iterator[MigrationCloud]:
    """Cells 0-2 of ``cloud`` mapped and a client of the migration routes."""
    cell_ids = _map_cells(cloud)
    client, databases = build_client(cloud)
    yield MigrationCloud(cloud, client, tmp_path, cell_ids)
    databases.dispose()
