"""A user-facing API over the ``cloud`` databases: keypairs, server groups, quotas.

The app is the real compute API with these resources installed, over a real
:class:`ServerAPI` whose conductor and placement refuse every call.
"""

from __future__ import annotations

import uuid as uuidlib
from functools import partial

import pytest
from falcon import testing

from tessera.api import keypairs, quotas, server_groups
from tessera.db.engines import Databases
from tests.api.cloud_rows import insert_server, map_server
from tests.api.mapped_cloud import MappedCloud, OpenMapped
from tests.api.stub_api import stub_api
from tests.conftest import CloudDBs

CELL_TIMEOUT = 5.0


class UserCloud(MappedCloud):
    """The client, and helpers writing the rows a running cloud would have."""

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
        uuid = insert_server(
            self.dbs,
            cell,
            deleted=deleted,
            project_id=project,
            user_id=project,
            vm_state="active",
            display_name="vm",
            vcpus=vcpus,
            memory_mb=ram,
            hidden=hidden,
        )
        if mapped:
            cell_id = self.cell_ids[cell]
            map_server(self.dbs, uuid, cell_id, project, queued_for_delete=queued_for_delete)
        return uuid

    def map_to(self, cell: str, project: str = "demo") -> str:
        """An instance mapping into ``cell`` with no reachable row (the cell is down)."""
        uuid = str(uuidlib.uuid4())
        map_server(self.dbs, uuid, self.cell_ids[cell], project)
        return uuid


def build_client(dbs: CloudDBs, max_limit: int = 1000) -> tuple[testing.TestClient, Databases]:
    """The compute API with keypairs, server groups, limits and quota sets, over ``dbs``;
    ``max_limit`` is ``[api] max_limit``."""
    api = stub_api(dbs, max_limit=max_limit)
    keypairs.install(api.app, api.deps)
    server_groups.install(api.app, api.deps)
    quotas.install(api.app, api.deps, cell_timeout=CELL_TIMEOUT)
    return api.client(), api.databases


@pytest.fixture
def user_cloud(open_mapped: OpenMapped) -> UserCloud:
    """Cells 0-2 of ``cloud`` mapped and a client of the user API."""
    return open_mapped(UserCloud, build_client)


@pytest.fixture
def two_per_page(open_mapped: OpenMapped) -> UserCloud:
    """As ``user_cloud``, with ``[api] max_limit`` 2: pages are capped early."""
    return open_mapped(UserCloud, partial(build_client, max_limit=2))
