"""The migration routes over the ``cloud`` databases, with rows written as moves would.

No move writes migrations yet, so the tests insert them into the cell databases
directly, next to the servers (cell rows plus instance mappings) they belong to.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.api import migrations
from tessera.api.services import HostSettings
from tessera.db.engines import Databases
from tessera.db.main.models import MainBase
from tessera.policies.enforcer import Policy
from tests.api.cloud_rows import insert_server, map_server
from tests.api.mapped_cloud import MappedCloud, OpenMapped
from tests.api.stub_api import stub_api
from tests.conftest import CloudDBs

MAX_LIMIT = 5
T0 = datetime.datetime(2026, 3, 1, 12, 0, 0)

MIGRATIONS = MainBase.metadata.tables["migrations"]


class MigrationCloud(MappedCloud):
    """The client, and helpers writing servers and migrations into the cells."""

    def get(
        self,
        path: str,
        version: str | None = None,
        who: str = "admin",
        params: dict[str, str] | None = None,
    ) -> testing.Result:
        return self.call("GET", path, version, who=who, params=params)

    def server(self, cell: str, project: str = "demo") -> str:
        """A server living in ``cell`` (its row and its mapping); its uuid."""
        uuid = insert_server(self.dbs, cell, project_id=project, user_id=project, vm_state="active")
        self.map_server(uuid, cell, project)
        return uuid

    def map_server(self, uuid: str, cell: str, project: str = "demo") -> None:
        """The instance mapping of ``uuid`` to ``cell``."""
        map_server(self.dbs, uuid, self.cell_ids[cell], project)

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


def build_client(
    dbs: CloudDBs, policy: Policy | None = None
) -> tuple[testing.TestClient, Databases]:
    """The compute API with the migration routes, over ``dbs``."""
    api = stub_api(dbs, policy)
    settings = HostSettings(cell_timeout=5.0, max_limit=MAX_LIMIT)
    migrations.install(api.app, api.deps, api.targets, settings)
    return api.client(), api.databases


@pytest.fixture
def mig_cloud(open_mapped: OpenMapped) -> MigrationCloud:
    """Cells 0-2 of ``cloud`` mapped and a client of the migration routes."""
    return open_mapped(MigrationCloud, build_client)
