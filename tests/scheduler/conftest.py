"""Fixtures: a SQLite cloud (API DB, cell0-2), an embedded placement, a config, a Cloud."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy.engine import Engine

import tessera.conf
from tessera.db import migration
from tessera.db.api.models import ApiBase
from tessera.db.engines import create_engine
from tessera.db.main.models import MainBase
from tessera.placement.client import PlacementClient
from tessera.placement.embedded import EmbeddedPlacement, open_embedded
from tessera.rpc.inproc_broker import PROCESS_REGISTRY
from tests.conftest import CLOUD_SCHEMAS, Backend, CloudDBs
from tests.scheduler.helpers import Cloud

PREFIX = "sched_"


@pytest.fixture(scope="session")
def sqlite_cloud_dbs(sqlite_backend: Backend) -> Iterator[CloudDBs]:
    """The four migrated databases of a cloud, on SQLite only, for the whole session."""
    engines: dict[str, Engine] = {}
    urls: dict[str, str] = {}
    for name, schema in CLOUD_SCHEMAS.items():
        urls[name] = sqlite_backend.create(PREFIX + name)
        engines[name] = create_engine(urls[name])
        migration.upgrade(engines[name], schema)
    yield CloudDBs(backend=sqlite_backend, engines=engines, **urls)
    for engine in engines.values():
        engine.dispose()


def empty(dbs: CloudDBs) -> CloudDBs:
    """Delete every row (alembic's version table is not in the metadata, so it stays)."""
    for name, schema in CLOUD_SCHEMAS.items():
        metadata = ApiBase.metadata if schema == "api" else MainBase.metadata
        with dbs.engine(name).begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(sa.delete(table))
    return dbs


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedPlacement]:
    """Real placement in-process on its own SQLite file."""
    with open_embedded(f"sqlite:///{tmp_path / 'placement.db'}") as placement:
        yield placement


@pytest.fixture
def conf() -> cfg.ConfigOpts:
    """A parsed Tessera configuration with short deadlines."""
    conf = tessera.conf.load([], config_files=[])
    conf.set_override("cell_timeout", 2.0)
    return conf


@pytest.fixture
def scloud(sqlite_cloud_dbs: CloudDBs, embedded: EmbeddedPlacement, conf: cfg.ConfigOpts) -> Cloud:
    """A mapped, empty SQLite cloud (cell0, cell1, cell2) with an empty placement."""
    cloud = Cloud(empty(sqlite_cloud_dbs), PlacementClient(embedded.transport()), conf)
    cloud.map_cells()
    return cloud


@pytest.fixture
def _fresh_brokers() -> Iterator[None]:
    """Forget the in-process brokers after the test."""
    yield
    PROCESS_REGISTRY.reset()
