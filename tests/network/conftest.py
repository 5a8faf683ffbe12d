"""Fixtures of the network service tests: a service on a database of each backend.

One network database per backend and session, emptied before each test, keeps the runs
short; a test about schema creation itself takes ``fresh_db``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import falcon
import falcon.testing
import pytest
from sqlalchemy.engine import Engine

from tessera.api import errors
from tessera.api.auth import NoAuthMiddleware
from tessera.db.engines import create_engine
from tessera.network import api, schema
from tessera.network.service import NetworkService
from tests.conftest import Backend

EngineFactory = Callable[[], Engine]


@pytest.fixture(scope="session")
def network_db(backend: Backend) -> Iterator[str]:
    """URL of this session's network database on the backend (its schema made once)."""
    url = backend.create("network")
    engine = create_engine(url)
    schema.create(engine)
    engine.dispose()
    yield url
    backend.drop("network")


@pytest.fixture
def network_url(network_db: str) -> str:
    """URL of the session's network database, with every table emptied for this test."""
    engine = create_engine(network_db)
    with engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    return network_db


@pytest.fixture
def new_engine(network_url: str) -> Iterator[EngineFactory]:
    """Engines on the network database, one per call (as separate processes would have)."""
    made: list[Engine] = []

    def make() -> Engine:
        made.append(create_engine(network_url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def service(new_engine: EngineFactory) -> NetworkService:
    """A network service on the emptied network database."""
    return NetworkService(new_engine())


class NoAuthWithNetworkVersions(NoAuthMiddleware):
    """The app's noauth2 middleware, plus the exemption the network version document needs."""

    def process_resource(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        params: dict[str, object],
    ) -> None:
        if req.path in api.unauthenticated_paths():
            return
        super().process_resource(req, resp, resource, params)


@pytest.fixture
def client(service: NetworkService) -> falcon.testing.TestClient:
    """A Falcon app with the network routes, the compute app's auth and error handlers."""
    app = falcon.App(middleware=[NoAuthWithNetworkVersions()])
    app.req_options.strip_url_path_trailing_slash = True
    errors.install(app)
    api.install(app, service)
    return falcon.testing.TestClient(app)
