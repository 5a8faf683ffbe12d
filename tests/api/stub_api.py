"""The compute API as the API tests assemble it over the ``cloud`` databases, and how they call it.

The app is the real one (``build_app``) over a real :class:`ServerAPI` whose
conductor and placement refuse every call unless a test brings its own.
Requests carry noauth2 tokens (``admin`` is an administrator; ``demo``, ``alt``
and ``demo2`` are members of their projects) and, if given, a microversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import falcon
from falcon import testing
from oslo_config import cfg
from sqlalchemy import Engine

from tessera import conf as tessera_conf
from tessera.api.app import build_app
from tessera.api.deps import APIDeps
from tessera.cells.targets import CellTargets
from tessera.compute.api import ServerAPI
from tessera.conf.database import DatabaseSettings
from tessera.db.engines import Databases
from tessera.objects.cell_mapping import URLBases
from tessera.policies.enforcer import Policy
from tessera.rpc.registry import TransportRegistry
from tests.conftest import CloudDBs

TOKENS = {"admin": "admin:admin", "demo": "demo:demo", "alt": "alt:alt", "demo2": "demo2:demo"}
"""noauth2 tokens by caller: ``user:project``."""


class Refuses:
    """A collaborator the API under test must never call."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        raise AssertionError(f"the API under test called {self._name}.{method}")


def open_databases() -> Databases:
    """Engines for the cell databases; no retries, so a down cell fails at once."""
    return Databases(DatabaseSettings(None, max_retries=0, retry_interval=0))


def cell_targets(
    databases: Databases, dbs: CloudDBs, *, ttl: float = 0, api_reader: Engine | None = None
) -> CellTargets:
    """The cells mapped in ``dbs``' API database as the API finds them.

    With ``ttl`` 0 the mappings are read again on every use, so cells a test
    maps later are seen without a reload.
    """
    return CellTargets(
        databases.engine(dbs.api),
        databases,
        TransportRegistry(cfg.ConfigOpts()),
        URLBases(None, None),
        ttl=ttl,
        api_reader=api_reader,
    )


def stub_servers(targets: CellTargets, conductor: Any = None, **options: Any) -> ServerAPI:
    """A real ServerAPI whose placement (and conductor, unless given) refuse every call.

    ``options`` are the ServerAPI's own (network, images, cell_timeout, ...).
    """
    return ServerAPI(
        targets,
        conductor if conductor is not None else Refuses("conductor"),  # type: ignore[arg-type]
        Refuses("placement"),  # type: ignore[arg-type]
        **options,
    )


@dataclass
class StubAPI:
    """The app, what its resources are installed with, and the engines to dispose."""

    app: falcon.App[falcon.Request, falcon.Response]
    deps: APIDeps
    targets: CellTargets
    databases: Databases

    def client(self) -> testing.TestClient:
        return testing.TestClient(self.app)


def stub_api(dbs: CloudDBs, policy: Policy | None = None, max_limit: int = 1000) -> StubAPI:
    """The compute API over ``dbs`` on a refusing ServerAPI.

    ``policy`` is the operator's (the defaults in code when None); ``max_limit``
    is ``[api] max_limit``.
    """
    databases = open_databases()
    targets = cell_targets(databases, dbs)
    servers = stub_servers(targets)
    deps = APIDeps(servers, servers.api_engine, max_limit)
    return StubAPI(build_app(deps, policy), deps, targets, databases)


def call_api(
    client: testing.TestClient,
    method: str,
    path: str,
    version: str | None = None,
    *,
    who: str = "demo",
    body: Any = None,
    raw: bytes | None = None,
    raw_type: str | None = "application/json",
    params: dict[str, str] | None = None,
    query: str | None = None,
) -> testing.Result:
    """``method`` on ``/v2.1{path}`` as ``who``, at microversion ``version`` (if given).

    ``body`` is sent as JSON; ``raw`` as it is, typed ``raw_type`` (untyped if None).
    The query is ``params``, or ``query`` as it is written.
    """
    headers = {"X-Auth-Token": TOKENS[who]}
    if version is not None:
        headers["OpenStack-API-Version"] = f"compute {version}"
    kwargs: dict[str, Any] = {"headers": headers, "params": params or {}}
    if query is not None:
        kwargs["query_string"] = query
    if raw is not None:
        kwargs["body"] = raw
        if raw_type is not None:
            headers["Content-Type"] = raw_type
    elif body is not None:
        kwargs["json"] = body
    return client.simulate_request(method, f"/v2.1{path}", **kwargs)


class CallsAPI:
    """A test cloud's requests: :meth:`call` through its ``client``, as ``caller`` unless told."""

    client: testing.TestClient
    caller = "demo"

    def call(
        self, method: str, path: str, version: str | None = None, **options: Any
    ) -> testing.Result:
        """``method`` on ``/v2.1{path}``; ``options`` as :func:`call_api` takes them."""
        options.setdefault("who", self.caller)
        return call_api(self.client, method, path, version, **options)


def policy_file(tmp: Path, rules: str) -> Policy:
    """A Policy reading ``rules`` (YAML) over the defaults in code."""
    path = tmp / "policy.yaml"
    path.write_text(rules, encoding="utf-8")
    config = tmp / "tessera.conf"
    config.write_text(f"[oslo_policy]\npolicy_file = {path}\n", encoding="utf-8")
    return Policy(tessera_conf.load(["--config-file", str(config)], config_files=[]))


def policy_with(tmp: Path, rules: dict[str, str]) -> Policy:
    """A Policy whose file overrides ``rules`` (name: check string)."""
    return policy_file(tmp, "".join(f'"{name}": "{check}"\n' for name, check in rules.items()))
