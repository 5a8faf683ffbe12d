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
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from falcon import testing
from oslo_config import cfg

from tessera import conf as tessera_conf
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conf.database import DatabaseSettings
from tessera.db.engines import Databases
from tessera.objects import flavor
from tessera.objects.cell_mapping import URLBases
from tessera.policies.enforcer import Policy
from tessera.rpc.registry import TransportRegistry
from tests.api.admin.conftest import Refuses
from tests.conftest import CloudDBs

TOKENS = {"admin": "admin:admin", "demo": "demo:demo", "alt": "alt:alt"}


@dataclass
class FlavorCloud:
    """The client, and helpers writing the flavor rows an operator would have made."""

    dbs: CloudDBs
    client: testing.TestClient

    def call(
        self,
        method: str,
        path: str,
        version: str | None = None,
        *,
        who: str = "admin",
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, str] | None = None,
        query: str | None = None,
    ) -> testing.Result:
        headers = {"X-Auth-Token": TOKENS[who]}
        if version is not None:
            headers["OpenStack-API-Version"] = f"compute {version}"
        kwargs: dict[str, Any] = {"headers": headers, "params": params or {}}
        if query is not None:
            kwargs["query_string"] = query
        if raw is not None:
            kwargs["body"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        return self.client.simulate_request(method, f"/v2.1{path}", **kwargs)

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
    databases = Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))
    api_engine = databases.engine(dbs.api)
    targets = CellTargets(
        api_engine, databases, TransportRegistry(cfg.ConfigOpts()), URLBases(None, None), ttl=0
    )
    servers = ServerAPI(targets, Refuses("conductor"), Refuses("placement"))  # type: ignore[arg-type]
    app = build_app(APIDeps(servers, servers.api_engine), policy)
    return testing.TestClient(app), databases


@pytest.fixture
def flavor_cloud(cloud: CloudDBs) -> Iterator[FlavorCloud]:
    """No flavors yet, and a client of the compute API."""
    client, databases = build_client(cloud)
    yield FlavorCloud(cloud, client)
    databases.dispose()


def policy_with(tmp_path: Path, rules: dict[str, str]) -> Policy:
    """A Policy whose file overrides ``rules``."""
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("".join(f'"{name}": "{check}"\n' for name, check in rules.items()))
    config = tmp_path / "tessera.conf"
    config.write_text(f"[oslo_policy]\npolicy_file = {policy_file}\n")
    return Policy(tessera_conf.load(["--config-file", str(config)], config_files=[]))
