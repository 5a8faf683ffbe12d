"""The compute API's flavor resources over the ``cloud`` databases.

The app is the real compute API (``build_app`` installs the flavor routes),
over a real :class:`ServerAPI` whose conductor and placement refuse every
call: nothing about flavors may reach either. Callers are noauth2 tokens:
``admin`` (administrator, project ``admin``), ``demo`` and ``alt`` (members
of their own projects).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing

from tessera.db.engines import Databases
from tessera.objects import flavor
from tessera.policies.enforcer import Policy
from tests.api.stub_api import CallsAPI, stub_api
from tests.conftest import CloudDBs


@dataclass
class FlavorCloud(CallsAPI):
    """The client (called as ``admin`` unless told), and helpers writing the flavor rows
    an operator would have made."""

    dbs: CloudDBs
    client: testing.TestClient
    caller = "admin"

    def flavor(
        self,
        flavorid: str,
        *,
        name: str | None = None,
        public: bool = True,
        ram: int = 512,
        disk: int = 1,
        vcpus: int = 1,
        projects: tuple[str, ...] = (),
        specs: dict[str, str] | None = None,
        **extra: Any,
    ) -> flavor.Flavor:
        """Insert a flavor (private ones with ``projects`` on their access list)."""
        with self.dbs.engine("api").begin() as conn:
            size = flavor.create(
                conn, flavorid, name or f"f-{flavorid}", vcpus, ram, disk, is_public=public, **extra
            )
            for project in projects:
                flavor.add_project(conn, size, project)
            if specs:
                flavor.set_extra_specs(conn, size, specs)
        return size

    def rows(self, table: str, flavor_pk: int) -> list[dict[str, Any]]:
        """The ``flavor_extra_specs`` or ``flavor_projects`` rows of one flavor."""
        found = sa.MetaData()
        t = sa.Table(table, found, autoload_with=self.dbs.engine("api"))
        with self.dbs.engine("api").connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(t.select().where(t.c.flavor_id == flavor_pk))
            ]


def build_client(
    dbs: CloudDBs, policy: Policy | None = None
) -> tuple[testing.TestClient, Databases]:
    """The compute API over ``dbs`` (with ``policy``, or the defaults in code)."""
    api = stub_api(dbs, policy)
    return api.client(), api.databases


@pytest.fixture
def flavor_cloud(cloud: CloudDBs) -> Iterator[FlavorCloud]:
    """No flavors yet, and a client of the compute API."""
    client, databases = build_client(cloud)
    yield FlavorCloud(cloud, client)
    databases.dispose()
