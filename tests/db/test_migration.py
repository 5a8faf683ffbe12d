"""Schema migrations of both schemas, on every backend, from an empty database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from tessera.db import migration
from tessera.db.api.models import ApiBase
from tessera.db.engines import create_engine
from tessera.db.main.models import MainBase
from tests.conftest import Backend

SCHEMAS: tuple[migration.Schema, ...] = ("api", "main")
METADATA: dict[migration.Schema, sa.MetaData] = {"api": ApiBase.metadata, "main": MainBase.metadata}

each_schema = pytest.mark.parametrize("schema", SCHEMAS)


@pytest.fixture
def new_engine(fresh_db: Callable[[str], str]) -> Iterator[Callable[[str], Engine]]:
    """Engines on fresh empty databases, disposed before the databases are dropped."""
    engines: list[Engine] = []

    def make(label: str) -> Engine:
        engines.append(create_engine(fresh_db(label)))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def table_names(engine: Engine) -> list[str]:
    return sorted(sa.inspect(engine).get_table_names())


def model_tables(schema: migration.Schema) -> list[str]:
    return sorted(METADATA[schema].tables)


def downgrade_to_base(engine: Engine, schema: migration.Schema) -> None:
    with engine.begin() as conn:
        command.downgrade(migration._config(schema, conn), "base")


@each_schema
def test_upgrade_from_empty_to_head(
    backend: Backend, new_engine: Callable[[str], Engine], schema: migration.Schema
) -> None:
    engine = new_engine(f"mig_{schema}")
    assert table_names(engine) == []
    assert migration.current(engine, schema) is None

    migration.upgrade(engine, schema)

    assert migration.current(engine, schema) == migration.head(schema)


@each_schema
def test_tables_equal_the_models(
    backend: Backend, new_engine: Callable[[str], Engine], schema: migration.Schema
) -> None:
    engine = new_engine(f"tbl_{schema}")
    migration.upgrade(engine, schema)

    version_table = migration.VERSION_TABLES[schema]
    assert table_names(engine) == sorted([*model_tables(schema), version_table])


@each_schema
def test_downgrade_to_base_then_upgrade_again(
    backend: Backend, new_engine: Callable[[str], Engine], schema: migration.Schema
) -> None:
    engine = new_engine(f"down_{schema}")
    migration.upgrade(engine, schema)

    downgrade_to_base(engine, schema)
    assert table_names(engine) == [migration.VERSION_TABLES[schema]]
    assert migration.current(engine, schema) is None

    migration.upgrade(engine, schema)
    assert migration.current(engine, schema) == migration.head(schema)
    assert table_names(engine) == sorted([*model_tables(schema), migration.VERSION_TABLES[schema]])


def test_schemas_use_different_version_tables(
    backend: Backend, new_engine: Callable[[str], Engine]
) -> None:
    assert migration.VERSION_TABLES["api"] != migration.VERSION_TABLES["main"]
    pairs: list[tuple[migration.Schema, migration.Schema]] = [("api", "main"), ("main", "api")]
    for schema, other in pairs:
        engine = new_engine(f"ver_{schema}")
        migration.upgrade(engine, schema)

        tables = set(table_names(engine))
        assert migration.VERSION_TABLES[schema] in tables
        assert migration.VERSION_TABLES[other] not in tables
        assert migration.current(engine, other) is None


def test_tags_keep_their_rows_and_become_case_sensitive(
    backend: Backend, new_engine: Callable[[str], Engine]
) -> None:
    engine = new_engine("tags_ci")
    migration.upgrade(engine, "main", "0001")
    tags = MainBase.metadata.tables["tags"]
    with engine.begin() as conn:
        conn.execute(sa.insert(tags), [{"resource_id": "r1", "tag": "prod"}])

    migration.upgrade(engine, "main")

    with engine.begin() as conn:
        conn.execute(sa.insert(tags), [{"resource_id": "r1", "tag": t} for t in ("PROD", "prod ")])
        found = conn.execute(sa.select(tags.c.tag).where(tags.c.tag == "prod")).scalars().all()
        every = conn.execute(sa.select(tags.c.tag).order_by(tags.c.tag)).scalars().all()
    assert found == ["prod"]
    assert sorted(every) == ["PROD", "prod", "prod "]
